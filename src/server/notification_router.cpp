#include "notify/server/notification_router.hpp"

#include "notify/common/logging.hpp"
#include "notify/redis/cluster_subscriber.hpp"
#include "notify/routing/history_names.hpp"
#include "notify/server/shard.hpp"

#include <algorithm>
#include <chrono>

namespace notify::server {

namespace {

using batch = std::vector<routing::notification>;

/// Milliseconds from a stream id's time (Redis' clock at XADD) to now, on this host's clock.
double age_ms(const routing::stream_position& position) {
   auto const now_ms = std::chrono::duration<double, std::milli>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
   return now_ms - static_cast<double>(position.id.ms);
}

void deliver_batch(shard& target, const batch& notifications) {
   auto& registry = target.registry();
   std::size_t deliveries = 0;
   for (auto const& notification : notifications) {
      if (notification.position) {
         target.metrics().publish_to_socket.observe_ms(age_ms(*notification.position));
      }
      if (notification.target.kind == routing::route::scope::global) {
         if (notification.position) {
            target.observe_global_position(notification.position->id);
         }
         deliveries += registry.deliver_to_all(notification);
      } else {
         deliveries += registry.deliver_to_user(notification.target.user_id, notification);
      }
   }
   target.metrics().deliveries.add(deliveries);
}

} // namespace

notification_router::notification_router(net::any_io_executor executor, std::vector<shard*> shards,
                                         routing::channel_scheme scheme,
                                         std::optional<routing::channel_scheme> history_channels,
                                         std::size_t max_payload_bytes,
                                         metrics::gateway_metrics& metrics)
    : executor_(std::move(executor))
    , shards_(std::move(shards))
    , scheme_(std::move(scheme))
    , history_channels_(std::move(history_channels))
    , max_payload_bytes_(max_payload_bytes)
    , metrics_(metrics)
    , pending_(shards_.size()) {
   if (history_channels_) {
      auto const& global = history_channels_->global_channel();
      auto const& pattern = history_channels_->user_pattern();
      auto const common =
          std::mismatch(global.begin(), global.end(), pattern.begin(), pattern.end());
      history_channel_start_.assign(global.begin(), common.first);
   }
}

void notification_router::on_message(std::string_view channel, std::string_view payload) {
   auto prepared = [&] {
      if (history_channels_ && channel.starts_with(history_channel_start_)) {
         auto history = routing::prepare_history_notification(*history_channels_, channel, payload,
                                                              max_payload_bytes_);
         if (history.ready || history.dropped != routing::drop_reason::foreign_channel) {
            return history;
         }
      }
      return routing::prepare_notification(scheme_, channel, payload, max_payload_bytes_);
   }();
   if (!prepared.ready || !prepared.ready->frame) {
      auto const why = routing::reason(prepared.dropped);
      metrics_.dropped_messages.add(why);
      static log_rate_limiter limiter;
      if (auto suppressed = limiter.allow()) {
         spdlog::warn("dropped a Redis message ({}, {} bytes) on channel of {} bytes; {} more "
                      "drops not logged",
                      why, payload.size(), channel.size(), *suppressed);
      }
      if (!prepared.ready) {
         return;
      }
      // A history entry that cannot be delivered still moves every recipient past it.
   }
   auto const& notification = *prepared.ready;
   if (notification.target.kind == routing::route::scope::global) {
      metrics_.redis_messages_global.add(1);
      queue_for(~shard_mask{0}, notification);
      return;
   }
   metrics_.redis_messages_user.add(1);
   if (shards_.size() > max_tracked_shards) {
      queue_for(~shard_mask{0}, notification);
      return;
   }
   auto const found = shards_of_user_.find(notification.target.user_id);
   if (found != shards_of_user_.end()) {
      queue_for(found->second, notification);
   }
}

void notification_router::queue_for(shard_mask shards, const routing::notification& notification) {
   for (std::size_t i = 0; i < shards_.size(); ++i) {
      if (i >= max_tracked_shards || (shards & (shard_mask{1} << i)) != 0) {
         pending_[i].push_back(notification);
      }
   }
   if (!dispatch_posted_) {
      dispatch_posted_ = true;
      net::post(executor_, [this] { dispatch(); });
   }
}

void notification_router::dispatch() {
   dispatch_posted_ = false;
   for (std::size_t i = 0; i < shards_.size(); ++i) {
      if (pending_[i].empty()) {
         continue;
      }
      auto notifications = std::make_shared<const batch>(std::move(pending_[i]));
      pending_[i].clear();
      auto* const target = shards_[i];
      net::post(target->io(), [target, notifications] { deliver_batch(*target, *notifications); });
   }
}

bool notification_router::on_user_presence(unsigned shard_index, const std::string& user_id,
                                           bool present) {
   if (shard_index >= max_tracked_shards) {
      return false; // cluster mode allows no more shards (validated); the rest get everything
   }
   auto const bit = shard_mask{1} << shard_index;
   if (present) {
      auto const [entry, inserted] = shards_of_user_.try_emplace(user_id, 0);
      entry->second |= bit;
      if (inserted) {
         metrics_.authenticated_users.add(1);
      }
      return inserted;
   }
   auto const found = shards_of_user_.find(user_id);
   if (found != shards_of_user_.end() && (found->second &= ~bit) == 0) {
      shards_of_user_.erase(found);
      metrics_.authenticated_users.add(-1);
      return true;
   }
   return false;
}

std::string notification_router::shard_channel_of(const std::string& user_id) const {
   if (history_channels_ && routing::history_names::has_history(user_id)) {
      return history_channels_->user_channel(user_id);
   }
   return scheme_.user_channel(user_id);
}

void notification_router::apply_presence(unsigned shard_index,
                                         const std::vector<std::pair<std::string, bool>>& changes,
                                         std::function<void()> applied) {
   std::vector<std::pair<const std::string*, std::string>> arrived; // user id, shard channel
   for (auto const& [user_id, present] : changes) {
      bool const changed = on_user_presence(shard_index, user_id, present);
      if (cluster_ == nullptr || (!present && !changed)) {
         continue;
      }
      auto channel = shard_channel_of(user_id);
      if (!present) {
         cluster_->release(channel);
         continue;
      }
      if (changed) {
         cluster_->acquire(channel);
      }
      arrived.emplace_back(&user_id, std::move(channel));
   }
   if (!applied) {
      return;
   }
   if (cluster_ == nullptr) {
      applied();
      return;
   }
   // Users already here are subscribed, or waited for by an earlier batch; the new ones wait,
   // unless they left again within the batch (their channel is on its way out, not in).
   std::vector<std::string> waited;
   for (auto& [user_id, channel] : arrived) {
      if (shards_of_user_.contains(*user_id)) {
         waited.push_back(std::move(channel));
      }
   }
   cluster_->when_subscribed(waited, std::move(applied));
}

std::optional<routing::route> notification_router::route_of(std::string_view channel) const {
   if (history_channels_) {
      if (auto parsed = history_channels_->parse(channel); parsed.target) {
         return parsed.target;
      }
   }
   if (auto parsed = scheme_.parse(channel); parsed.target) {
      return parsed.target;
   }
   return std::nullopt;
}

void notification_router::repair_channels(const std::vector<std::string>& channels) {
   bool global = false;
   std::vector<std::vector<std::string>> users_of_shard(shards_.size());
   for (auto const& channel : channels) {
      auto const target = route_of(channel);
      if (!target) {
         continue;
      }
      if (target->kind == routing::route::scope::global) {
         global = true;
         continue;
      }
      auto const found = shards_of_user_.find(target->user_id);
      if (found == shards_of_user_.end()) {
         continue;
      }
      for (std::size_t i = 0; i < shards_.size(); ++i) {
         if (i >= max_tracked_shards || (found->second & (shard_mask{1} << i)) != 0) {
            users_of_shard[i].push_back(target->user_id);
         }
      }
   }
   for (std::size_t i = 0; i < shards_.size(); ++i) {
      if (!global && users_of_shard[i].empty()) {
         continue;
      }
      net::post(shards_[i]->io(), [target = shards_[i], users = std::move(users_of_shard[i]),
                                   global] { target->repair_streams(users, global); });
   }
}

void notification_router::channels_lost(const std::vector<std::string>& channels) {
   bool const global = std::any_of(channels.begin(), channels.end(), [this](auto const& channel) {
      auto const target = route_of(channel);
      return target && target->kind == routing::route::scope::global;
   });
   if (!global) {
      return;
   }
   for (auto* target : shards_) {
      net::post(target->io(), [target] { target->history_link_lost(); });
   }
}

} // namespace notify::server
