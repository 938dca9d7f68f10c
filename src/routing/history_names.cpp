#include "notify/routing/history_names.hpp"

namespace notify::routing {

history_names::history_names(std::string prefix, std::size_t max_user_id_bytes)
    : prefix_(std::move(prefix))
    , live_channels_(prefix_ + "{user:*}:live", prefix_ + "{global}:live", max_user_id_bytes) {}

std::string history_names::stream_key(route const& target) const {
   if (target.kind == route::scope::global) {
      return prefix_ + "{global}:history";
   }
   return prefix_ + "{user:" + target.user_id + "}:history";
}

std::string history_names::presence_key(std::string_view user_id) const {
   std::string key;
   key.reserve(prefix_.size() + user_id.size() + 16);
   key.append(prefix_).append("{user:").append(user_id).append("}:presence");
   return key;
}

bool history_names::has_history(std::string_view user_id) {
   return user_id.find('}') == std::string_view::npos;
}

std::optional<live_message> parse_live_message(std::string_view text) {
   auto const first_space = text.find(' ');
   if (first_space == std::string_view::npos) {
      return std::nullopt;
   }
   auto const second_space = text.find(' ', first_space + 1);
   if (second_space == std::string_view::npos) {
      return std::nullopt;
   }
   auto const id = parse_stream_id(text.substr(0, first_space));
   auto const previous =
       parse_stream_id(text.substr(first_space + 1, second_space - first_space - 1));
   if (!id || !previous || !(*previous < *id)) {
      return std::nullopt;
   }
   return live_message{*id, *previous, text.substr(second_space + 1)};
}

} // namespace notify::routing
