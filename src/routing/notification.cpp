#include "notify/routing/notification.hpp"

#include "notify/common/user_id.hpp"
#include "notify/routing/history_names.hpp"
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
   case drop_reason::invalid_history_message:
      return "invalid_history_message";
   }
   return "other";
}

namespace {

std::optional<drop_reason> check_payload(std::string_view payload, std::size_t max_payload_bytes) {
   if (payload.size() > max_payload_bytes) {
      return drop_reason::too_large;
   }
   // A text frame must carry UTF-8 (RFC 6455); browsers close the socket on anything else.
   if (!valid_utf8(payload)) {
      return drop_reason::invalid_utf8;
   }
   // nlohmann's lexer takes a NUL byte for the end of input, so "{}\0garbage" would pass; a raw
   // NUL is never valid JSON text anyway.
   if (payload.find('\0') != std::string_view::npos || !nlohmann::json::accept(payload)) {
      return drop_reason::invalid_json;
   }
   return std::nullopt;
}

ws::shared_frame envelope_frame(const route& target, const std::optional<stream_position>& position,
                                std::string_view payload) {
   std::string body;
   body.reserve(payload.size() + 80);
   body += R"({"type":"message","stream":")";
   body += target.kind == route::scope::global ? "global" : "user";
   body += '"';
   if (position) {
      body += R"(,"id":")";
      body += to_string(position->id);
      body += '"';
   }
   body += R"(,"data":)";
   body += payload; // validated JSON text
   body += '}';
   return ws::make_frame(ws::opcode::text, body);
}

} // namespace

prepare_result frame_notification(route target, std::optional<stream_position> position,
                                  std::string_view payload, std::size_t max_payload_bytes) {
   if (auto const bad = check_payload(payload, max_payload_bytes)) {
      if (position) {
         return {notification{std::move(target), nullptr, nullptr, position}, *bad};
      }
      return {std::nullopt, *bad};
   }
   auto envelope = envelope_frame(target, position, payload);
   return {notification{std::move(target), ws::make_frame(ws::opcode::text, payload),
                        std::move(envelope), position},
           {}};
}

prepare_result prepare_notification(const channel_scheme& scheme, std::string_view channel,
                                    std::string_view payload, std::size_t max_payload_bytes) {
   auto parsed = scheme.parse(channel);
   if (!parsed.target) {
      return {std::nullopt, parsed.rejection == channel_rejection::invalid_user_id
                                ? drop_reason::invalid_user_id
                                : drop_reason::foreign_channel};
   }
   return frame_notification(std::move(*parsed.target), std::nullopt, payload, max_payload_bytes);
}

prepare_result prepare_history_notification(const channel_scheme& live_channels,
                                            std::string_view channel, std::string_view message,
                                            std::size_t max_payload_bytes) {
   auto parsed = live_channels.parse(channel);
   if (!parsed.target) {
      return {std::nullopt, parsed.rejection == channel_rejection::invalid_user_id
                                ? drop_reason::invalid_user_id
                                : drop_reason::foreign_channel};
   }
   auto const live = parse_live_message(message);
   if (!live) {
      return {std::nullopt, drop_reason::invalid_history_message};
   }
   return frame_notification(std::move(*parsed.target), stream_position{live->id, live->previous},
                             live->payload, max_payload_bytes);
}

} // namespace notify::routing
