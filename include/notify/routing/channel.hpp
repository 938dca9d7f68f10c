#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace notify::routing {

/// Who a Redis message is for.
struct route {
   enum class scope { user, global };
   scope kind = scope::global;
   std::string user_id; ///< empty for global
};

enum class channel_rejection { foreign_channel, invalid_user_id };
std::string_view reason(channel_rejection);

/// Turns a Redis channel name into a route. The one place that knows the channel naming scheme,
/// so per-user subscriptions (sharded pub/sub on Redis Cluster) can be built from it later.
class channel_scheme {
public:
   /// `user_pattern` holds exactly one '*' standing for the user id (validated by config).
   channel_scheme(std::string_view user_pattern, std::string global_channel,
                  std::size_t max_user_id_bytes);

   struct parse_result {
      std::optional<route> target;
      channel_rejection rejection = channel_rejection::foreign_channel;
   };
   /// The user id is everything between the pattern's prefix and suffix, so ids may contain ':'.
   parse_result parse(std::string_view channel) const;

   std::string user_channel(std::string_view user_id) const;
   std::string user_pattern() const { return user_prefix_ + "*" + user_suffix_; }
   const std::string& global_channel() const { return global_channel_; }

private:
   std::string user_prefix_;
   std::string user_suffix_;
   std::string global_channel_;
   std::size_t max_user_id_bytes_;
};

} // namespace notify::routing
