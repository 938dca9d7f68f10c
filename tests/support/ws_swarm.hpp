#pragma once

// Many WebSocket clients on one io_context, for tests that need thousands of connections (a
// synchronous ws_client per connection costs an io_context and its file descriptors each).
// Every text message after the first (auth_ok) is kept per connection, in order.

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace notify::test {

class ws_swarm {
public:
   enum class state { waiting, connecting, ready, refused, closed };

   /// `concurrency`: handshakes in flight at once.
   explicit ws_swarm(boost::asio::io_context& io, std::size_t concurrency = 256);
   ~ws_swarm();
   ws_swarm(const ws_swarm&) = delete;
   ws_swarm& operator=(const ws_swarm&) = delete;

   /// Queues a connection to 127.0.0.1:port with `target` ("/ws?token=..."). Returns its index.
   /// It is ready once its first message is an auth_ok.
   std::size_t add(std::uint16_t port, std::string target);

   std::size_t size() const { return members_.size(); }
   state state_of(std::size_t index) const;
   std::size_t count(state wanted) const;
   /// Messages after auth_ok, as received.
   const std::vector<std::string>& messages(std::size_t index) const;
   /// What ended a refused or closed connection (the first message, or the error).
   const std::string& problem(std::size_t index) const;
   std::size_t total_messages() const { return total_messages_; }

   /// Drops the connection at once (TCP close, no close frame).
   void drop(std::size_t index);
   /// Drops every connection.
   void drop_all();

private:
   struct member;
   void start_next();
   void start(member& m);
   void read(member& m);

   boost::asio::io_context& io_;
   std::size_t concurrency_;
   std::size_t in_flight_ = 0;
   std::size_t next_to_start_ = 0;
   std::deque<std::unique_ptr<member>> members_;
   std::size_t total_messages_ = 0;
};

} // namespace notify::test
