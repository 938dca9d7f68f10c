#include "notify/common/percent_decode.hpp"

namespace notify {

namespace {

int hex_value(char c) {
   if (c >= '0' && c <= '9') {
      return c - '0';
   }
   if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
   }
   if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
   }
   return -1;
}

} // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
   std::string decoded;
   decoded.reserve(text.size());
   for (std::size_t i = 0; i < text.size(); ++i) {
      char const c = text[i];
      if (c == '+' && plus_is_space) {
         decoded.push_back(' ');
         continue;
      }
      if (c != '%') {
         decoded.push_back(c);
         continue;
      }
      if (i + 2 >= text.size()) {
         return std::nullopt;
      }
      int const high = hex_value(text[i + 1]);
      int const low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) {
         return std::nullopt;
      }
      decoded.push_back(static_cast<char>(high * 16 + low));
      i += 2;
   }
   return decoded;
}

} // namespace notify
