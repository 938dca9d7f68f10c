#include "support/http_get.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace notify::test {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

http_response http_request(std::uint16_t port, const std::string& method, const std::string& target,
                           const header_list& headers, std::chrono::milliseconds timeout) {
   http_response result;
   net::io_context ioc;
   boost::beast::tcp_stream stream(ioc);
   // One deadline for the whole exchange: the stream closes itself when it passes.
   stream.expires_after(timeout);

   http::request<http::empty_body> request;
   request.method_string(method);
   request.target(target);
   request.version(11);
   request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
   request.set(http::field::connection, "close");
   for (const auto& [name, value] : headers) {
      request.set(name, value);
   }

   boost::beast::flat_buffer buffer;
   http::response_parser<http::string_body> parser;
   parser.body_limit(64 * 1024 * 1024);
   if (method == "HEAD") {
      parser.skip(true);
   }
   boost::system::error_code failure;

   auto on_read = [&](boost::system::error_code ec, std::size_t) { failure = ec; };
   auto on_write = [&](boost::system::error_code ec, std::size_t) {
      if (ec) {
         failure = ec;
         return;
      }
      http::async_read(stream, buffer, parser, on_read);
   };
   auto on_connect = [&](boost::system::error_code ec) {
      if (ec) {
         failure = ec;
         return;
      }
      http::async_write(stream, request, on_write);
   };
   stream.async_connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port), on_connect);
   ioc.run();

   if (failure || !parser.is_done()) {
      result.body = failure ? failure.message() : "incomplete response";
      return result;
   }
   const auto& response = parser.get();
   result.status = response.result_int();
   result.body = response.body();
   if (auto it = response.find(http::field::content_type); it != response.end()) {
      result.content_type = std::string(it->value());
   }
   for (const auto& field : response) {
      result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
   }
   return result;
}

http_response http_get(std::uint16_t port, const std::string& target,
                       std::chrono::milliseconds timeout) {
   return http_request(port, "GET", target, {}, timeout);
}

} // namespace notify::test
