#include "notify/server/proxy_protocol.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>

namespace notify::server {

namespace ip = boost::asio::ip;

namespace {

constexpr std::string_view v1_prefix = "PROXY ";
constexpr std::size_t v1_max_length = 107; // the spec's bound, CRLF included
constexpr std::string_view v2_signature("\r\n\r\n\0\r\nQUIT\n", 12);
constexpr std::size_t v2_fixed_length = 16;

proxy_header invalid(std::string_view problem) {
   return {.result = proxy_header::status::invalid, .length = 0, .source = {}, .problem = problem};
}

proxy_header complete(std::size_t length, std::optional<ip::address> source = {}) {
   return {.result = proxy_header::status::complete,
           .length = length,
           .source = std::move(source),
           .problem = {}};
}

/// Whether `input` (shorter than `full`) could still grow into it.
bool is_prefix_of(std::string_view input, std::string_view full) {
   return full.substr(0, std::min(input.size(), full.size())) == input.substr(0, full.size());
}

bool valid_port(std::string_view text) {
   unsigned port = 0;
   auto const* end = text.data() + text.size();
   auto const [stop, ec] = std::from_chars(text.data(), end, port);
   return !text.empty() && text.size() <= 5 && ec == std::errc{} && stop == end && port <= 65535 &&
          (text.size() == 1 || text.front() != '0');
}

std::optional<ip::address> v1_address(std::string_view text, bool v4) {
   if (text.empty() || text.size() > 45 || text.find_first_of("% ") != text.npos) {
      return std::nullopt;
   }
   boost::system::error_code ec;
   auto const address = ip::make_address(std::string(text), ec);
   if (ec || address.is_v4() != v4) {
      return std::nullopt;
   }
   return address;
}

/// A v1 line is printable ASCII; checked on the whole line too, because the address parser stops
/// at a NUL and would accept "1.2.3.4\0junk".
bool printable(std::string_view text) {
   return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

proxy_header parse_v1(std::string_view input) {
   auto const end = input.find("\r\n");
   if (end == input.npos) {
      if (input.size() >= v1_max_length) {
         return invalid("PROXY v1 header longer than 107 bytes");
      }
      auto const line = input.ends_with('\r') ? input.substr(0, input.size() - 1) : input;
      return printable(line) ? proxy_header{} : invalid("PROXY v1 header with a control character");
   }
   if (end + 2 > v1_max_length) {
      return invalid("PROXY v1 header longer than 107 bytes");
   }
   if (!printable(input.substr(0, end))) {
      return invalid("PROXY v1 header with a control character");
   }
   auto line = input.substr(v1_prefix.size(), end - v1_prefix.size());
   std::array<std::string_view, 5> parts{};
   std::size_t count = 0;
   while (count < parts.size()) {
      auto const space = line.find(' ');
      parts[count++] = line.substr(0, space);
      if (space == line.npos) {
         line = {};
         break;
      }
      line.remove_prefix(space + 1);
   }
   if (parts[0] == "UNKNOWN") {
      return complete(end + 2); // the rest of the line is to be ignored
   }
   if (count != 5 || !line.empty() || (parts[0] != "TCP4" && parts[0] != "TCP6")) {
      return invalid("PROXY v1 header is not TCP4/TCP6 <src> <dst> <sport> <dport>");
   }
   bool const v4 = parts[0] == "TCP4";
   auto source = v1_address(parts[1], v4);
   if (!source || !v1_address(parts[2], v4) || !valid_port(parts[3]) || !valid_port(parts[4])) {
      return invalid("PROXY v1 header with a bad address or port");
   }
   return complete(end + 2, source);
}

proxy_header parse_v2(std::string_view input) {
   if (input.size() < v2_fixed_length) {
      return {};
   }
   auto const byte = [&](std::size_t i) { return static_cast<std::uint8_t>(input[i]); };
   auto const version_command = byte(12);
   auto const family = byte(13);
   std::size_t const payload = (std::size_t{byte(14)} << 8) | byte(15);
   if ((version_command >> 4) != 2 || (version_command & 0x0F) > 1) {
      return invalid("PROXY v2 header with an unknown version or command");
   }
   auto const length = v2_fixed_length + payload;
   if (length > max_proxy_header_length) {
      return invalid("PROXY v2 header too long");
   }
   if (input.size() < length) {
      return {};
   }
   if ((version_command & 0x0F) == 0) {
      return complete(length); // LOCAL: the proxy's own connection, e.g. a health check
   }
   auto const* addresses = input.data() + v2_fixed_length;
   switch (family) {
   case 0x11: { // TCP over IPv4: src, dst (4 bytes each), ports
      if (payload < 12) {
         return invalid("PROXY v2 TCP4 header too short");
      }
      ip::address_v4::bytes_type bytes{};
      std::memcpy(bytes.data(), addresses, bytes.size());
      return complete(length, ip::address_v4(bytes));
   }
   case 0x21: { // TCP over IPv6: src, dst (16 bytes each), ports
      if (payload < 36) {
         return invalid("PROXY v2 TCP6 header too short");
      }
      ip::address_v6::bytes_type bytes{};
      std::memcpy(bytes.data(), addresses, bytes.size());
      return complete(length, ip::address_v6(bytes));
   }
   case 0x00:
      return complete(length); // UNSPEC: the peer is the client
   default:
      return invalid("PROXY v2 header for a transport other than TCP");
   }
}

} // namespace

proxy_header parse_proxy_header(std::string_view input) {
   if (input.empty()) {
      return {};
   }
   if (input.front() == 'P') {
      if (input.size() < v1_prefix.size()) {
         return is_prefix_of(input, v1_prefix) ? proxy_header{} : invalid("not a PROXY header");
      }
      if (!input.starts_with(v1_prefix)) {
         return invalid("not a PROXY header");
      }
      return parse_v1(input);
   }
   if (input.size() < v2_signature.size()) {
      return is_prefix_of(input, v2_signature) ? proxy_header{} : invalid("not a PROXY header");
   }
   if (!input.starts_with(v2_signature)) {
      return invalid("not a PROXY header");
   }
   return parse_v2(input);
}

} // namespace notify::server
