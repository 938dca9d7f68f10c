#include "notify/redis/subscriber_fsm.hpp"

#include <algorithm>
#include <utility>

namespace notify::redis {

using kind = subscriber_action::kind;

std::string_view to_string(subscriber_state state) {
   switch (state) {
   case subscriber_state::disconnected:
      return "disconnected";
   case subscriber_state::connecting:
      return "connecting";
   case subscriber_state::subscribing:
      return "subscribing";
   case subscriber_state::subscribed:
      return "subscribed";
   case subscriber_state::backoff:
      return "backoff";
   case subscriber_state::stopped:
      return "stopped";
   }
   return "unknown";
}

subscriber_fsm::subscriber_fsm(std::chrono::milliseconds health_check_interval, backoff policy)
    : health_check_interval_(health_check_interval)
    , backoff_(std::move(policy)) {}

subscriber_action subscriber_fsm::on_start() {
   if (state_ != subscriber_state::disconnected) {
      return {};
   }
   return enter(subscriber_state::connecting, {kind::connect});
}

subscriber_action subscriber_fsm::on_connected(std::size_t expected_confirmations) {
   if (state_ != subscriber_state::connecting) {
      return {};
   }
   ping_sent_at_.reset();
   confirmations_missing_ = expected_confirmations;
   if (expected_confirmations == 0) {
      return enter_subscribed();
   }
   return enter(subscriber_state::subscribing, {kind::send_subscribe});
}

subscriber_action subscriber_fsm::on_connect_failed() {
   if (state_ != subscriber_state::connecting) {
      return {};
   }
   return enter_backoff();
}

subscriber_action subscriber_fsm::on_subscribe_confirmed(std::size_t count) {
   if (state_ != subscriber_state::subscribing) {
      return {};
   }
   confirmations_missing_ -= std::min(count, confirmations_missing_);
   if (confirmations_missing_ > 0) {
      return {};
   }
   return enter_subscribed();
}

subscriber_action subscriber_fsm::on_subscribe_failed() {
   if (state_ != subscriber_state::subscribing) {
      return {};
   }
   return {kind::drop_link};
}

subscriber_action subscriber_fsm::on_link_lost() {
   if (!has_link()) {
      return {};
   }
   return enter_backoff();
}

subscriber_action subscriber_fsm::on_backoff_elapsed() {
   if (state_ != subscriber_state::backoff) {
      return {};
   }
   ++reconnects_;
   return enter(subscriber_state::connecting, {kind::connect});
}

subscriber_action subscriber_fsm::on_health_tick(clock::time_point now,
                                                 clock::time_point last_read) {
   bool const linked =
       state_ == subscriber_state::subscribing || state_ == subscriber_state::subscribed;
   if (!linked || health_check_interval_ <= std::chrono::milliseconds::zero()) {
      return {};
   }
   auto const idle = now - last_read;
   if (idle >= 2 * health_check_interval_) {
      return {kind::drop_link};
   }
   bool const pinged_since_last_read = ping_sent_at_ && *ping_sent_at_ >= last_read;
   if (idle >= health_check_interval_ && !pinged_since_last_read) {
      ping_sent_at_ = now;
      return {kind::send_ping};
   }
   return {};
}

subscriber_action subscriber_fsm::on_stop() {
   if (state_ == subscriber_state::stopped) {
      return {};
   }
   bool const linked = has_link();
   return enter(subscriber_state::stopped, {linked ? kind::drop_link : kind::none});
}

subscriber_action subscriber_fsm::enter(subscriber_state next, subscriber_action action) {
   action.notify_state = next != state_;
   state_ = next;
   return action;
}

subscriber_action subscriber_fsm::enter_subscribed() {
   backoff_.reset();
   failures_since_subscribed_ = 0;
   ever_subscribed_ = true;
   return enter(subscriber_state::subscribed, {});
}

subscriber_action subscriber_fsm::enter_backoff() {
   ++failures_since_subscribed_;
   return enter(subscriber_state::backoff, {kind::wait, backoff_.next()});
}

bool subscriber_fsm::has_link() const {
   return state_ == subscriber_state::connecting || state_ == subscriber_state::subscribing ||
          state_ == subscriber_state::subscribed;
}

} // namespace notify::redis
