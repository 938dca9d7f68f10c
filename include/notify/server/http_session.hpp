#pragma once

#include "notify/server/net.hpp"

#include <memory>
#include <optional>

namespace notify::server {

class shard;

/// Reads plain HTTP requests on a fresh connection: answers /healthz, /readyz and /metrics, and
/// hands a valid WebSocket upgrade of the configured path to a websocket_session. Every read has
/// a deadline and a size limit, so a slow or huge request cannot hold a connection open.
class http_session : public std::enable_shared_from_this<http_session> {
public:
   http_session(tcp::socket socket, shard& home);
   void run();

private:
   using request_parser = http::request_parser<http::empty_body>;
   using response = http::response<http::string_body>;

   void do_read();
   void on_read(error_code ec);
   void handle_request(const http::request<http::empty_body>& request);
   void upgrade(const http::request<http::empty_body>& request);
   void send(response&& reply);
   void on_written(error_code ec, bool keep_alive);
   response make_response(http::status status, std::string body, std::string_view content_type,
                          const http::request<http::empty_body>& request) const;

   beast::tcp_stream stream_;
   shard& home_;
   beast::flat_buffer buffer_;
   std::optional<request_parser> parser_;
   std::shared_ptr<response> pending_response_;
};

} // namespace notify::server
