#pragma once

#include "notify/server/net.hpp"
#include "notify/server/tls_channel.hpp"

#include <memory>
#include <span>
#include <string>

namespace notify::server {

/// The byte stream under a websocket_session: a plain non-blocking socket (written with writev),
/// or a tls_channel offering the same readiness-style calls.
class session_transport {
public:
   explicit session_transport(tcp::socket socket)
       : socket_(std::move(socket)) {}
   explicit session_transport(std::shared_ptr<tls_channel> tls)
       : socket_(tls->get_executor())
       , tls_(std::move(tls)) {}

   net::any_io_executor get_executor() { return socket_.get_executor(); }

   void set_non_blocking(error_code& ec) {
      if (!tls_) {
         socket_.non_blocking(true, ec);
      }
   }

   std::size_t read_some(net::mutable_buffer into, error_code& ec) {
      return tls_ ? tls_->read_some(into, ec) : socket_.read_some(into, ec);
   }

   std::size_t write_some(std::span<const net::const_buffer> buffers, error_code& ec) {
      return tls_ ? tls_->write_some(buffers, ec) : socket_.write_some(buffers, ec);
   }

   template <class Handler> void wait_readable(Handler&& handler) {
      if (tls_) {
         tls_->wait_readable(std::forward<Handler>(handler));
      } else {
         socket_.async_wait(tcp::socket::wait_read, std::forward<Handler>(handler));
      }
   }

   template <class Handler> void wait_writable(Handler&& handler) {
      if (tls_) {
         tls_->wait_writable(std::forward<Handler>(handler));
      } else {
         socket_.async_wait(tcp::socket::wait_write, std::forward<Handler>(handler));
      }
   }

   void shutdown_send() {
      if (tls_) {
         tls_->shutdown_send();
         return;
      }
      error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
   }

   void close() {
      if (tls_) {
         tls_->close();
         return;
      }
      error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
      socket_.close(ignored);
   }

private:
   tcp::socket socket_;
   std::shared_ptr<tls_channel> tls_;
};

} // namespace notify::server
