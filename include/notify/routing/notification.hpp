#pragma once

#include "notify/common/stream_id.hpp"
#include "notify/routing/channel.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace notify::routing {

/// Where a message sits in its target's history stream (it came from notify_publish, or from
/// a history read): its entry id and the id of the entry before it.
struct stream_position {
   stream_id id;
   stream_id previous;
};

/// A message ready for fan-out: its route and the WebSocket frames every recipient sends as is.
struct notification {
   route target;
   /// The payload as published. Null for a history entry the gateway cannot deliver (bad
   /// JSON, too large): it still moves every recipient's position past it.
   std::shared_ptr<const std::string> frame;
   /// {"type":"message","stream":...,"id":...,"data":<payload>} for clients that asked for it.
   std::shared_ptr<const std::string> envelope;
   std::optional<stream_position> position;
};

enum class drop_reason {
   too_large,
   invalid_utf8,
   invalid_json,
   foreign_channel,
   invalid_user_id,
   invalid_history_message
};
std::string_view reason(drop_reason);

struct prepare_result {
   std::optional<notification> ready;
   drop_reason dropped = drop_reason::invalid_json;
};

/// Validates a Redis message once (size, UTF-8, JSON) and frames it once. Never throws on bad
/// input: a bad message comes back with the reason it was dropped.
prepare_result prepare_notification(const channel_scheme& scheme, std::string_view channel,
                                    std::string_view payload, std::size_t max_payload_bytes);

/// The same for a message on a history live channel ("<id> <previous id> <json>"). A well
/// formed message whose payload cannot be delivered comes back ready without frames (and
/// `dropped` says why), so that recipients' positions still move past it.
prepare_result prepare_history_notification(const channel_scheme& live_channels,
                                            std::string_view channel, std::string_view message,
                                            std::size_t max_payload_bytes);

/// Frames one payload for `target` (a history entry read back from Redis, or a live message).
prepare_result frame_notification(route target, std::optional<stream_position> position,
                                  std::string_view payload, std::size_t max_payload_bytes);

} // namespace notify::routing
