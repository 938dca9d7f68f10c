#pragma once

#include "notify/server/compact_address.hpp"
#include "notify/server/credential.hpp"
#include "notify/server/net.hpp"

#include <boost/beast/ssl.hpp>
#include <memory>
#include <optional>

namespace notify::server {

class shard;

/// Reads HTTP requests on a fresh connection: answers /healthz, /readyz and /metrics, and hands
/// a valid WebSocket upgrade of the configured path to a websocket_session. Every stage has a
/// deadline (TLS handshake, first byte, request head, response) and every read a size limit,
/// so a slow or huge request cannot hold a connection open.
///
/// `Stream` is beast::tcp_stream, or beast::ssl_stream over one when the port speaks TLS.
template <class Stream>
class basic_http_session : public std::enable_shared_from_this<basic_http_session<Stream>> {
public:
   basic_http_session(Stream stream, shard& home);
   void run();

private:
   using request = http::request<http::empty_body>;
   using request_parser = http::request_parser<http::empty_body>;
   using response = http::response<http::string_body>;

   /// server.proxy_protocol: the connection's first bytes must be a PROXY header, sent by a
   /// trusted peer; the bytes after it stay in buffer_ for TLS or HTTP.
   void read_proxy_header();
   /// Reads what has come of the header so far, up to its longest length.
   void read_more_proxy_header();
   void on_proxy_header_bytes(error_code ec, std::size_t bytes);
   void refuse_proxy_header(std::string_view reason, std::string_view problem);
   /// TLS handshake (with what is already buffered), or straight to the first request.
   void start_protocol();
   void on_tls_handshake(error_code ec, std::size_t buffered_bytes_used);
   void wait_for_request();
   void on_first_bytes(error_code ec, std::size_t bytes);
   void read_request();
   void on_read(error_code ec);
   void handle_request(const request& req);
   void upgrade(const request& req);
   /// GET /, /stats and /notify-client.js.
   void serve_status_page(std::string_view path, const request& req);
   /// True, with the refusal sent, when the origin, handshake rate or auth lockout rules out
   /// this upgrade.
   bool refuse_by_policy(const request& req, const std::string& client_address);
   /// ?token=, else an Authorization: Bearer token, else the session cookie (auth.cookie_name)
   /// when the request carries it; nullopt: the client has to send an auth message.
   std::optional<credential> credential_of(const request& req) const;
   void send(response&& reply);
   void on_written(error_code ec, bool keep_alive);
   void finish();
   response make_response(http::status status, std::string body, std::string_view content_type,
                          const request& req) const;
   /// The client address of this connection: the TCP peer, or what a trusted proxy's
   /// X-Forwarded-For / Forwarded says (server.trusted_proxies). Empty if the socket is gone.
   compact_address client_address(const request& req);
   /// The client as TCP or the PROXY header says, before any HTTP header is looked at.
   std::optional<net::ip::address> peer_address() const;

   Stream stream_;
   shard& home_;
   beast::flat_buffer buffer_;
   std::optional<request_parser> parser_;
   std::shared_ptr<response> pending_response_;
   /// The source address of the PROXY header; empty without one, or for LOCAL / UNKNOWN.
   std::optional<net::ip::address> proxied_client_;
};

using http_session = basic_http_session<beast::tcp_stream>;
using tls_http_session = basic_http_session<beast::ssl_stream<beast::tcp_stream>>;

} // namespace notify::server
