#pragma once

// N client connections as U users (connection i is user i % U): starts their handshakes with a
// bound on how many are in flight, spreads their source addresses over 127.0.0.x, expires
// handshakes that take too long, and keeps the counts the scenarios need.

#include "client_connection.hpp"
#include "event_loop.hpp"
#include "options.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <vector>

namespace notify::bench {

struct pool_counters {
   std::size_t authenticated = 0; ///< ever reached open
   std::size_t open = 0;          ///< open now
   std::size_t disconnected = 0;  ///< were open, then ended
   std::size_t failed = 0;        ///< ended before auth_ok
   std::array<std::size_t, end_reason_count> ended_by_reason{};
   std::uint16_t last_close_code = 0; ///< of the last connection that ended with a close frame
   std::int64_t last_authenticated_ns = 0;
};

class connection_pool {
public:
   /// Resolves the server address; throws std::runtime_error when it cannot.
   connection_pool(event_loop& loop, message_sink& sink, const bench_options& options);
   ~connection_pool();
   connection_pool(const connection_pool&) = delete;
   connection_pool& operator=(const connection_pool&) = delete;

   /// Queues `count` more connections; their handshakes start as slots free up, until one
   /// handshake times out (then handshakes_pending() stays true until drop_queued()).
   void add(std::size_t count, std::int64_t now_ns);
   /// Dispatches one epoll event for a connection (tags are connection indexes).
   void on_event(std::uint64_t tag, std::uint32_t events, std::int64_t now_ns);
   /// Starts queued handshakes and expires stuck ones; call now and then.
   void poll(std::int64_t now_ns);
   /// Gives up on connections whose handshake has not started: once the server stops
   /// accepting, each would only wait for its timeout. Returns how many were dropped.
   std::size_t drop_queued();
   /// Ends every connection.
   void close_all();

   bool handshakes_pending() const {
      return next_to_start_ < connections_.size() || in_flight_ > 0;
   }
   std::size_t size() const { return connections_.size(); }
   std::size_t users() const { return users_; }
   std::size_t user_of(std::size_t connection) const { return connection % users_; }
   std::size_t open_of_user(std::size_t user) const {
      return user < open_by_user_.size() ? open_by_user_[user] : 0;
   }
   bool is_open(std::size_t connection) const {
      return connections_[connection].state() == connection_state::open;
   }
   const pool_counters& counters() const { return counters_; }

private:
   void start_more(std::int64_t now_ns);
   void start_one(std::size_t index, std::int64_t now_ns);
   void after_event(std::size_t index, connection_state before, std::int64_t now_ns);

   event_loop& loop_;
   const bench_options& options_;
   std::size_t users_;
   sockaddr_in server_{};
   bool bind_sources_ = false;
   std::string host_header_;
   std::string key_;
   std::string expected_accept_;
   std::unique_ptr<char[]> read_buffer_;
   connection_context context_;
   std::vector<client_connection> connections_;
   std::vector<std::uint32_t> open_by_user_;
   std::vector<std::size_t> handshaking_; ///< indexes of started handshakes, swept by poll()
   std::size_t next_to_start_ = 0;
   std::size_t in_flight_ = 0;
   pool_counters counters_;
};

} // namespace notify::bench
