#pragma once

#include "notify/redis/settings.hpp"
#include "notify/redis/subscriber_fsm.hpp"
#include "notify/redis/subscription_set.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace notify::redis {

/// Keeps one Redis link subscribed to a subscription_set, for as long as it runs: connects,
/// replays the set on every (re)connect, probes liveness with PING, and reconnects with a
/// jittered, capped backoff. The decisions live in subscriber_fsm; this class does the I/O.
/// Use from one executor (thread) only. Redis pub/sub is at-most-once: messages published
/// while the link is down are lost.
class subscriber {
public:
   struct handlers {
      /// One published message. Channel and payload are moved out of the reply.
      std::function<void(std::string&& channel, std::string&& payload)> on_message;
      /// Once per state change, with a short reason ("Connection refused", ...). The first call
      /// (connecting) happens inside start(). Not called for `stopped`: stop() is the owner's
      /// own doing.
      std::function<void(subscriber_state, std::string_view reason)> on_state;
   };

   subscriber(boost::asio::any_io_executor executor, settings config,
              subscription_set subscriptions, handlers callbacks);
   /// Stops, as stop() does.
   ~subscriber();
   subscriber(subscriber const&) = delete;
   subscriber& operator=(subscriber const&) = delete;

   /// Starts connecting; returns at once. Only the first call does anything.
   void start();
   /// Closes the link and cancels timers. No handler is called after it returns. Final.
   void stop();

   subscriber_state state() const;
   /// Connection attempts after the first one.
   std::uint64_t reconnects() const;

private:
   class impl;
   std::unique_ptr<impl> impl_;
};

} // namespace notify::redis
