#include "notify/server/http_session.hpp"

#include "notify/auth/session_cookie.hpp"
#include "notify/common/logging.hpp"
#include "notify/server/embedded_assets.hpp"
#include "notify/server/http_util.hpp"
#include "notify/server/proxy_protocol.hpp"
#include "notify/server/shard.hpp"
#include "notify/server/stats.hpp"
#include "notify/server/tls_channel.hpp"
#include "notify/server/trusted_proxies.hpp"
#include "notify/server/websocket_session.hpp"
#include "notify/ws/handshake.hpp"

#include <nlohmann/json.hpp>

namespace notify::server {

namespace {

constexpr std::size_t max_header_bytes = std::size_t{8} * 1024;
constexpr std::size_t max_body_bytes = 1024;
/// The first read only has to show that a request has started.
constexpr std::size_t first_read_bytes = 1024;

bool is_read_method(http::verb method) {
   return method == http::verb::get || method == http::verb::head;
}

template <class Stream> constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

bool is_timeout(error_code ec) {
   return ec == beast::error::timeout;
}

} // namespace

template <class Stream>
basic_http_session<Stream>::basic_http_session(Stream stream, shard& home)
    : stream_(std::move(stream))
    , home_(home)
    , buffer_(max_header_bytes + max_body_bytes) {}

template <class Stream> void basic_http_session<Stream>::run() {
   if (home_.context().settings.server.proxy_protocol) {
      read_proxy_header();
   } else {
      start_protocol();
   }
}

template <class Stream> void basic_http_session<Stream>::read_proxy_header() {
   auto& tcp = beast::get_lowest_layer(stream_);
   error_code ec;
   auto const peer = tcp.socket().remote_endpoint(ec);
   if (ec) {
      tcp.close();
      return;
   }
   if (!home_.context().trusted_proxies.contains(peer.address())) {
      // Only a load balancer may say who the client is; anyone else bypassed it.
      refuse_proxy_header("untrusted_peer", "peer is not in server.trusted_proxies");
      return;
   }
   // One deadline for the whole header: a proxy sends it at once, a trickle is an attack.
   tcp.expires_after(home_.context().settings.server.request_timeout);
   read_more_proxy_header();
}

template <class Stream> void basic_http_session<Stream>::read_more_proxy_header() {
   beast::get_lowest_layer(stream_).async_read_some(
       buffer_.prepare(max_proxy_header_length - buffer_.size()),
       [self = this->shared_from_this()](error_code ec, std::size_t bytes) {
          self->on_proxy_header_bytes(ec, bytes);
       });
}

template <class Stream>
void basic_http_session<Stream>::on_proxy_header_bytes(error_code ec, std::size_t bytes) {
   buffer_.commit(bytes);
   if (ec) {
      if (is_timeout(ec)) {
         home_.metrics().timeouts.add("proxy_header");
      }
      beast::get_lowest_layer(stream_).close();
      return;
   }
   auto const* data = static_cast<const char*>(buffer_.data().data());
   auto const header = parse_proxy_header({data, buffer_.size()});
   switch (header.result) {
   case proxy_header::status::invalid:
      refuse_proxy_header("invalid", header.problem);
      return;
   case proxy_header::status::need_more:
      if (buffer_.size() >= max_proxy_header_length) {
         refuse_proxy_header("invalid", "longer than the longest header accepted");
         return;
      }
      read_more_proxy_header();
      return;
   case proxy_header::status::complete:
      buffer_.consume(header.length);
      proxied_client_ = header.source;
      start_protocol();
      return;
   }
}

template <class Stream>
void basic_http_session<Stream>::refuse_proxy_header(std::string_view reason,
                                                     std::string_view problem) {
   home_.metrics().proxy_header_rejections.add(reason);
   auto& tcp = beast::get_lowest_layer(stream_);
   static log_rate_limiter limiter;
   if (auto suppressed = limiter.allow()) {
      error_code ec;
      auto const peer = tcp.socket().remote_endpoint(ec);
      spdlog::warn("closed a connection from {}: PROXY protocol header refused ({}); {} more not "
                   "logged",
                   ec ? std::string("?") : unmapped(peer.address()).to_string(), problem,
                   *suppressed);
   }
   // Nothing is answered: the peer does not speak the protocol this port expects.
   tcp.close();
}

template <class Stream> void basic_http_session<Stream>::start_protocol() {
   if constexpr (is_tls<Stream>) {
      beast::get_lowest_layer(stream_).expires_after(
          home_.context().settings.server.handshake_timeout);
      // The ClientHello may have come in with the PROXY header: hand it to the TLS engine.
      stream_.async_handshake(net::ssl::stream_base::server, buffer_.data(),
                              [self = this->shared_from_this()](error_code ec, std::size_t used) {
                                 self->on_tls_handshake(ec, used);
                              });
   } else {
      wait_for_request();
   }
}

template <class Stream>
void basic_http_session<Stream>::on_tls_handshake(error_code ec, std::size_t buffered_bytes_used) {
   buffer_.consume(buffered_bytes_used);
   if (ec) {
      if (is_timeout(ec)) {
         home_.metrics().timeouts.add("handshake");
      }
      // Not a TLS client, or a broken one: there is no channel to say anything on.
      beast::get_lowest_layer(stream_).close();
      return;
   }
   wait_for_request();
}

template <class Stream> void basic_http_session<Stream>::wait_for_request() {
   if (buffer_.size() > 0) {
      read_request(); // a pipelined request is already here
      return;
   }
   beast::get_lowest_layer(stream_).expires_after(home_.context().settings.server.request_timeout);
   stream_.async_read_some(buffer_.prepare(first_read_bytes),
                           [self = this->shared_from_this()](error_code ec, std::size_t bytes) {
                              self->on_first_bytes(ec, bytes);
                           });
}

template <class Stream>
void basic_http_session<Stream>::on_first_bytes(error_code ec, std::size_t bytes) {
   buffer_.commit(bytes);
   if (ec && bytes == 0) {
      if (is_timeout(ec)) {
         home_.metrics().timeouts.add("request");
      }
      finish();
      return;
   }
   read_request();
}

template <class Stream> void basic_http_session<Stream>::read_request() {
   parser_.emplace();
   parser_->header_limit(max_header_bytes);
   parser_->body_limit(max_body_bytes);
   beast::get_lowest_layer(stream_).expires_after(home_.context().settings.server.header_timeout);
   http::async_read(
       stream_, buffer_, *parser_,
       [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
}

template <class Stream> void basic_http_session<Stream>::on_read(error_code ec) {
   if (is_timeout(ec)) {
      // A request head that trickles in (slowloris) is cut off at the header deadline; the
      // stream has closed the socket already (like nginx, no 408 is sent).
      home_.metrics().timeouts.add("header");
      return;
   }
   if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
       ec == net::error::eof) {
      finish();
      return;
   }
   if (ec) {
      // A malformed or oversized request: say so if the socket still takes it, then close.
      request none;
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

template <class Stream>
typename basic_http_session<Stream>::response
basic_http_session<Stream>::make_response(http::status status, std::string body,
                                          std::string_view content_type, const request& req) const {
   response reply{status, req.version()};
   reply.set(http::field::server, "notify-gateway");
   reply.set(http::field::content_type, content_type);
   reply.set(http::field::cache_control, "no-store");
   reply.keep_alive(req.keep_alive() && !home_.context().shutting_down.load());
   if (req.method() != http::verb::head) {
      reply.body() = std::move(body);
      reply.prepare_payload();
   } else {
      reply.content_length(body.size());
   }
   return reply;
}

template <class Stream> void basic_http_session<Stream>::handle_request(const request& req) {
   auto& context = home_.context();
   auto const path = target_path(req.target());
   bool const page_path = path == "/" || path == "/stats" || path == "/notify-client.js";
   bool const known = path == "/healthz" || path == "/readyz" || path == "/metrics" ||
                      path == context.settings.server.websocket_path ||
                      (page_path && context.settings.server.status_page);
   if (!known) {
      send(make_response(http::status::not_found, "not found\n", "text/plain", req));
      return;
   }
   if (!is_read_method(req.method()) ||
       (path == context.settings.server.websocket_path && req.method() != http::verb::get)) {
      auto reply = make_response(http::status::method_not_allowed, "method not allowed\n",
                                 "text/plain", req);
      reply.set(http::field::allow,
                path == context.settings.server.websocket_path ? "GET" : "GET, HEAD");
      send(std::move(reply));
      return;
   }
   if (path == "/healthz") {
      send(make_response(http::status::ok,
                         R"({"status":"ok"})"
                         "\n",
                         "application/json", req));
      return;
   }
   if (path == "/readyz") {
      if (context.shutting_down.load()) {
         send(make_response(http::status::service_unavailable,
                            R"({"status":"not_ready","reason":"shutting down"})"
                            "\n",
                            "application/json", req));
         return;
      }
      if (context.ready.ready()) {
         send(make_response(http::status::ok,
                            R"({"status":"ready"})"
                            "\n",
                            "application/json", req));
         return;
      }
      nlohmann::json body = {{"status", "not_ready"}, {"reason", context.ready.reason()}};
      send(make_response(http::status::service_unavailable, body.dump() + "\n", "application/json",
                         req));
      return;
   }
   if (path == "/metrics") {
      send(make_response(http::status::ok, metrics::render_prometheus(context.metrics),
                         "text/plain; version=0.0.4; charset=utf-8", req));
      return;
   }
   if (page_path) {
      serve_status_page(path, req);
      return;
   }
   upgrade(req);
}

template <class Stream>
void basic_http_session<Stream>::serve_status_page(std::string_view path, const request& req) {
   if (path == "/stats") {
      send(make_response(http::status::ok, render_stats(home_.context()) + "\n", "application/json",
                         req));
      return;
   }
   bool const page = path == "/";
   auto reply =
       make_response(http::status::ok, std::string(page ? status_page_html() : notify_client_js()),
                     page ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8", req);
   reply.set("X-Content-Type-Options", "nosniff");
   if (!page) {
      // Pages on other origins import the client straight from the gateway (a module script
      // import is a CORS request); the file is public and carries no credentials.
      reply.set(http::field::access_control_allow_origin, "*");
   }
   if (page) {
      // Everything the page needs is inline or from this origin; nothing may frame it.
      reply.set("Content-Security-Policy",
                "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; "
                "connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'");
   }
   send(std::move(reply));
}

template <class Stream>
std::optional<net::ip::address> basic_http_session<Stream>::peer_address() const {
   if (proxied_client_) {
      return proxied_client_;
   }
   error_code ec;
   auto const endpoint = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
   if (ec) {
      return std::nullopt;
   }
   return endpoint.address();
}

template <class Stream>
compact_address basic_http_session<Stream>::client_address(const request& req) {
   auto const peer = peer_address();
   if (!peer) {
      return {};
   }
   auto const& trusted = home_.context().trusted_proxies;
   if (trusted.empty() || !trusted.contains(*peer)) {
      return compact_address(unmapped(*peer));
   }
   // A request has a handful of these at most: the header size limit bounds them.
   std::vector<std::string_view> x_forwarded_for;
   std::vector<std::string_view> forwarded;
   for (auto const& field : req) {
      if (beast::iequals(field.name_string(), "x-forwarded-for")) {
         x_forwarded_for.push_back(field.value());
      } else if (field.name() == http::field::forwarded) {
         forwarded.push_back(field.value());
      }
   }
   return compact_address(resolve_client_address(*peer, trusted, {x_forwarded_for, forwarded}));
}

namespace {

bool origin_allowed(const std::vector<std::string>& allowed, std::string_view origin) {
   if (allowed.empty()) {
      return true;
   }
   return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& entry) {
      return entry == "*" || beast::iequals(entry, origin);
   });
}

} // namespace

template <class Stream>
bool basic_http_session<Stream>::refuse_by_policy(const request& req, const std::string& address) {
   auto& context = home_.context();
   auto const now = steady_clock::now();
   if (!context.handshakes_per_ip.try_take(address, now)) {
      home_.metrics().refused_connections.add("handshake_rate");
      auto reply = make_response(http::status::too_many_requests,
                                 "too many handshakes from this address\n", "text/plain", req);
      reply.set(http::field::retry_after,
                std::to_string(context.handshakes_per_ip.seconds_until_next(address, now)));
      send(std::move(reply));
      return true;
   }
   // Browsers always send Origin; a page on another site must not ride on its visitors' cookies
   // or tokens (cross-site WebSocket hijacking). Other clients send none and are let through,
   // also with a session cookie: no page can make a browser send a WebSocket upgrade without
   // Origin, so such a request comes from a program that holds the cookie itself.
   auto const origin = req[http::field::origin];
   if (req.count(http::field::origin) > 0 &&
       !origin_allowed(context.settings.server.allowed_origins, origin)) {
      home_.metrics().refused_connections.add("origin");
      send(make_response(http::status::forbidden, "origin not allowed\n", "text/plain", req));
      return true;
   }
   if (context.auth_failures_per_ip.tracking_any()) {
      auto const locked = context.auth_failures_per_ip.locked_for(address, now);
      if (locked.count() > 0) {
         home_.metrics().refused_connections.add("auth_lockout");
         auto reply = make_response(http::status::too_many_requests,
                                    "too many failed authentications from this address\n",
                                    "text/plain", req);
         reply.set(http::field::retry_after, std::to_string(locked.count()));
         send(std::move(reply));
         return true;
      }
   }
   return false;
}

template <class Stream> void basic_http_session<Stream>::upgrade(const request& req) {
   if (home_.context().shutting_down.load()) {
      send(make_response(http::status::service_unavailable, "shutting down\n", "text/plain", req));
      return;
   }
   if (!header_lists_token(req[http::field::upgrade], "websocket") ||
       !header_lists_token(req[http::field::connection], "upgrade")) {
      auto reply = make_response(http::status::upgrade_required,
                                 "this endpoint speaks WebSocket only\n", "text/plain", req);
      reply.set(http::field::upgrade, "websocket");
      reply.set(http::field::connection, "Upgrade");
      send(std::move(reply));
      return;
   }
   if (req[http::field::sec_websocket_version] != "13") {
      auto reply = make_response(http::status::upgrade_required, "unsupported WebSocket version\n",
                                 "text/plain", req);
      reply.set(http::field::sec_websocket_version, "13");
      send(std::move(reply));
      return;
   }
   auto accept = ws::accept_key_for(req[http::field::sec_websocket_key]);
   if (!accept || req.version() < 11) {
      auto reply =
          make_response(http::status::bad_request, "bad WebSocket handshake\n", "text/plain", req);
      reply.keep_alive(false);
      send(std::move(reply));
      return;
   }
   auto& context = home_.context();
   auto const& limits = context.settings.limits;
   // Always resolved: the session logs it, and lockout may start tracking it later.
   auto const client = client_address(req);
   // The one text of it that every per-address table is keyed by.
   auto const address = client.to_string();
   if (refuse_by_policy(req, address)) {
      return;
   }
   if (limits.max_connections > 0 &&
       static_cast<std::size_t>(std::max<std::int64_t>(
           context.metrics.total(&metrics::shard_metrics::connections), 0)) >=
           limits.max_connections) {
      home_.metrics().refused_connections.add("total");
      send(make_response(http::status::service_unavailable, "connection limit reached\n",
                         "text/plain", req));
      return;
   }
   bool const holds_per_ip_slot = limits.max_connections_per_ip > 0;
   if (holds_per_ip_slot) {
      if (address.empty() ||
          !context.connections_per_ip.try_acquire(address, limits.max_connections_per_ip)) {
         home_.metrics().refused_connections.add("per_ip");
         send(make_response(http::status::too_many_requests,
                            "too many connections from this address\n", "text/plain", req));
         return;
      }
   }
   auto presented = credential_of(req);
   // The 101 goes out through the connection's own ordered queue: with a JWT in the URL it
   // leaves together with auth_ok in one write.
   std::string switching;
   switching.reserve(160);
   switching
       .append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: ")
       .append(*accept)
       .append("\r\n\r\n");
   beast::get_lowest_layer(stream_).expires_never();
   auto early = buffer_.data();
   std::string_view const early_input(static_cast<const char*>(early.data()), early.size());
   auto transport = [&] {
      if constexpr (is_tls<Stream>) {
         return session_transport(std::make_shared<tls_channel>(std::move(stream_)));
      } else {
         return session_transport(stream_.release_socket());
      }
   }();
   auto session =
       std::make_shared<websocket_session>(std::move(transport), home_, client, holds_per_ip_slot);
   delivery_options options;
   options.envelope = query_parameter(req.target(), "format") == "envelope";
   options.resume_user = query_parameter(req.target(), "resume_user");
   options.resume_global = query_parameter(req.target(), "resume_global");
   session->start(std::make_shared<const std::string>(std::move(switching)), early_input,
                  std::move(presented), std::move(options));
}

template <class Stream>
std::optional<credential> basic_http_session<Stream>::credential_of(const request& req) const {
   // A token is what the client chose; the cookie comes along by itself, so it is the fallback.
   if (auto token = query_parameter(req.target(), "token")) {
      return credential{credential::kind::token, std::move(*token)};
   }
   if (auto bearer = bearer_token(req[http::field::authorization])) {
      return credential{credential::kind::token, std::string(*bearer)};
   }
   auto const& cookie_name = home_.context().settings.auth.cookie_name;
   if (cookie_name.empty() || req.count(http::field::cookie) == 0) {
      return std::nullopt;
   }
   // Several Cookie headers (HTTP/2 splits them) read as one, joined like RFC 9113 says.
   std::string cookies;
   for (auto [field, end] = req.equal_range(http::field::cookie); field != end; ++field) {
      if (!cookies.empty()) {
         cookies += "; ";
      }
      cookies += field->value();
   }
   // Without our cookie the client may still send an auth message, as without cookies at all.
   if (auth::find_cookie(cookies, cookie_name).state == auth::found_cookie::state::absent) {
      return std::nullopt;
   }
   return credential{credential::kind::session_cookie, std::move(cookies)};
}

template <class Stream> void basic_http_session<Stream>::send(response&& reply) {
   bool const keep_alive = reply.keep_alive();
   pending_response_ = std::make_shared<response>(std::move(reply));
   beast::get_lowest_layer(stream_).expires_after(
       home_.context().settings.server.handshake_timeout);
   http::async_write(stream_, *pending_response_,
                     [self = this->shared_from_this(), keep_alive](error_code ec, std::size_t) {
                        self->on_written(ec, keep_alive);
                     });
}

template <class Stream>
void basic_http_session<Stream>::on_written(error_code ec, bool keep_alive) {
   pending_response_.reset();
   if (ec || !keep_alive) {
      finish();
      return;
   }
   wait_for_request();
}

template <class Stream> void basic_http_session<Stream>::finish() {
   // FIN rather than close: a close with unread input would send a reset that can overtake
   // the response. The socket closes when the last handler lets go of the session.
   error_code ignored;
   beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
}

template class basic_http_session<beast::tcp_stream>;
template class basic_http_session<beast::ssl_stream<beast::tcp_stream>>;

} // namespace notify::server
