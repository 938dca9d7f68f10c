#include "notify/server/tls_channel.hpp"

#include <algorithm>
#include <cstring>

namespace notify::server {

namespace {

/// Decrypted input waiting for the session; small, since clients send little.
constexpr std::size_t inbound_bytes = 4096;
/// One write takes at most this much plaintext (four full TLS records).
constexpr std::size_t max_outbound_bytes = std::size_t{64} * 1024;

} // namespace

tls_channel::tls_channel(stream_type stream)
    : stream_(std::move(stream)) {}

std::size_t tls_channel::read_some(net::mutable_buffer into, error_code& ec) {
   ec = {};
   if (inbound_begin_ < inbound_end_) {
      auto const bytes = std::min(into.size(), inbound_end_ - inbound_begin_);
      std::memcpy(into.data(), inbound_.data() + inbound_begin_, bytes);
      inbound_begin_ += bytes;
      return bytes;
   }
   if (read_error_) {
      ec = read_error_;
      return 0;
   }
   ec = net::error::would_block;
   start_read();
   return 0;
}

void tls_channel::wait_readable(wait_handler handler) {
   if (inbound_begin_ < inbound_end_ || read_error_) {
      net::post(get_executor(), [handler = std::move(handler)] { handler({}); });
      return;
   }
   read_waiter_ = std::move(handler);
   start_read();
}

void tls_channel::start_read() {
   if (reading_ || read_error_) {
      return;
   }
   reading_ = true;
   inbound_.resize(inbound_bytes);
   stream_.async_read_some(
       net::buffer(inbound_),
       [self = shared_from_this()](error_code ec, std::size_t bytes) { self->on_read(ec, bytes); });
}

void tls_channel::on_read(error_code ec, std::size_t bytes) {
   reading_ = false;
   inbound_begin_ = 0;
   inbound_end_ = bytes;
   if (ec && bytes == 0) {
      read_error_ = ec;
   }
   if (auto waiter = std::exchange(read_waiter_, nullptr)) {
      // The session reads the error itself through read_some; aborts are passed on so that a
      // closed session stops waiting.
      waiter(ec == net::error::operation_aborted ? ec : error_code{});
   }
}

std::size_t tls_channel::write_some(std::span<const net::const_buffer> buffers, error_code& ec) {
   ec = {};
   if (write_error_) {
      ec = write_error_;
      return 0;
   }
   if (writing_) {
      ec = net::error::would_block;
      return 0;
   }
   outbound_.clear();
   for (auto const& buffer : buffers) {
      auto const room = max_outbound_bytes - outbound_.size();
      auto const bytes = std::min(buffer.size(), room);
      outbound_.append(static_cast<const char*>(buffer.data()), bytes);
      if (bytes < buffer.size()) {
         break;
      }
   }
   if (outbound_.empty()) {
      return 0;
   }
   writing_ = true;
   net::async_write(stream_, net::buffer(outbound_),
                    [self = shared_from_this()](error_code write_ec, std::size_t) {
                       self->on_written(write_ec);
                    });
   return outbound_.size();
}

void tls_channel::wait_writable(wait_handler handler) {
   if (!writing_) {
      net::post(get_executor(), [handler = std::move(handler), ec = write_error_] { handler(ec); });
      return;
   }
   write_waiter_ = std::move(handler);
}

void tls_channel::on_written(error_code ec) {
   writing_ = false;
   write_error_ = ec;
   if (outbound_.capacity() > max_outbound_bytes / 4 && !ec) {
      std::string().swap(outbound_); // an idle connection keeps no big buffer
   }
   if (shutdown_requested_) {
      shutdown_send();
   }
   if (auto waiter = std::exchange(write_waiter_, nullptr)) {
      waiter(ec);
   }
}

void tls_channel::shutdown_send() {
   shutdown_requested_ = true;
   if (writing_) {
      return;
   }
   error_code ignored;
   socket().shutdown(tcp::socket::shutdown_send, ignored);
}

void tls_channel::close() {
   error_code ignored;
   socket().shutdown(tcp::socket::shutdown_both, ignored);
   socket().close(ignored);
}

} // namespace notify::server
