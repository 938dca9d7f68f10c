#include "client_handshake.hpp"

#include "notify/common/text.hpp"

#include <charconv>

namespace notify::bench {

namespace {

int status_code(std::string_view status_line) {
   // "HTTP/1.1 101 Switching Protocols"
   if (!status_line.starts_with("HTTP/1.")) {
      return 0;
   }
   auto const space = status_line.find(' ');
   if (space == std::string_view::npos || status_line.size() < space + 4) {
      return 0;
   }
   int code = 0;
   char const* first = status_line.data() + space + 1;
   auto const [end, error] = std::from_chars(first, first + 3, code);
   return error == std::errc() && end == first + 3 ? code : 0;
}

} // namespace

std::string make_upgrade_request(std::string_view host_header, std::string_view target,
                                 std::string_view key) {
   std::string request;
   request.reserve(160 + target.size());
   request.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host_header);
   request.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
   request.append(key).append("\r\nSec-WebSocket-Version: 13\r\n\r\n");
   return request;
}

std::string target_with_token(std::string_view target, std::string_view token) {
   std::string out(target);
   out += target.find('?') == std::string_view::npos ? '?' : '&';
   out.append("token=").append(token);
   return out;
}

upgrade_reply parse_upgrade_reply(std::string_view bytes, std::string_view expected_accept,
                                  std::size_t max_header_bytes) {
   upgrade_reply reply;
   auto const end = bytes.find("\r\n\r\n");
   if (end == std::string_view::npos) {
      if (bytes.size() > max_header_bytes) {
         reply.status = upgrade_status::refused;
      }
      return reply;
   }
   reply.header_bytes = end + 4;
   reply.status = upgrade_status::refused;
   std::string_view header = bytes.substr(0, end + 2);
   auto line_end = header.find("\r\n");
   reply.http_status = status_code(header.substr(0, line_end));
   if (reply.http_status != 101 || reply.header_bytes > max_header_bytes) {
      return reply;
   }
   header.remove_prefix(line_end + 2);
   bool accept_ok = false;
   while ((line_end = header.find("\r\n")) != std::string_view::npos) {
      std::string_view const line = header.substr(0, line_end);
      header.remove_prefix(line_end + 2);
      auto const colon = line.find(':');
      if (colon == std::string_view::npos) {
         continue;
      }
      if (equals_ignoring_case(trim_whitespace(line.substr(0, colon)), "sec-websocket-accept")) {
         accept_ok = trim_whitespace(line.substr(colon + 1)) == expected_accept;
      }
   }
   if (accept_ok) {
      reply.status = upgrade_status::accepted;
   }
   return reply;
}

} // namespace notify::bench
