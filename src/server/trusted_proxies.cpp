#include "notify/server/trusted_proxies.hpp"

#include <algorithm>
#include <boost/asio/ip/address_v6.hpp>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace notify::server {

namespace ip = boost::asio::ip;

namespace {

constexpr unsigned ipv4_in_ipv6_bits = 96;

std::array<std::uint8_t, 16> ipv6_bytes(const ip::address& address) {
   if (address.is_v4()) {
      return ip::make_address_v6(ip::v4_mapped, address.to_v4()).to_bytes();
   }
   return address.to_v6().to_bytes();
}

/// A plain address: no zone ("%eth0", which names an interface, not a host), no spaces.
std::optional<ip::address> parse_address(std::string_view text) {
   if (text.empty() || text.size() > 64 || text.find_first_of("% \t") != text.npos) {
      return std::nullopt;
   }
   boost::system::error_code ec;
   auto address = ip::make_address(std::string(text), ec);
   if (ec) {
      return std::nullopt;
   }
   return address;
}

/// RFC 7239 node-port: digits, or an obfuscated "_name". Only checked, never used.
bool valid_port(std::string_view port) {
   if (port.empty() || port.size() > 32) {
      return false;
   }
   if (port.front() == '_') {
      return std::all_of(port.begin() + 1, port.end(), [](char c) {
         return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
      });
   }
   return port.size() <= 5 &&
          std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view trim(std::string_view text) {
   auto const first = text.find_first_not_of(" \t");
   if (first == text.npos) {
      return {};
   }
   auto const last = text.find_last_not_of(" \t");
   return text.substr(first, last - first + 1);
}

/// The non-empty, trimmed entries of one X-Forwarded-For value, appended in order.
void split_list(std::string_view value, std::vector<std::string_view>& out) {
   while (!value.empty()) {
      auto const comma = value.find(',');
      auto const entry = trim(value.substr(0, comma));
      if (!entry.empty()) {
         out.push_back(entry);
      }
      if (comma == value.npos) {
         break;
      }
      value.remove_prefix(comma + 1);
   }
}

bool iequals(std::string_view a, std::string_view b) {
   return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
          });
}

} // namespace

// ---------------------------------------------------------------------------------------------
// trusted_proxies

trusted_proxies::trusted_proxies(std::span<const std::string> entries) {
   for (auto const& entry : entries) {
      auto parsed = parse_block(entry);
      if (!parsed) {
         throw std::invalid_argument("server.trusted_proxies: \"" + entry +
                                     "\": " + entry_problem(entry).value_or("not an address"));
      }
      blocks_.push_back(*parsed);
   }
}

std::optional<trusted_proxies::block> trusted_proxies::parse_block(std::string_view entry) {
   auto const slash = entry.find('/');
   auto const address = parse_address(entry.substr(0, slash));
   if (!address) {
      return std::nullopt;
   }
   unsigned const family_bits = address->is_v4() ? 32 : 128;
   unsigned prefix = family_bits;
   if (slash != entry.npos) {
      auto const digits = entry.substr(slash + 1);
      auto const* end = digits.data() + digits.size();
      auto const [stop, ec] = std::from_chars(digits.data(), end, prefix);
      if (digits.empty() || digits.size() > 3 || ec != std::errc{} || stop != end ||
          prefix > family_bits) {
         return std::nullopt;
      }
   }
   block result;
   result.bytes = ipv6_bytes(*address);
   result.prefix_bits = address->is_v4() ? prefix + ipv4_in_ipv6_bits : prefix;
   // Host bits set below the prefix ("10.1.2.3/8") are cleared: the block is what was meant.
   for (unsigned bit = result.prefix_bits; bit < 128; ++bit) {
      result.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
   }
   return result;
}

std::optional<std::string> trusted_proxies::entry_problem(std::string_view entry) {
   if (parse_block(entry)) {
      return std::nullopt;
   }
   auto const slash = entry.find('/');
   if (!parse_address(entry.substr(0, slash))) {
      return "not an IPv4 or IPv6 address (like 10.0.0.1, 10.0.0.0/8, ::1 or fd00::/8)";
   }
   return "the prefix length after '/' must be 0-32 for IPv4, 0-128 for IPv6";
}

