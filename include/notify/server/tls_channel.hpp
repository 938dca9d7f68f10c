#pragma once

#include "notify/server/net.hpp"

#include <boost/beast/ssl.hpp>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace notify::server {

/// A TLS connection seen the way websocket_session sees a plain socket: non-blocking
/// read_some/write_some that say would_block, and waits for "readable" / "writable".
///
/// Asio's SSL stream only offers asynchronous operations (a synchronous write on a non-blocking
/// socket could lose encrypted bytes half-way), so this keeps one read and one write in flight
/// behind that interface: decrypted input waits in a small buffer, and a write copies the
/// queued frames into one buffer to encrypt (TLS encrypts per connection anyway, so the shared
/// frame bytes cannot be sent as they are). Owned through shared_ptr: its operations keep it
/// alive until they complete.
class tls_channel : public std::enable_shared_from_this<tls_channel> {
public:
   using stream_type = beast::ssl_stream<beast::tcp_stream>;
   using wait_handler = std::function<void(error_code)>;

   explicit tls_channel(stream_type stream);

   net::any_io_executor get_executor() { return stream_.get_executor(); }
   tcp::socket& socket() { return beast::get_lowest_layer(stream_).socket(); }

   std::size_t read_some(net::mutable_buffer into, error_code& ec);
   void wait_readable(wait_handler handler);
   std::size_t write_some(std::span<const net::const_buffer> buffers, error_code& ec);
   void wait_writable(wait_handler handler);
   /// Sends FIN once what was written has left (no close_notify: the WebSocket close frame has
   /// already ended the conversation).
   void shutdown_send();
   void close();

private:
   void start_read();
   void on_read(error_code ec, std::size_t bytes);
   void on_written(error_code ec);

   stream_type stream_;
   std::vector<char> inbound_;
   std::size_t inbound_begin_ = 0;
   std::size_t inbound_end_ = 0;
   error_code read_error_;
   bool reading_ = false;
   wait_handler read_waiter_;
   std::string outbound_;
   error_code write_error_;
   bool writing_ = false;
   bool shutdown_requested_ = false;
   wait_handler write_waiter_;
};

} // namespace notify::server
