#pragma once

#include "notify/redis/cluster_topology.hpp"
#include "notify/redis/node_address.hpp"
#include "notify/redis/request_client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace notify::redis {

/// Request/response access to a Redis Cluster: each command goes to the master that serves its
/// key's slot, on one command_client per master. The slot map comes from CLUSTER SLOTS (asked of
/// the known masters, then the seeds), fetched on the first request and again after a MOVED or a
/// failed link. MOVED is followed at once; ASK is followed with ASKING for that one request;
/// TRYAGAIN (a key in migration) is retried shortly; a request follows at most 5 of them.
/// Use from one executor (thread) only.
class cluster_client final : public request_client {
public:
   /// `config.cluster_nodes` (or host:port) are the seeds; auth and timeouts apply per node.
   /// `max_waiting`: requests that may wait for the first slot map.
   cluster_client(boost::asio::any_io_executor executor, settings config,
                  std::size_t max_waiting = 1024);
   ~cluster_client() override;
   cluster_client(cluster_client const&) = delete;
   cluster_client& operator=(cluster_client const&) = delete;

   /// Errors: those of command_client, errc::slot_unserved (no master serves the slot, or no node
   /// answered CLUSTER SLOTS), errc::too_many_redirects.
   void command(std::vector<std::string> args, reply_handler handler) override;

   /// One command on one node, as is (FUNCTION LOAD must reach every master).
   void command_on(node_address const& node, std::vector<std::string> args, reply_handler handler);

   using topology_handler =
       std::function<void(std::shared_ptr<const cluster_topology> topology, std::string why)>;
   /// Asks for a new slot map now (shared with a request already in flight) and routes by it
   /// from then on; `done` gets it, or null and why no node gave a usable one.
   void fetch_topology(topology_handler done);

   void stop() override;

private:
   class impl;
   std::shared_ptr<impl> impl_;
};

/// The seeds of `config`: cluster_nodes, or host:port when that list is empty.
std::vector<node_address> seed_nodes(settings const& config);

/// `config` pointed at `node` (database 0: a cluster has no other).
settings settings_for(settings const& config, node_address const& node);

} // namespace notify::redis
