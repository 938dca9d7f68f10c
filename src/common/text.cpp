#include "notify/common/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace notify {

namespace {

char ascii_lower(char c) {
   return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_optional_whitespace(char c) {
   return c == ' ' || c == '\t';
}

} // namespace

bool equals_ignoring_case(std::string_view a, std::string_view b) {
   if (a.size() != b.size()) {
      return false;
   }
   for (std::size_t i = 0; i < a.size(); ++i) {
      if (ascii_lower(a[i]) != ascii_lower(b[i])) {
         return false;
      }
   }
   return true;
}

std::string_view trim_whitespace(std::string_view text) {
   while (!text.empty() && is_optional_whitespace(text.front())) {
      text.remove_prefix(1);
   }
   while (!text.empty() && is_optional_whitespace(text.back())) {
      text.remove_suffix(1);
   }
   return text;
}

bool is_host_name(std::string_view host) {
   return std::all_of(host.begin(), host.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '.' || c == '-' || c == '_';
   });
}

bool is_ipv6_literal(std::string_view host) {
   return host.find(':') != host.npos && std::all_of(host.begin(), host.end(), [](unsigned char c) {
             return std::isxdigit(c) || c == ':' || c == '.';
          });
}

std::optional<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text) {
   auto const colon = text.rfind(':');
   if (colon == text.npos) {
      return std::nullopt;
   }
   auto host = text.substr(0, colon);
   auto const port_text = text.substr(colon + 1);
   bool const bracketed = host.starts_with('[') && host.ends_with(']') && host.size() > 2;
   if (bracketed) {
      host = host.substr(1, host.size() - 2);
   }
   bool const plausible = !host.empty() && host.size() <= 253 &&
                          (bracketed ? is_ipv6_literal(host) : is_host_name(host));
   unsigned port = 0;
   auto const [end, ec] =
       std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
   if (!plausible || ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
       port > 65535) {
      return std::nullopt;
   }
   return std::pair{std::string(host), static_cast<std::uint16_t>(port)};
}

} // namespace notify
