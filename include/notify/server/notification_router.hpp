#pragma once

#include "notify/metrics/gateway_metrics.hpp"
#include "notify/routing/channel.hpp"
#include "notify/routing/notification.hpp"
#include "notify/server/net.hpp"

#include <memory>
#include <string>
#include <vector>

namespace notify::server {

class shard;

/// Takes Redis messages on the subscriber's executor, validates and frames each once, and hands
/// them to every shard in batches: all messages that arrived in one read of the Redis socket
/// cross to each shard in one post, so each connection can send them in one write.
class notification_router {
public:
   notification_router(net::any_io_executor executor, std::vector<shard*> shards,
                       routing::channel_scheme scheme, std::size_t max_payload_bytes,
                       metrics::gateway_metrics& metrics);

   void on_message(std::string_view channel, std::string_view payload);

private:
   void dispatch();

   net::any_io_executor executor_;
   std::vector<shard*> shards_;
   routing::channel_scheme scheme_;
   std::size_t max_payload_bytes_;
   metrics::gateway_metrics& metrics_;
   std::vector<routing::notification> pending_;
   bool dispatch_posted_ = false;
};

} // namespace notify::server
