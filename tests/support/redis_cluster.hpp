#pragma once

// A private Redis Cluster on loopback for tests (scripts/redis-cluster: 3 masters and 3 replicas
// from Debian's redis-server, free ports, stopped by PID).

#include <cstdint>
#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace notify::test {

class redis_cluster {
public:
   /// Starts the cluster (about 13 s: until every replica is in sync and announced). started()
   /// says whether it worked; the nodes' logs are printed to stderr when it did not.
   redis_cluster();
   /// Stops every node it started, by PID.
   ~redis_cluster();
   redis_cluster(const redis_cluster&) = delete;
   redis_cluster& operator=(const redis_cluster&) = delete;

   bool started() const { return started_; }
   /// Data ports: masters first, then replicas, as started (roles change with failovers).
   const std::vector<std::uint16_t>& ports() const { return ports_; }
   const std::vector<pid_t>& pids() const { return pids_; }
   /// "127.0.0.1:p1,127.0.0.1:p2,...": every node, for redis.cluster_nodes.
   std::string seeds() const;
   /// Adds an empty master (scripts/redis-cluster add-master): its port, or 0 on failure. It is
   /// last in ports() and pids().
   std::uint16_t add_master();
   /// SIGKILL to the node on ports()[index]; it stays dead.
   void kill_node(std::size_t index);
   /// Runs redis-cli against the node on `port` and returns its trimmed output.
   static std::string cli(std::uint16_t port, const std::string& arguments);

private:
   static std::string script();
   void read_env();
   std::filesystem::path dir_;
   bool started_ = false;
   std::vector<std::uint16_t> ports_;
   std::vector<pid_t> pids_;
};

} // namespace notify::test
