#include "notify/redis/subscriber.hpp"

#include "notify/common/logging.hpp"
#include "notify/redis/pubsub_link.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>
#include <utility>

namespace notify::redis {

class subscriber::impl {
public:
   impl(boost::asio::any_io_executor executor, settings config, subscription_set subscriptions,
        handlers callbacks)
       : subscriptions_(std::move(subscriptions))
       , handlers_(std::move(callbacks))
       , link_(std::move(executor), std::move(config),
               {.on_connected = [this] { return send_subscriptions(); },
                .on_push = [this](reply&& message) { on_push(std::move(message)); },
                .on_state =
                    [this](subscriber_state state, std::string_view reason) {
                       if (handlers_.on_state) {
                          handlers_.on_state(state, reason);
                       }
                    },
                .describe =
                    [this] {
                       return std::to_string(subscriptions_.expected_confirmations()) +
                              " channels and patterns";
                    }}) {}

   void start() { link_.start(); }
   void stop() { link_.stop(); }
   subscriber_state state() const { return link_.state(); }
   std::uint64_t reconnects() const { return link_.reconnects(); }

private:
   std::size_t send_subscriptions() {
      for (auto& command : subscriptions_.commands()) {
         link_.send(std::move(command)); // confirmations are counted as pushes, in on_push
      }
      return subscriptions_.expected_confirmations();
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
         link_.confirmed(1);
      } else if (type.find("unsubscribe") == std::string_view::npos) {
         if (auto suppressed = malformed_log_.allow()) {
            spdlog::warn("redis: ignoring a malformed '{}' push with {} parts ({} more ignored)",
                         type, parts.size(), *suppressed);
         }
      }
   }

   void deliver(std::string&& channel, std::string&& payload) {
      if (handlers_.on_message && link_.state() != subscriber_state::stopped) {
         handlers_.on_message(std::move(channel), std::move(payload));
      }
   }

   subscription_set subscriptions_;
   handlers handlers_;
   pubsub_link link_;
   log_rate_limiter malformed_log_;
};

subscriber::subscriber(boost::asio::any_io_executor executor, settings config,
                       subscription_set subscriptions, handlers callbacks)
    : impl_(std::make_unique<impl>(std::move(executor), std::move(config), std::move(subscriptions),
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
