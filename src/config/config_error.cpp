#include "notify/config/loader.hpp"

#include <cstdio>

namespace notify::config {

config_error::config_error(std::string key, std::string_view problem)
    : std::runtime_error(key + ": " + std::string(problem))
    , key(std::move(key)) {}

namespace detail {

std::string quote_value(std::string_view value) {
   // Values come from files, the environment and argv: escape what could drive a terminal, and
   // keep a pasted blob from drowning the message.
   constexpr std::size_t max_shown = 80;
   std::string quoted = "\"";
   for (std::size_t i = 0; i < value.size() && i < max_shown; ++i) {
      auto const byte = static_cast<unsigned char>(value[i]);
      if (byte == '"' || byte == '\\') {
         quoted += '\\';
         quoted += static_cast<char>(byte);
      } else if (byte < 0x20 || byte == 0x7F) {
         char escaped[8];
         std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
         quoted += escaped;
      } else {
         quoted += static_cast<char>(byte);
      }
   }
   if (value.size() > max_shown) {
      quoted += "...";
   }
   quoted += '"';
   return quoted;
}

std::string got_from(origin_map const& origins, std::string_view key, std::string_view shown) {
   auto const found = origins.find(key);
   std::string const origin =
       found == origins.end() ? std::string("the built-in default") : found->second;
   if (shown.empty()) {
      return " (from " + origin + ")";
   }
   return " (got " + std::string(shown) + " from " + origin + ")";
}

} // namespace detail

} // namespace notify::config
