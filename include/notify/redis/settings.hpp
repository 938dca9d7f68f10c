#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace notify::redis {

/// Where and how to reach Redis. Filled from config, REDIS_URL and the seed's REDIS_* variables.
struct settings {
   std::string host = "127.0.0.1";
   std::uint16_t port = 6379;
   std::string username; ///< ACL user; empty means AUTH with the password alone
   std::string password; ///< empty means no AUTH
   int db = 0;
   std::chrono::milliseconds connect_timeout{2000};
   /// PING after this long without bytes from Redis; the link is dead after twice this.
   std::chrono::milliseconds health_check_interval{5000};
   std::chrono::milliseconds reconnect_initial_delay{50};
   std::chrono::milliseconds reconnect_max_delay{2000};

   /// "standalone" (one Redis: host and port above) or "cluster" (Redis Cluster: the topology
   /// is read from `cluster_nodes`, or from host:port when that list is empty).
   std::string mode = "standalone";
   /// Seed nodes, "host:port" each; any one that answers is enough. Auth applies to every node.
   std::vector<std::string> cluster_nodes;
   /// Cluster mode: how often CLUSTER SLOTS is asked even when nothing looked wrong, to catch a
   /// failover or resharding no push announced.
   std::chrono::milliseconds topology_refresh_interval{5000};
   /// Cluster mode: a user's shard channel is unsubscribed this long after their last
   /// connection left, so a reconnect (a page reload) costs Redis nothing.
   std::chrono::milliseconds unsubscribe_delay{2000};
   /// Cluster mode: also PSUBSCRIBE/SUBSCRIBE the classic channels on one node, so plain PUBLISH
   /// keeps working (Redis broadcasts classic messages to every node: it does not scale out).
   bool classic_pubsub = true;

   bool is_cluster() const { return mode == "cluster"; }
};

} // namespace notify::redis
