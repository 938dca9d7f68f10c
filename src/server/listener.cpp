#include "notify/server/listener.hpp"

#include "notify/common/logging.hpp"
#include "notify/server/http_session.hpp"
#include "notify/server/shard.hpp"

namespace notify::server {

namespace {

/// Out of file descriptors (or similar): wait a little instead of spinning on accept.
constexpr std::chrono::milliseconds accept_retry_delay{100};

} // namespace

listener::listener(net::io_context& io, const tcp::endpoint& endpoint, std::vector<shard*> shards,
                   bool reuse_port)
    : acceptor_(io)
    , retry_timer_(io)
    , shards_(std::move(shards)) {
   acceptor_.open(endpoint.protocol());
   acceptor_.set_option(net::socket_base::reuse_address(true));
   if (reuse_port) {
      acceptor_.set_option(net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
   }
   acceptor_.bind(endpoint);
   acceptor_.listen(net::socket_base::max_listen_connections);
}

void listener::start() {
   do_accept();
}

void listener::stop() {
   stopped_ = true;
   error_code ignored;
   acceptor_.close(ignored);
   retry_timer_.cancel();
}

tcp::endpoint listener::local_endpoint() const {
   error_code ec;
   return acceptor_.local_endpoint(ec);
}

void listener::do_accept() {
   auto& target = *shards_[next_shard_];
   next_shard_ = (next_shard_ + 1) % shards_.size();
   acceptor_.async_accept(target.io(),
                          [self = shared_from_this(), &target](error_code ec, tcp::socket socket) {
                             self->on_accept(ec, std::move(socket), target);
                          });
}

void listener::on_accept(error_code ec, tcp::socket socket, shard& target) {
   if (stopped_) {
      return;
   }
   if (ec) {
      static log_rate_limiter limiter;
      if (auto suppressed = limiter.allow()) {
         spdlog::warn("accept failed: {} ({} similar suppressed)", ec.message(), *suppressed);
      }
      retry_timer_.expires_after(accept_retry_delay);
      retry_timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
         if (!wait_ec && !self->stopped_) {
            self->do_accept();
         }
      });
      return;
   }
   target.context().metrics.connections_accepted.add(1);
   error_code ignored;
   socket.set_option(tcp::no_delay(true), ignored);
   // The socket already belongs to its shard's io_context; start its session on that thread.
   net::post(target.io(), [socket = std::move(socket), &target]() mutable {
      if (auto* tls = target.context().tls) {
         std::make_shared<tls_http_session>(
             beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls),
             target)
             ->run();
      } else {
         std::make_shared<http_session>(beast::tcp_stream(std::move(socket)), target)->run();
      }
   });
   do_accept();
}

} // namespace notify::server
