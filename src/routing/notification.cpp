#include "notify/routing/notification.hpp"

#include "notify/common/user_id.hpp"
#include "notify/ws/frame.hpp"

#include <nlohmann/json.hpp>

namespace notify::routing {

std::string_view reason(drop_reason dropped) {
   switch (dropped) {
   case drop_reason::too_large:
      return "too_large";
   case drop_reason::invalid_utf8:
      return "invalid_utf8";
   case drop_reason::invalid_json:
      return "invalid_json";
   case drop_reason::foreign_channel:
      return "foreign_channel";
   case drop_reason::invalid_user_id:
      return "invalid_user_id";
   }
   return "other";
}

prepare_result prepare_notification(const channel_scheme& scheme, std::string_view channel,
                                    std::string_view payload, std::size_t max_payload_bytes) {
   auto parsed = scheme.parse(channel);
   if (!parsed.target) {
      return {std::nullopt, parsed.rejection == channel_rejection::invalid_user_id
                                ? drop_reason::invalid_user_id
                                : drop_reason::foreign_channel};
   }
   if (payload.size() > max_payload_bytes) {
      return {std::nullopt, drop_reason::too_large};
   }
   // A text frame must carry UTF-8 (RFC 6455); browsers close the socket on anything else.
   if (!valid_utf8(payload)) {
      return {std::nullopt, drop_reason::invalid_utf8};
   }
   // nlohmann's lexer takes a NUL byte for the end of input, so "{}\0garbage" would pass; a raw
   // NUL is never valid JSON text anyway.
   if (payload.find('\0') != std::string_view::npos || !nlohmann::json::accept(payload)) {
      return {std::nullopt, drop_reason::invalid_json};
   }
   return {notification{std::move(*parsed.target), ws::make_frame(ws::opcode::text, payload)}, {}};
}

} // namespace notify::routing
