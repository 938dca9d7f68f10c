#pragma once

#include "notify/server/net.hpp"

#include <functional>
#include <memory>

namespace notify::server {

class shard;

/// Accepts TCP connections on one executor and places each straight onto the next shard, where
/// it lives for good (round-robin).
class listener : public std::enable_shared_from_this<listener> {
public:
   /// Throws boost::system::system_error when the address cannot be bound.
   /// `reuse_port`: SO_REUSEPORT, so several gateway processes share the port and the kernel
   /// spreads new connections over them (each process has its own open-file limit).
   listener(net::io_context& io, const tcp::endpoint& endpoint, std::vector<shard*> shards,
            bool reuse_port = false);
   void start();
   void stop();
   tcp::endpoint local_endpoint() const;

private:
   void do_accept();
   void on_accept(error_code ec, tcp::socket socket, shard& target);

   tcp::acceptor acceptor_;
   net::steady_timer retry_timer_;
   std::vector<shard*> shards_;
   std::size_t next_shard_ = 0;
   bool stopped_ = false;
};

} // namespace notify::server
