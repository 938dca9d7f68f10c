#pragma once

#include "notify/redis/connection.hpp"
#include "notify/redis/reply.hpp"
#include "notify/redis/settings.hpp"
#include "notify/redis/subscriber_fsm.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace notify::redis {

/// One Redis link in subscribe mode, kept up for as long as it runs: connects, lets the owner
/// (re)subscribe on every new link, probes liveness with PING, and reconnects with a jittered,
/// capped backoff. The decisions live in subscriber_fsm; this class does the I/O. What to
/// subscribe is the owner's: a fixed set (subscriber) or channels that come and go (the cluster
/// subscriber's link to each master). Use from one executor (thread) only.
class pubsub_link {
public:
   struct handlers {
      /// A new link is up: send its subscriptions with send() and return how many
      /// subscribe confirmations to wait for before the link counts as subscribed (0: at once).
      std::function<std::size_t()> on_connected;
      /// Every push: messages and (un)subscribe confirmations, Redis' own sunsubscribe included.
      std::function<void(reply&&)> on_push;
      /// Once per state change, with a short reason ("Connection refused", ...). The first call
      /// (connecting) happens inside start(). Not called for `stopped`.
      std::function<void(subscriber_state, std::string_view reason)> on_state;
      /// What the link holds, for the log line when it is first subscribed
      /// ("4 channels and patterns").
      std::function<std::string()> describe;
   };

   pubsub_link(boost::asio::any_io_executor executor, settings config, handlers callbacks);
   /// Stops, as stop() does.
   ~pubsub_link();
   pubsub_link(pubsub_link const&) = delete;
   pubsub_link& operator=(pubsub_link const&) = delete;

   /// Starts connecting; returns at once. Only the first call does anything.
   void start();
   /// Closes the link and cancels timers. No handler is called after it returns. Final.
   void stop();

   /// Sends a command on the current link. Without one, `handler` gets errc::not_connected
   /// (posted). An error reply to a subscribe command drops the link unless `handler` takes it:
   /// it returns true when the refusal is the owner's to handle (a MOVED for one slot).
   void send(std::vector<std::string> command,
             std::function<bool(boost::system::error_code, reply const&)> handler = {});

   /// A subscribe confirmation arrived (the owner recognises them in on_push).
   void confirmed(std::size_t count = 1);

   subscriber_state state() const;
   bool is_up() const;
   /// Connection attempts after the first one.
   std::uint64_t reconnects() const;
   /// "host:port", for logs.
   std::string const& where() const;

private:
   class impl;
   std::shared_ptr<impl> impl_;
};

} // namespace notify::redis
