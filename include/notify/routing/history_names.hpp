#pragma once

#include "notify/common/stream_id.hpp"
#include "notify/routing/channel.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace notify::routing {

/// The one place that names history keys and channels (and function_library's Lua, which
/// must agree). A user's stream and live channel share the hash tag {user:<id>}, so they live
/// in one slot on Redis Cluster:
///   <prefix>{user:<id>}:history   the stream, entries {d: <json>, p: <previous id>}
///   <prefix>{user:<id>}:live      the channel notify_publish publishes on
///   <prefix>{global}:history and <prefix>{global}:live for everyone.
///   <prefix>{user:<id>}:presence  the user's live connections (presence_settings)
class history_names {
public:
   history_names(std::string prefix, std::size_t max_user_id_bytes);

   std::string stream_key(route const& target) const;
   /// Needs has_history(user_id): the key must stay in the user's slot.
   std::string presence_key(std::string_view user_id) const;
   /// How the live channels are parsed into routes (and the pattern to subscribe to).
   channel_scheme const& live_channels() const { return live_channels_; }

   /// Whether `user_id` can have history: an id with '}' would cut the hash tag short.
   static bool has_history(std::string_view user_id);

private:
   std::string prefix_;
   channel_scheme live_channels_;
};

/// What notify_publish puts on a live channel: "<id> <previous id> <json>".
struct live_message {
   stream_id id;
   stream_id previous;
   std::string_view payload;
};
std::optional<live_message> parse_live_message(std::string_view text);

} // namespace notify::routing
