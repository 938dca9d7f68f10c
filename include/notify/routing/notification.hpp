#pragma once

#include "notify/routing/channel.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace notify::routing {

/// A message ready for fan-out: its route and the WebSocket frame every recipient sends as is.
struct notification {
   route target;
   std::shared_ptr<const std::string> frame;
};

enum class drop_reason { too_large, invalid_utf8, invalid_json, foreign_channel, invalid_user_id };
std::string_view reason(drop_reason);

struct prepare_result {
   std::optional<notification> ready;
   drop_reason dropped = drop_reason::invalid_json;
};

/// Validates a Redis message once (size, UTF-8, JSON) and frames it once. Never throws on bad
/// input: a bad message comes back with the reason it was dropped.
prepare_result prepare_notification(const channel_scheme& scheme, std::string_view channel,
                                    std::string_view payload, std::size_t max_payload_bytes);

} // namespace notify::routing
