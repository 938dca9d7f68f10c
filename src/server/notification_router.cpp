#include "notify/server/notification_router.hpp"

#include "notify/common/logging.hpp"
#include "notify/server/shard.hpp"

namespace notify::server {

namespace {

using batch = std::vector<routing::notification>;

void deliver_batch(shard& target, const batch& notifications) {
   auto& registry = target.registry();
   std::size_t deliveries = 0;
   for (auto const& notification : notifications) {
      if (notification.target.kind == routing::route::scope::global) {
         deliveries += registry.deliver_to_all(notification.frame);
      } else {
         deliveries += registry.deliver_to_user(notification.target.user_id, notification.frame);
      }
   }
   target.context().metrics.deliveries.add(deliveries);
}

} // namespace

notification_router::notification_router(net::any_io_executor executor, std::vector<shard*> shards,
                                         routing::channel_scheme scheme,
                                         std::size_t max_payload_bytes,
                                         metrics::gateway_metrics& metrics)
    : executor_(std::move(executor))
    , shards_(std::move(shards))
    , scheme_(std::move(scheme))
    , max_payload_bytes_(max_payload_bytes)
    , metrics_(metrics) {}

void notification_router::on_message(std::string_view channel, std::string_view payload) {
   auto prepared = routing::prepare_notification(scheme_, channel, payload, max_payload_bytes_);
   if (!prepared.ready) {
      auto const why = routing::reason(prepared.dropped);
      metrics_.dropped_messages.add(why);
      static log_rate_limiter limiter;
      if (auto suppressed = limiter.allow()) {
         spdlog::warn("dropped a Redis message ({}, {} bytes) on channel of {} bytes; {} more "
                      "drops not logged",
                      why, payload.size(), channel.size(), *suppressed);
      }
      return;
   }
   if (prepared.ready->target.kind == routing::route::scope::global) {
      metrics_.redis_messages_global.add(1);
   } else {
      metrics_.redis_messages_user.add(1);
   }
   pending_.push_back(std::move(*prepared.ready));
   if (!dispatch_posted_) {
      dispatch_posted_ = true;
      net::post(executor_, [this] { dispatch(); });
   }
}

void notification_router::dispatch() {
   dispatch_posted_ = false;
   auto notifications = std::make_shared<const batch>(std::move(pending_));
   pending_.clear();
   for (auto* target : shards_) {
      net::post(target->io(), [target, notifications] { deliver_batch(*target, *notifications); });
   }
}

} // namespace notify::server
