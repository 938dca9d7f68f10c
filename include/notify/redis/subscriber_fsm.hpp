#pragma once

#include "notify/redis/backoff.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace notify::redis {

enum class subscriber_state { disconnected, connecting, subscribing, subscribed, backoff, stopped };

std::string_view to_string(subscriber_state state);

/// What the shell must do after feeding an event to the state machine.
struct subscriber_action {
   enum class kind {
      none,
      connect,        ///< open a new link
      send_subscribe, ///< send the subscription set's commands on the new link
      wait,           ///< sleep `delay`, then feed on_backoff_elapsed()
      send_ping,      ///< PING on the link (liveness probe)
      drop_link,      ///< close the link, then feed on_link_lost() (unless stopped)
   };
   kind what = kind::none;
   std::chrono::milliseconds delay{0};
   /// The state changed with this event: tell the owner and log it, once.
   bool notify_state = false;

   friend bool operator==(subscriber_action const&, subscriber_action const&) = default;
};

/// The subscriber's decisions, with no I/O, timers or clocks of its own, so every path is
/// unit-testable: disconnected -> connecting -> subscribing -> subscribed -> backoff -> ...
/// Liveness is judged by bytes read, not by replies: PING after `health_check_interval` with
/// nothing read, drop the link after twice that. The backoff resets only once a link has been
/// fully subscribed, so a server that accepts and then fails still gets growing delays.
class subscriber_fsm {
public:
   using clock = std::chrono::steady_clock;

   subscriber_fsm(std::chrono::milliseconds health_check_interval, backoff policy);

   subscriber_state state() const { return state_; }

   subscriber_action on_start();
   /// The link is up (and authenticated); `expected_confirmations` subscribe replies will follow.
   subscriber_action on_connected(std::size_t expected_confirmations);
   subscriber_action on_connect_failed();
   subscriber_action on_subscribe_confirmed(std::size_t count = 1);
   /// Redis answered a subscribe command with an error (ACL, NOAUTH, ...).
   subscriber_action on_subscribe_failed();
   subscriber_action on_link_lost();
   subscriber_action on_backoff_elapsed();
   subscriber_action on_health_tick(clock::time_point now, clock::time_point last_read);
   subscriber_action on_stop();

   /// Connection attempts after the first one.
   std::uint64_t reconnects() const { return reconnects_; }
   /// Failed links or attempts since the last time the link was subscribed (or since start).
   std::uint64_t failures_since_subscribed() const { return failures_since_subscribed_; }
   /// True once any link has been fully subscribed.
   bool ever_subscribed() const { return ever_subscribed_; }

private:
   subscriber_action enter(subscriber_state next, subscriber_action action);
   subscriber_action enter_subscribed();
   subscriber_action enter_backoff();
   bool has_link() const;

   std::chrono::milliseconds health_check_interval_;
   backoff backoff_;
   subscriber_state state_ = subscriber_state::disconnected;
   std::size_t confirmations_missing_ = 0;
   std::optional<clock::time_point> ping_sent_at_;
   std::uint64_t reconnects_ = 0;
   std::uint64_t failures_since_subscribed_ = 0;
   bool ever_subscribed_ = false;
};

} // namespace notify::redis
