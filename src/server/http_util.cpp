#include "notify/server/http_util.hpp"

#include "notify/common/percent_decode.hpp"
#include "notify/common/text.hpp"

namespace notify::server {

std::string_view target_path(std::string_view target) {
   return target.substr(0, target.find('?'));
}

std::optional<std::string> query_parameter(std::string_view target, std::string_view name) {
   auto const question = target.find('?');
   if (question == std::string_view::npos) {
      return std::nullopt;
   }
   auto query = target.substr(question + 1);
   query = query.substr(0, query.find('#'));
   while (!query.empty()) {
      auto const amp = query.find('&');
      auto const pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      auto const equals = pair.find('=');
      auto const key = pair.substr(0, equals);
      if (key == name) {
         return percent_decode(equals == std::string_view::npos ? std::string_view{}
                                                                : pair.substr(equals + 1),
                               /*plus_is_space=*/true);
      }
   }
   return std::nullopt;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
   authorization = trim_whitespace(authorization);
   constexpr std::string_view scheme = "bearer";
   if (authorization.size() <= scheme.size() ||
       !equals_ignoring_case(authorization.substr(0, scheme.size()), scheme) ||
       authorization[scheme.size()] != ' ') {
      return std::nullopt;
   }
   auto token = trim_whitespace(authorization.substr(scheme.size() + 1));
   if (token.empty()) {
      return std::nullopt;
   }
   return token;
}

bool header_lists_token(std::string_view value, std::string_view token) {
   while (!value.empty()) {
      auto const comma = value.find(',');
      if (equals_ignoring_case(trim_whitespace(value.substr(0, comma)), token)) {
         return true;
      }
      if (comma == std::string_view::npos) {
         break;
      }
      value.remove_prefix(comma + 1);
   }
   return false;
}

} // namespace notify::server
