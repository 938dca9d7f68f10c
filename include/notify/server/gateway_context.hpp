#pragma once

#include "notify/config/settings.hpp"
#include "notify/metrics/gateway_metrics.hpp"
#include "notify/server/auth_lockout.hpp"
#include "notify/server/authenticator.hpp"
#include "notify/server/connection_counter.hpp"
#include "notify/server/handshake_rate_limiter.hpp"
#include "notify/server/readiness.hpp"
#include "notify/server/traffic_rates.hpp"
#include "notify/server/trusted_proxies.hpp"

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace notify::server {

/// What every shard shares: read-only settings plus thread-safe state. Outlives all shards.
struct gateway_context {
   const config::settings& settings;
   metrics::gateway_metrics& metrics;
   /// Set once before any connection is accepted.
   const server::authenticator* auth = nullptr;
   server::readiness& ready;
   std::atomic<bool> shutting_down{false};
   /// Set once before any connection is accepted: lets the router learn which shards hold
   /// which users, so a user's message wakes only the shards that have that user.
   /// Each change is a user id and whether the shard now has (true) or no longer has (false)
   /// a connection of that user. `applied` is called on the router's thread once they are in.
   std::function<void(unsigned shard, std::vector<std::pair<std::string, bool>> changes,
                      std::function<void()> applied)>
       shard_presence_changed;
   connection_counter connections_per_ip;
   connection_counter connections_per_user;
   handshake_rate_limiter handshakes_per_ip;
   auth_lockout auth_failures_per_ip;
   /// server.trusted_proxies, parsed: whose forwarding headers name the client.
   server::trusted_proxies trusted_proxies;
   /// Set once before any connection is accepted when the port speaks TLS; else null.
   boost::asio::ssl::context* tls = nullptr;
   std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();
   traffic_rates rates;
};

} // namespace notify::server
