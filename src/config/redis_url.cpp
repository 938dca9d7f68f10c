#include "notify/config/redis_url.hpp"

#include "notify/common/percent_decode.hpp"
#include "notify/common/text.hpp"
#include "notify/config/loader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

namespace notify::config {

namespace {

// Messages never repeat the URL or any part of the credentials: the URL may hold a password.
[[noreturn]] void fail(std::string_view problem) {
   throw config_error("redis.url",
                      std::string(problem) + "; expected redis://[user:password@]host[:port][/db]");
}

std::string lower(std::string_view text) {
   std::string result(text);
   std::transform(result.begin(), result.end(), result.begin(),
                  [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
   return result;
}

std::string decode_credential(std::string_view text) {
   auto decoded = percent_decode(text);
   if (!decoded) {
      fail("the user name or password has a '%' that is not followed by two hex digits");
   }
   if (decoded->find('\0') != std::string::npos) {
      fail("the user name or password contains %00");
   }
   return std::move(*decoded);
}

std::optional<long long> parse_number(std::string_view digits, long long max) {
   long long value = 0;
   auto const* const end = digits.data() + digits.size();
   auto const [stop, error] = std::from_chars(digits.data(), end, value);
   if (digits.empty() || !std::isdigit(static_cast<unsigned char>(digits.front())) ||
       error != std::errc{} || stop != end || value > max) {
      return std::nullopt;
   }
   return value;
}

/// "host[:port]" or "[v6][:port]": sets host, and port when given.
void apply_authority(std::string_view authority, redis::settings& into) {
   std::string_view host;
   std::string_view after_host;
   if (authority.starts_with('[')) {
      auto const close = authority.find(']');
      if (close == authority.npos) {
         fail("the IPv6 address has no closing ']'");
      }
      host = authority.substr(1, close - 1);
      after_host = authority.substr(close + 1);
      if (!is_ipv6_literal(host)) {
         fail("the text in brackets is not an IPv6 address");
      }
   } else {
      auto const colon = authority.find(':');
      host = authority.substr(0, colon);
      after_host = colon == authority.npos ? std::string_view() : authority.substr(colon);
      if (host.empty()) {
         fail("the host is missing");
      }
      if (!is_host_name(host)) {
         fail("the host may hold only letters, digits, '.', '-' and '_' (IPv6 goes in brackets)");
      }
   }
   if (!after_host.empty()) {
      if (!after_host.starts_with(':')) {
         fail("unexpected text after the IPv6 address");
      }
      auto const port = parse_number(after_host.substr(1), 65535);
      if (!port || *port < 1) {
         fail("the port must be an integer between 1 and 65535");
      }
      into.port = static_cast<std::uint16_t>(*port);
   }
   into.host = std::string(host);
}

} // namespace

void apply_redis_url(std::string_view url, redis::settings& into) {
   auto const scheme_end = url.find("://");
   if (scheme_end == url.npos) {
      fail("it must start with redis://");
   }
   auto const scheme = lower(url.substr(0, scheme_end));
   if (scheme == "rediss") {
      fail("TLS (rediss://) is not supported");
   }
   if (scheme != "redis") {
      fail("it must start with redis://");
   }
   auto rest = url.substr(scheme_end + 3);
   if (std::any_of(rest.begin(), rest.end(),
                   [](unsigned char c) { return c <= 0x20 || c == 0x7F; })) {
      fail("it must not contain spaces or control characters");
   }

   // Work on a copy so that a bad URL changes nothing.
   redis::settings result = into;
   // The last '@' ends the credentials: a password may hold an unencoded '@' or '/'.
   if (auto const at = rest.rfind('@'); at != rest.npos) {
      auto const credentials = rest.substr(0, at);
      auto const colon = credentials.find(':');
      if (colon == credentials.npos) {
         fail("credentials must be user:password (redis://:password@host for a password alone)");
      }
      result.username = decode_credential(credentials.substr(0, colon));
      result.password = decode_credential(credentials.substr(colon + 1));
      rest = rest.substr(at + 1);
   }
   if (rest.find_first_of("?#") != rest.npos) {
      fail("query strings and fragments are not supported");
   }
   auto const slash = rest.find('/');
   apply_authority(rest.substr(0, slash), result);
   if (slash != rest.npos && slash + 1 < rest.size()) {
      auto const db = parse_number(rest.substr(slash + 1), std::numeric_limits<int>::max());
      if (!db) {
         fail("the database after '/' must be a non-negative integer");
      }
      result.db = static_cast<int>(*db);
   }
   into = std::move(result);
}

} // namespace notify::config
