#pragma once

#include "notify/metrics/gateway_metrics.hpp"
#include "notify/routing/channel.hpp"
#include "notify/routing/notification.hpp"
#include "notify/server/net.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace notify::server {

class shard;
}

namespace notify::redis {
class cluster_subscriber;
}

namespace notify::server {

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

   /// Redis Cluster: users' shard channels are (un)subscribed through `subscriber` as users
   /// come and go on this instance. Set before the first presence change.
   void use_cluster(redis::cluster_subscriber* subscriber) { cluster_ = subscriber; }
   /// The shard channel a user's messages come on in cluster mode: the history live channel
   /// (notify_publish SPUBLISHes there) or, without history, the classic user channel name.
   std::string shard_channel_of(const std::string& user_id) const;

   /// Applies one shard's presence changes (on_user_presence each), then calls `applied`; in
   /// cluster mode only once the new users' shard channels are subscribed (or cannot be for
   /// now), so a connection's auth_ok never precedes its subscription.
   void apply_presence(unsigned shard_index,
                       const std::vector<std::pair<std::string, bool>>& changes,
                       std::function<void()> applied);

   /// Called on the router's executor when a shard gets its first connection of a user (true)
   /// or loses its last one (false). Also keeps the distinct-users gauge: this map is the one
   /// place that knows every user on this instance. Returns true when the user is new to (or
   /// gone from) the whole instance.
   bool on_user_presence(unsigned shard_index, const std::string& user_id, bool present);

   /// Shard channels subscribed again after Redis dropped them: the connections of their users
   /// (or all, for a global channel) read from history what they missed.
   void repair_channels(const std::vector<std::string>& channels);
   /// Shard channels whose subscription went: shards forget what they knew of those streams.
   void channels_lost(const std::vector<std::string>& channels);

private:
   using shard_mask = std::uint64_t;
   static constexpr std::size_t max_tracked_shards = 64;

   void queue_for(shard_mask shards, const routing::notification& notification);
   void dispatch();
   /// The route a shard channel stands for; nullopt for a channel of no known scheme.
   std::optional<routing::route> route_of(std::string_view channel) const;

   net::any_io_executor executor_;
   std::vector<shard*> shards_;
   routing::channel_scheme scheme_;
   std::optional<routing::channel_scheme> history_channels_;
   std::string history_channel_start_; ///< what every history channel starts with
   std::size_t max_payload_bytes_;
   metrics::gateway_metrics& metrics_;
   std::unordered_map<std::string, shard_mask> shards_of_user_;
   redis::cluster_subscriber* cluster_ = nullptr;
   std::vector<std::vector<routing::notification>> pending_; ///< per shard
   bool dispatch_posted_ = false;
};

} // namespace notify::server
