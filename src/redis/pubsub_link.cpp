#include "notify/redis/pubsub_link.hpp"

#include "notify/redis/error.hpp"
#include "notify/redis/link_holder.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
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

class pubsub_link::impl : public std::enable_shared_from_this<impl> {
public:
   impl(boost::asio::any_io_executor executor, settings config, handlers callbacks)
       : executor_(std::move(executor))
       , settings_(std::move(config))
       , where_(settings_.host + ":" + std::to_string(settings_.port))
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

   void send(std::vector<std::string> command,
             std::function<bool(error_code, reply const&)> handler) {
      if (!link_ || !link_->is_open()) {
         if (handler) {
            boost::asio::post(executor_, [handler = std::move(handler)] {
               handler(make_error_code(errc::not_connected), reply{});
            });
         }
         return;
      }
      link_->send(
          std::move(command), [weak = weak_from_this(), generation = link_.generation(),
                               handler = std::move(handler)](error_code ec, reply const& answer) {
             auto self = weak.lock();
             if (!self || self->link_.generation() != generation) {
                return;
             }
             bool const taken = handler && handler(ec, answer);
             if (!ec && answer.is_error() && !taken) {
                self->run(self->fsm_.on_subscribe_failed(), "subscribe refused: " + answer.str);
             }
          });
   }

   void confirmed(std::size_t count) { run(fsm_.on_subscribe_confirmed(count), "subscribed"); }

   subscriber_state state() const { return fsm_.state(); }
   std::uint64_t reconnects() const { return fsm_.reconnects(); }
   std::string const& where() const { return where_; }

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
         break; // sent by the owner's on_connected already
      case kind::wait:
         wait(action.delay);
         break;
      case kind::send_ping:
         if (link_) {
            link_->send({"PING"}, [](error_code, reply const&) {});
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
      auto const expected = handlers_.on_connected ? handlers_.on_connected() : 0;
      run(fsm_.on_connected(expected), "connected");
   }

   void on_push(reply&& message) {
      if (handlers_.on_push && fsm_.state() != subscriber_state::stopped) {
         handlers_.on_push(std::move(message));
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
      switch (now_state) {
      case subscriber_state::subscribed:
         if (outage_) {
            spdlog::info("redis {}: subscriptions recovered after {} ms ({} reconnect attempts)",
                         where_, elapsed_ms(outage_started_), outage_failures_);
         } else {
            spdlog::info("redis {}: subscribed to {}", where_,
                         handlers_.describe ? handlers_.describe() : "its channels");
         }
         outage_ = false;
         break;
      case subscriber_state::backoff:
         last_failure_ = reason;
         if (!outage_) {
            outage_ = true;
            outage_started_ = clock::now();
            outage_failures_ = 0;
            spdlog::warn("redis {}: {}: {}; reconnecting", where_,
                         fsm_.ever_subscribed() ? "subscription lost" : "cannot subscribe", reason);
         } else {
            spdlog::debug("redis {}: attempt failed: {}; next in {} ms", where_, reason,
                          delay.count());
         }
         ++outage_failures_;
         break;
      case subscriber_state::stopped:
         spdlog::debug("redis {}: subscriber link stopped", where_);
         break;
      default:
         spdlog::debug("redis {}: {} ({})", where_, to_string(now_state), reason);
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
   std::string where_;
   handlers handlers_;
   subscriber_fsm fsm_;
   boost::asio::steady_timer backoff_timer_;
   boost::asio::steady_timer health_timer_;
   link_holder link_;
   bool outage_ = false;
   clock::time_point outage_started_{};
   std::uint64_t outage_failures_ = 0;
   std::string last_failure_; ///< why the link last failed, while the outage lasts
};

pubsub_link::pubsub_link(boost::asio::any_io_executor executor, settings config, handlers callbacks)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(config), std::move(callbacks))) {}

pubsub_link::~pubsub_link() {
   stop();
}

void pubsub_link::start() {
   impl_->start();
}

void pubsub_link::stop() {
   impl_->stop();
}

void pubsub_link::send(std::vector<std::string> command,
                       std::function<bool(boost::system::error_code, reply const&)> handler) {
   impl_->send(std::move(command), std::move(handler));
}

void pubsub_link::confirmed(std::size_t count) {
   impl_->confirmed(count);
}

subscriber_state pubsub_link::state() const {
   return impl_->state();
}

bool pubsub_link::is_up() const {
   return impl_->state() == subscriber_state::subscribed ||
          impl_->state() == subscriber_state::subscribing;
}

std::uint64_t pubsub_link::reconnects() const {
   return impl_->reconnects();
}

std::string const& pubsub_link::where() const {
   return impl_->where();
}

} // namespace notify::redis
