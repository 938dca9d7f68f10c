#pragma once

#include "notify/config/settings.hpp"
#include "notify/metrics/gateway_metrics.hpp"
#include "notify/redis/subscriber_fsm.hpp"
#include "notify/routing/channel.hpp"
#include "notify/server/gateway_context.hpp"
#include "notify/server/net.hpp"
#include "notify/server/readiness.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace notify::redis {
class cluster_subscriber;
class command_client;
class request_client;
class subscriber;
struct node_address;
} // namespace notify::redis

namespace notify::server {

class shard;
class listener;
class notification_router;
class authenticator;

/// The whole gateway: shards, listener, Redis subscriber and session lookups, signals.
class gateway {
public:
   explicit gateway(const config::settings& settings);
   ~gateway();
   gateway(const gateway&) = delete;
   gateway& operator=(const gateway&) = delete;

   /// Serves until SIGINT/SIGTERM and a graceful stop. Returns the process exit code.
   int run();

private:
   void wait_for_signal();
   void begin_shutdown();
   void subscribe_standalone(routing::channel_scheme const& scheme);
   void subscribe_cluster(routing::channel_scheme const& scheme);
   void on_redis_state(redis::subscriber_state state, std::string_view reason);
   void on_cluster_state(bool ready, std::string_view reason);
   /// On `node` in cluster mode (each master has its own functions), else on the one Redis.
   /// History and presence both live in the notify function library.
   bool needs_function_library() const;
   void load_function_library(const redis::node_address* node);

   const config::settings& settings_;
   metrics::gateway_metrics metrics_;
   readiness readiness_;
   std::unique_ptr<boost::asio::ssl::context> tls_context_;
   gateway_context context_;
   std::vector<std::unique_ptr<shard>> shards_;
   std::unique_ptr<redis::request_client> session_lookups_;
   /// history.enabled, standalone: loads the function library on every subscribe.
   std::unique_ptr<redis::command_client> history_admin_;
   std::unique_ptr<authenticator> authenticator_;
   std::unique_ptr<notification_router> router_;
   std::unique_ptr<redis::subscriber> subscriber_;                 ///< redis.mode standalone
   std::unique_ptr<redis::cluster_subscriber> cluster_subscriber_; ///< redis.mode cluster
   std::shared_ptr<listener> listener_;
   std::optional<net::signal_set> signals_;
   bool ever_subscribed_ = false;
   bool library_loaded_ = false;
};

} // namespace notify::server
