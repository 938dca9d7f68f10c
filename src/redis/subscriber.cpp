#include "notify/redis/subscriber.hpp"

#include "notify/common/logging.hpp"
#include "notify/redis/error.hpp"
#include "notify/redis/link_holder.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <random>
#include <spdlog/spdlog.h>
#include <utility>

namespace notify::redis {
namespace {

using boost::system::error_code;
using clock = std::chrono::steady_clock;
using kind = subscriber_action::kind;

/// How often liveness is checked: often enough that a dead link is noticed within a quarter
/// interval of the 2x deadline, rarely enough to cost nothing.
std::chrono::milliseconds health_tick_period(std::chrono::milliseconds interval) {
   return std::max(interval / 4, std::chrono::milliseconds(5));
}

long long elapsed_ms(clock::time_point since) {
   return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - since).count();
}

} // namespace

class subscriber::impl : public std::enable_shared_from_this<impl> {
public:
   impl(boost::asio::any_io_executor executor, settings config, subscription_set subscriptions,
        handlers callbacks)
       : executor_(std::move(executor))
       , settings_(std::move(config))
       , subscriptions_(std::move(subscriptions))
       , handlers_(std::move(callbacks))
       , fsm_(settings_.health_check_interval,
              backoff(settings_.reconnect_initial_delay, settings_.reconnect_max_delay,
                      std::random_device{}()))
       , backoff_timer_(executor_)
       , health_timer_(executor_)
       , link_(executor_, settings_,
               {.connected = [this](error_code ec) { on_connected(ec); },
                .lost = [this](error_code ec) { on_link_closed(ec); },
                .push = [this](reply&& message) { on_push(std::move(message)); }}) {}

   void start() { run(fsm_.on_start(), "starting"); }

   void stop() {
      run(fsm_.on_stop(), "stopped");
      backoff_timer_.cancel();
      health_timer_.cancel();
   }

   subscriber_state state() const { return fsm_.state(); }
   std::uint64_t reconnects() const { return fsm_.reconnects(); }

private:
   void run(subscriber_action action, std::string const& reason) {
      if (action.notify_state) {
         report(reason, action.delay);
      }
      switch (action.what) {
      case kind::none:
         break;
      case kind::connect:
         link_.open(weak_from_this());
         break;
      case kind::send_subscribe:
         send_subscriptions();
         break;
      case kind::wait:
         wait(action.delay);
         break;
      case kind::send_ping:
         if (link_) {
            link_->send({"PING"}, [](error_code, reply) {});
         }
         break;
      case kind::drop_link:
         drop_link(reason);
         break;
      }
   }

   void on_connected(error_code ec) {
      if (ec) {
         auto const reason = link_.failure_reason(ec);
         link_.drop();
         run(fsm_.on_connect_failed(), reason);
         return;
      }
      start_health_timer();
      run(fsm_.on_connected(subscriptions_.expected_confirmations()), "connected");
   }

   void send_subscriptions() {
      for (auto& command : subscriptions_.commands()) {
         auto const generation = link_.generation();
         link_->send(std::move(command), [weak = weak_from_this(), generation](error_code ec,
                                                                               reply answer) {
            auto self = weak.lock();
            if (!self || self->link_.generation() != generation || ec || !answer.is_error()) {
               return; // confirmations are counted as pushes, in on_push
            }
            self->run(self->fsm_.on_subscribe_failed(), "subscribe refused: " + answer.str);
         });
      }
   }

   void on_push(reply&& message) {
      auto& parts = message.elements;
      std::string_view const type = parts.front().str;
      bool const all_strings = std::all_of(parts.begin(), parts.end(), [](reply const& part) {
         return part.type == reply::kind::string;
      });
      if ((type == "message" || type == "smessage") && parts.size() == 3 && all_strings) {
         deliver(std::move(parts[1].str), std::move(parts[2].str));
      } else if (type == "pmessage" && parts.size() == 4 && all_strings) {
         deliver(std::move(parts[2].str), std::move(parts[3].str));
      } else if (type == "subscribe" || type == "psubscribe" || type == "ssubscribe") {
         run(fsm_.on_subscribe_confirmed(1), "subscribed");
      } else if (type.find("unsubscribe") == std::string_view::npos) {
         if (auto suppressed = malformed_log_.allow()) {
            spdlog::warn("redis: ignoring a malformed '{}' push with {} parts ({} more ignored)",
                         type, parts.size(), *suppressed);
         }
      }
   }

