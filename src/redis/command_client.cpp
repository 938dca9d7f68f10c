#include "notify/redis/command_client.hpp"

#include "notify/redis/backoff.hpp"
#include "notify/redis/error.hpp"
#include "notify/redis/link_holder.hpp"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <random>
#include <spdlog/spdlog.h>
#include <utility>

namespace notify::redis {
namespace {

using boost::system::error_code;
using clock = std::chrono::steady_clock;

} // namespace

class command_client::impl : public std::enable_shared_from_this<impl> {
public:
   impl(boost::asio::any_io_executor executor, settings config, std::size_t max_waiting)
       : executor_(std::move(executor))
       , settings_(std::move(config))
       , max_waiting_(max_waiting)
       , backoff_(settings_.reconnect_initial_delay, settings_.reconnect_max_delay,
                  std::random_device{}())
       , deadline_timer_(executor_)
       , link_(executor_, settings_,
               {.connected = [this](error_code ec) { on_connected(ec); },
                .lost = [this](error_code ec) { on_link_lost(ec); },
                .push = {}}) {}

   void command(std::vector<std::string> args, reply_handler handler) {
      if (stopped_) {
         fail_later(std::move(handler), errc::stopped);
         return;
      }
      auto request =
          std::make_shared<pending_command>(pending_command{std::move(args), std::move(handler)});
      switch (link_state_) {
      case state::up:
         send(std::move(request));
         return;
      case state::connecting:
         if (waiting_.size() >= max_waiting_) {
            fail_later(std::move(request->handler), errc::queue_full);
            return;
         }
         waiting_.push_back(std::move(request));
         return;
      case state::down:
         if (clock::now() < next_attempt_) {
            fail_later(std::move(request->handler), errc::not_connected);
            return;
         }
         waiting_.push_back(std::move(request));
         connect();
         return;
      }
   }

   void stop() {
      if (stopped_) {
         return;
      }
      stopped_ = true;
      link_.drop();
      link_state_ = state::down;
      deadline_timer_.cancel();
      for (auto* queue : {&waiting_, &in_flight_}) {
         for (auto& request : std::exchange(*queue, {})) {
            request->done = true;
            fail_later(std::move(request->handler), errc::stopped);
         }
      }
   }

private:
   enum class state { down, connecting, up };

   struct pending_command {
      std::vector<std::string> args;
      reply_handler handler;
      clock::time_point deadline{};
      bool done = false;
   };
   using request_ptr = std::shared_ptr<pending_command>;

   void fail_later(reply_handler handler, error_code ec) {
      boost::asio::post(executor_, [handler = std::move(handler), ec] { handler(ec, reply{}); });
   }

   /// One warning per outage; the failed attempts that follow are debug noise.
   void report_down(std::string const& reason) {
      if (healthy_) {
         healthy_ = false;
         spdlog::warn("redis {}:{}: command link down: {}", settings_.host, settings_.port, reason);
      } else {
         spdlog::debug("redis {}:{}: command link still down: {}", settings_.host, settings_.port,
                       reason);
      }
   }

   void connect() {
      link_state_ = state::connecting;
      link_.open(weak_from_this());
   }

   void on_connected(error_code ec) {
      if (ec) {
         report_down(link_.failure_reason(ec));
         link_.drop();
         link_state_ = state::down;
         next_attempt_ = clock::now() + backoff_.next();
         for (auto& request : std::exchange(waiting_, {})) {
            request->done = true;
            // A handler may stop() us mid-loop: the rest then hear "stopped".
            request->handler(stopped_ ? error_code(errc::stopped) : ec, reply{});
         }
         return;
      }
      link_state_ = state::up;
      for (auto& request : std::exchange(waiting_, {})) {
         send(std::move(request));
      }
   }

   void on_link_lost(error_code ec) {
      report_down(link_.failure_reason(ec));
      link_.drop();
      link_state_ = state::down;
      // The first attempt after a loss may be immediate; failures from there on back off.
      next_attempt_ = clock::now();
   }

   void send(request_ptr request) {
      if (stopped_ || !link_ || link_state_ != state::up) {
         request->done = true;
         fail_later(std::move(request->handler), stopped_ ? errc::stopped : errc::not_connected);
         return;
      }
      request->deadline = clock::now() + settings_.connect_timeout;
      in_flight_.push_back(request);
      link_->send(std::move(request->args),
                  [weak = weak_from_this(), request](error_code ec, reply answer) {
                     if (auto self = weak.lock()) {
                        self->complete(request, ec, std::move(answer));
                     }
                  });
      arm_deadline();
   }

   void complete(request_ptr const& request, error_code ec, reply&& answer) {
      if (request->done) {
         return;
      }
      request->done = true;
      if (auto found = std::find(in_flight_.begin(), in_flight_.end(), request);
          found != in_flight_.end()) {
         in_flight_.erase(found);
      }
      auto handler = std::move(request->handler);
      if (ec) {
         handler(ec, reply{});
         return;
      }
      last_answer_ = clock::now();
      backoff_.reset(); // an answer, any answer, proves the link works
      if (!healthy_) {
         healthy_ = true;
         spdlog::info("redis {}:{}: command link recovered", settings_.host, settings_.port);
      }
      handler({}, std::move(answer));
   }

   void arm_deadline() {
      if (deadline_armed_ || in_flight_.empty()) {
         return;
      }
      deadline_armed_ = true;
      deadline_timer_.expires_at(head_deadline());
      deadline_timer_.async_wait([weak = weak_from_this()](error_code ec) {
         if (auto self = weak.lock()) {
            self->deadline_armed_ = false;
            if (!ec && !self->stopped_) {
               self->check_deadline();
            }
         }
      });
   }

   /// A long pipeline (a reconnect storm's reads) is answered one by one for longer than the
   /// timeout: the link is dead only when the oldest request's time is up and nothing has been
   /// answered for as long.
   clock::time_point head_deadline() const {
      return std::max(in_flight_.front()->deadline, last_answer_ + settings_.connect_timeout);
   }

   void check_deadline() {
      if (!in_flight_.empty() && head_deadline() <= clock::now()) {
         report_down("no answer within " + std::to_string(settings_.connect_timeout.count()) +
                     " ms");
         link_.drop();
         link_state_ = state::down;
         next_attempt_ = clock::now() + backoff_.next();
         for (auto& request : std::exchange(in_flight_, {})) {
            request->done = true;
            request->handler(stopped_ ? error_code(errc::stopped)
                                      : error_code(boost::asio::error::timed_out),
                             reply{});
         }
         return;
      }
      arm_deadline();
   }

   boost::asio::any_io_executor executor_;
   settings settings_;
   std::size_t max_waiting_;
   backoff backoff_;
   boost::asio::steady_timer deadline_timer_;
   bool deadline_armed_ = false;
   link_holder link_;
   state link_state_ = state::down;
   clock::time_point next_attempt_{};
   clock::time_point last_answer_{};
   std::deque<request_ptr> waiting_;   ///< queued while the link is being established
   std::deque<request_ptr> in_flight_; ///< sent, answered in this order
   bool stopped_ = false;
   bool healthy_ = true; ///< false from a failure until the next answer
};

command_client::command_client(boost::asio::any_io_executor executor, settings config,
                               std::size_t max_waiting)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(config), max_waiting)) {}

command_client::~command_client() {
   stop();
}

void command_client::command(std::vector<std::string> args, reply_handler handler) {
   impl_->command(std::move(args), std::move(handler));
}

void command_client::stop() {
   impl_->stop();
}

} // namespace notify::redis
