#include "notify/server/http_session.hpp"

#include "notify/server/http_util.hpp"
#include "notify/server/shard.hpp"
#include "notify/server/websocket_session.hpp"
#include "notify/ws/handshake.hpp"

#include <nlohmann/json.hpp>

namespace notify::server {

namespace {

constexpr std::size_t max_header_bytes = std::size_t{8} * 1024;
constexpr std::size_t max_body_bytes = 1024;

bool is_read_method(http::verb method) {
   return method == http::verb::get || method == http::verb::head;
}

} // namespace

http_session::http_session(tcp::socket socket, shard& home)
    : stream_(std::move(socket))
    , home_(home)
    , buffer_(max_header_bytes + max_body_bytes) {}

void http_session::run() {
   do_read();
}

void http_session::do_read() {
   parser_.emplace();
   parser_->header_limit(max_header_bytes);
   parser_->body_limit(max_body_bytes);
   stream_.expires_after(home_.context().settings.server.handshake_timeout);
   http::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
}

void http_session::on_read(error_code ec) {
   if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
       ec == net::error::operation_aborted) {
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      return;
   }
   if (ec) {
      // A malformed or oversized request: say so if the socket still takes it, then close.
      http::request<http::empty_body> none;
      none.version(11);
      none.keep_alive(false);
      auto const status = ec == http::error::header_limit || ec == http::error::body_limit
                              ? http::status::request_header_fields_too_large
                              : http::status::bad_request;
      send(make_response(status, "bad request\n", "text/plain", none));
      return;
   }
   handle_request(parser_->get());
}

http_session::response
http_session::make_response(http::status status, std::string body, std::string_view content_type,
                            const http::request<http::empty_body>& request) const {
   response reply{status, request.version()};
   reply.set(http::field::server, "notify-gateway");
   reply.set(http::field::content_type, content_type);
   reply.set(http::field::cache_control, "no-store");
   reply.keep_alive(request.keep_alive() && !home_.context().shutting_down.load());
   if (request.method() != http::verb::head) {
      reply.body() = std::move(body);
      reply.prepare_payload();
   } else {
      reply.content_length(body.size());
   }
   return reply;
}

void http_session::handle_request(const http::request<http::empty_body>& request) {
   auto& context = home_.context();
   auto const path = target_path(request.target());
   bool const known = path == "/healthz" || path == "/readyz" || path == "/metrics" ||
                      path == context.settings.server.websocket_path;
   if (!known) {
      send(make_response(http::status::not_found, "not found\n", "text/plain", request));
      return;
   }
   if (!is_read_method(request.method()) ||
       (path == context.settings.server.websocket_path && request.method() != http::verb::get)) {
      auto reply = make_response(http::status::method_not_allowed, "method not allowed\n",
                                 "text/plain", request);
      reply.set(http::field::allow,
                path == context.settings.server.websocket_path ? "GET" : "GET, HEAD");
      send(std::move(reply));
      return;
   }
   if (path == "/healthz") {
      send(make_response(http::status::ok,
                         R"({"status":"ok"})"
                         "\n",
                         "application/json", request));
      return;
   }
   if (path == "/readyz") {
      if (context.shutting_down.load()) {
         send(make_response(http::status::service_unavailable,
                            R"({"status":"not_ready","reason":"shutting down"})"
                            "\n",
                            "application/json", request));
         return;
      }
      if (context.ready.ready()) {
         send(make_response(http::status::ok,
                            R"({"status":"ready"})"
                            "\n",
                            "application/json", request));
         return;
      }
      nlohmann::json body = {{"status", "not_ready"}, {"reason", context.ready.reason()}};
      send(make_response(http::status::service_unavailable, body.dump() + "\n", "application/json",
                         request));
      return;
   }
   if (path == "/metrics") {
      send(make_response(http::status::ok, metrics::render_prometheus(context.metrics),
                         "text/plain; version=0.0.4; charset=utf-8", request));
      return;
   }
   upgrade(request);
}

void http_session::upgrade(const http::request<http::empty_body>& request) {
   if (home_.context().shutting_down.load()) {
      send(make_response(http::status::service_unavailable, "shutting down\n", "text/plain",
                         request));
      return;
   }
   if (!header_lists_token(request[http::field::upgrade], "websocket") ||
       !header_lists_token(request[http::field::connection], "upgrade")) {
      auto reply = make_response(http::status::upgrade_required,
                                 "this endpoint speaks WebSocket only\n", "text/plain", request);
      reply.set(http::field::upgrade, "websocket");
      reply.set(http::field::connection, "Upgrade");
      send(std::move(reply));
      return;
   }
   if (request[http::field::sec_websocket_version] != "13") {
      auto reply = make_response(http::status::upgrade_required, "unsupported WebSocket version\n",
                                 "text/plain", request);
      reply.set(http::field::sec_websocket_version, "13");
      send(std::move(reply));
      return;
   }
   auto accept = ws::accept_key_for(request[http::field::sec_websocket_key]);
   if (!accept || request.version() < 11) {
      auto reply = make_response(http::status::bad_request, "bad WebSocket handshake\n",
                                 "text/plain", request);
      reply.keep_alive(false);
      send(std::move(reply));
      return;
   }
   auto& context = home_.context();
   auto const& limits = context.settings.limits;
   if (limits.max_connections > 0 &&
       static_cast<std::size_t>(std::max<std::int64_t>(context.metrics.connections.value(), 0)) >=
           limits.max_connections) {
      context.metrics.refused_connections.add("total");
      send(make_response(http::status::service_unavailable, "connection limit reached\n",
                         "text/plain", request));
      return;
   }
   std::string client_address;
   if (limits.max_connections_per_ip > 0) {
      error_code ec;
      client_address = stream_.socket().remote_endpoint(ec).address().to_string();
      if (ec ||
          !context.connections_per_ip.try_acquire(client_address, limits.max_connections_per_ip)) {
         context.metrics.refused_connections.add("per_ip");
         send(make_response(http::status::too_many_requests,
                            "too many connections from this address\n", "text/plain", request));
         return;
      }
   }
   std::optional<std::string> token = query_parameter(request.target(), "token");
   if (!token) {
      if (auto bearer = bearer_token(request[http::field::authorization])) {
         token = std::string(*bearer);
      }
   }
   // The 101 goes out through the connection's own ordered queue: with a JWT in the URL it
   // leaves together with auth_ok in one write.
   std::string switching;
   switching.reserve(160);
   switching
       .append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: ")
       .append(*accept)
       .append("\r\n\r\n");
   stream_.expires_never();
   auto early = buffer_.data();
   std::string_view const early_input(static_cast<const char*>(early.data()), early.size());
   auto session = std::make_shared<websocket_session>(stream_.release_socket(), home_,
                                                      std::move(client_address));
   session->start(std::make_shared<const std::string>(std::move(switching)), early_input,
                  std::move(token));
}

void http_session::send(response&& reply) {
   bool const keep_alive = reply.keep_alive();
   pending_response_ = std::make_shared<response>(std::move(reply));
   stream_.expires_after(home_.context().settings.server.handshake_timeout);
   http::async_write(stream_, *pending_response_,
                     [self = shared_from_this(), keep_alive](error_code ec, std::size_t) {
                        self->on_written(ec, keep_alive);
                     });
}

void http_session::on_written(error_code ec, bool keep_alive) {
   pending_response_.reset();
   if (ec || !keep_alive) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
   }
   do_read();
}

} // namespace notify::server