   void deliver(std::string&& channel, std::string&& payload) {
      if (handlers_.on_message && fsm_.state() != subscriber_state::stopped) {
         handlers_.on_message(std::move(channel), std::move(payload));
      }
   }

   void on_link_closed(error_code ec) {
      auto const reason = link_.failure_reason(ec);
      link_.drop();
      health_timer_.cancel();
      run(fsm_.on_link_lost(), reason);
   }

   void drop_link(std::string const& reason) {
      link_.drop(); // whatever the old link still reports is ignored
      health_timer_.cancel();
      run(fsm_.on_link_lost(), reason);
   }

   void wait(std::chrono::milliseconds delay) {
      backoff_timer_.expires_after(delay);
      backoff_timer_.async_wait([weak = weak_from_this()](error_code ec) {
         if (auto self = weak.lock(); self && !ec) {
            self->run(self->fsm_.on_backoff_elapsed(), "retrying");
         }
      });
   }

   void start_health_timer() {
      if (settings_.health_check_interval <= std::chrono::milliseconds::zero()) {
         return;
      }
      health_timer_.expires_after(health_tick_period(settings_.health_check_interval));
      health_timer_.async_wait(
          [weak = weak_from_this(), generation = link_.generation()](error_code ec) {
             auto self = weak.lock();
             if (!self || ec || self->link_.generation() != generation || !self->link_) {
                return;
             }
             auto const last_read = self->link_->last_read();
             auto const action = self->fsm_.on_health_tick(clock::now(), last_read);
             if (action.what != kind::drop_link) {
                self->start_health_timer();
             }
             self->run(action, make_error_code(errc::health_check_failed).message() +
                                   ": nothing read for " + std::to_string(elapsed_ms(last_read)) +
                                   " ms");
          });
   }

   void report(std::string const& reason, std::chrono::milliseconds delay) {
      auto const now_state = fsm_.state();
      auto const where = settings_.host + ":" + std::to_string(settings_.port);
      switch (now_state) {
      case subscriber_state::subscribed:
         if (outage_) {
            spdlog::info("redis {}: subscriptions recovered after {} ms ({} reconnect attempts)",
                         where, elapsed_ms(outage_started_), outage_failures_);
         } else {
            spdlog::info("redis {}: subscribed to {} channels and patterns", where,
                         subscriptions_.expected_confirmations());
         }
         outage_ = false;
         break;
      case subscriber_state::backoff:
         last_failure_ = reason;
         if (!outage_) {
            outage_ = true;
            outage_started_ = clock::now();
            outage_failures_ = 0;
            spdlog::warn("redis {}: {}: {}; reconnecting", where,
                         fsm_.ever_subscribed() ? "subscription lost" : "cannot subscribe", reason);
         } else {
            spdlog::debug("redis {}: attempt failed: {}; next in {} ms", where, reason,
                          delay.count());
         }
         ++outage_failures_;
         break;
      case subscriber_state::stopped:
         spdlog::info("redis {}: subscriber stopped", where);
         break;
      default:
         spdlog::debug("redis {}: {} ({})", where, to_string(now_state), reason);
         break;
      }
      if (handlers_.on_state && now_state != subscriber_state::stopped) {
         // A retry in flight must not hide why the last one failed (/readyz shows this).
         bool const retrying = outage_ && now_state != subscriber_state::backoff;
         handlers_.on_state(now_state,
                            retrying ? reason + "; last failure: " + last_failure_ : reason);
      }
   }

   boost::asio::any_io_executor executor_;
   settings settings_;
   subscription_set subscriptions_;
   handlers handlers_;
   subscriber_fsm fsm_;
   boost::asio::steady_timer backoff_timer_;
   boost::asio::steady_timer health_timer_;
   link_holder link_;
   bool outage_ = false;
   clock::time_point outage_started_{};
   std::uint64_t outage_failures_ = 0;
   std::string last_failure_; ///< why the link last failed, while the outage lasts
   log_rate_limiter malformed_log_;
};

subscriber::subscriber(boost::asio::any_io_executor executor, settings config,
                       subscription_set subscriptions, handlers callbacks)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(config), std::move(subscriptions),
                                   std::move(callbacks))) {}

subscriber::~subscriber() {
   stop();
}

void subscriber::start() {
   impl_->start();
}

void subscriber::stop() {
   impl_->stop();
}

subscriber_state subscriber::state() const {
   return impl_->state();
}

std::uint64_t subscriber::reconnects() const {
   return impl_->reconnects();
}

} // namespace notify::redis