bool trusted_proxies::contains(const ip::address& address) const {
   auto const bytes = ipv6_bytes(address);
   return std::any_of(blocks_.begin(), blocks_.end(), [&](const block& b) {
      unsigned const whole = b.prefix_bits / 8;
      if (!std::equal(b.bytes.begin(), b.bytes.begin() + whole, bytes.begin())) {
         return false;
      }
      unsigned const rest = b.prefix_bits % 8;
      if (rest == 0) {
         return true;
      }
      auto const mask = static_cast<std::uint8_t>(0xFFU << (8 - rest));
      return (bytes[whole] & mask) == b.bytes[whole];
   });
}

// ---------------------------------------------------------------------------------------------
// Header values

ip::address unmapped(const ip::address& address) {
   if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      return ip::make_address_v4(ip::v4_mapped, address.to_v6());
   }
   return address;
}

std::optional<ip::address> parse_forwarded_node(std::string_view text) {
   if (text.starts_with('[')) {
      auto const close = text.find(']');
      if (close == text.npos) {
         return std::nullopt;
      }
      auto const rest = text.substr(close + 1);
      if (!rest.empty() && (rest.front() != ':' || !valid_port(rest.substr(1)))) {
         return std::nullopt;
      }
      auto address = parse_address(text.substr(1, close - 1));
      if (!address || !address->is_v6()) {
         return std::nullopt;
      }
      return address;
   }
   auto const colons = std::count(text.begin(), text.end(), ':');
   if (colons == 1) { // IPv4 with a port
      auto const colon = text.find(':');
      if (!valid_port(text.substr(colon + 1))) {
         return std::nullopt;
      }
      auto address = parse_address(text.substr(0, colon));
      if (!address || !address->is_v4()) {
         return std::nullopt;
      }
      return address;
   }
   return parse_address(text); // IPv4, or IPv6 without brackets as X-Forwarded-For has it
}

void forwarded_for_values(std::string_view header, std::vector<std::string_view>& out) {
   // forwarded-element = [ pair ] *( ";" [ pair ] ), elements separated by ",";
   // pair = token "=" ( token / quoted-string ).
   std::size_t i = 0;
   auto const n = header.size();
   bool element_has_content = false;
   std::string_view element_for; // stays empty unless a usable for= is seen
   auto end_element = [&] {
      if (element_has_content) {
         out.push_back(element_for);
      }
      element_has_content = false;
      element_for = {};
   };
   while (i < n) {
      char const c = header[i];
      if (c == ' ' || c == '\t' || c == ';') {
         ++i;
         continue;
      }
      if (c == ',') {
         end_element();
         ++i;
         continue;
      }
      element_has_content = true;
      auto const key_begin = i;
      while (i < n && header[i] != '=' && header[i] != ';' && header[i] != ',') {
         ++i;
      }
      auto const key = trim(header.substr(key_begin, i - key_begin));
      if (i >= n || header[i] != '=') {
         element_for = {}; // a pair without a value: the element is unusable
         continue;
      }
      ++i; // '='
      std::string_view value;
      bool usable = true;
      if (i < n && header[i] == '"') {
         auto const value_begin = ++i;
         while (i < n && header[i] != '"') {
            if (header[i] == '\\') {
               usable = false; // quoted-pairs never occur in an address
               i = std::min(n, i + 2);
               continue;
            }
            ++i;
         }
         if (i >= n) {
            usable = false; // unterminated
         }
         value = header.substr(value_begin, std::min(i, n) - value_begin);
         i = std::min(n, i + 1);
      } else {
         auto const value_begin = i;
         while (i < n && header[i] != ';' && header[i] != ',' && header[i] != ' ' &&
                header[i] != '\t') {
            ++i;
         }
         value = header.substr(value_begin, i - value_begin);
      }
      if (iequals(key, "for")) {
         element_for = usable ? value : std::string_view{};
      }
   }
   end_element();
}

ip::address resolve_client_address(const ip::address& peer, const trusted_proxies& trusted,
                                   const forwarding_headers& headers) {
   if (trusted.empty() || !trusted.contains(peer)) {
      return unmapped(peer);
   }
   std::vector<std::string_view> hops;
   if (!headers.x_forwarded_for.empty()) {
      for (auto const value : headers.x_forwarded_for) {
         split_list(value, hops);
      }
   } else {
      for (auto const value : headers.forwarded) {
         forwarded_for_values(value, hops);
      }
   }
   auto client = peer; // the last hop known to be real
   for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
      auto const address = parse_forwarded_node(*hop);
      if (!address) {
         break;
      }
      client = *address;
      if (!trusted.contains(client)) {
         break;
      }
   }
   return unmapped(client);
}

} // namespace notify::server
