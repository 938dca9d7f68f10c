#pragma once

#include "notify/metrics/gateway_metrics.hpp"
#include "notify/routing/channel.hpp"
#include "notify/routing/notification.hpp"
#include "notify/server/net.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace notify::server {

class shard;

/// Takes Redis messages on the subscriber's executor (shard 0), validates and frames each once,
/// and hands them to the shards that need them, in batches: all messages that arrived in one
/// read of the Redis socket cross to a shard in one post, so each connection can send them in one
/// write. It knows which shards hold which users, so a user's message wakes only those shards.
class notification_router {
public:
   /// `history_channels`: the live channels of notify_publish (history.enabled), whose
   /// messages carry their stream position.
   notification_router(net::any_io_executor executor, std::vector<shard*> shards,
                       routing::channel_scheme scheme,
                       std::optional<routing::channel_scheme> history_channels,
                       std::size_t max_payload_bytes, metrics::gateway_metrics& metrics);

   void on_message(std::string_view channel, std::string_view payload);

   /// Called on the router's executor when a shard gets its first connection of a user (true)
   /// or loses its last one (false). Also keeps the distinct-users gauge: this map is the one
   /// place that knows every user on this instance (and where per-user SSUBSCRIBE will hook in).
   void on_user_presence(unsigned shard_index, const std::string& user_id, bool present);

private:
   using shard_mask = std::uint64_t;
   static constexpr std::size_t max_tracked_shards = 64;

   void queue_for(shard_mask shards, const routing::notification& notification);
   void dispatch();

   net::any_io_executor executor_;
   std::vector<shard*> shards_;
   routing::channel_scheme scheme_;
   std::optional<routing::channel_scheme> history_channels_;
   std::string history_channel_start_; ///< what every history channel starts with
   std::size_t max_payload_bytes_;
   metrics::gateway_metrics& metrics_;
   std::unordered_map<std::string, shard_mask> shards_of_user_;
   std::vector<std::vector<routing::notification>> pending_; ///< per shard
   bool dispatch_posted_ = false;
};

} // namespace notify::server
