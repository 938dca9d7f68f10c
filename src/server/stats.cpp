#include "notify/server/stats.hpp"

#include <nlohmann/json.hpp>

namespace notify::server {

std::string render_stats(gateway_context& context) {
   auto const& m = context.metrics;
   auto const now = steady_clock::now();
   auto const messages_in = m.redis_messages_user.value() + m.redis_messages_global.value();
   auto const deliveries = m.total(&metrics::shard_metrics::deliveries);
   auto const rates = context.rates.update(now, messages_in, deliveries);
   bool const ready = context.ready.ready();
   nlohmann::json stats = {
       {"version", NOTIFY_VERSION},
       {"uptime_s", std::chrono::duration<double>(now - context.started_at).count()},
       {"connections", m.total(&metrics::shard_metrics::connections)},
       {"authenticated_connections", m.total(&metrics::shard_metrics::authenticated_connections)},
       {"users", m.authenticated_users.value()},
       {"messages_in_total", messages_in},
       {"deliveries_total", deliveries},
       {"messages_in_per_s", rates.messages_in},
       {"deliveries_per_s", rates.deliveries_out},
       {"slow_consumer_closes_total", m.total(&metrics::shard_metrics::slow_consumers)},
       {"redis",
        {{"connected", m.redis_connected.value() == 1},
         {"ready", ready},
         {"reason", ready ? std::string() : context.ready.reason()},
         {"reconnects_total", m.redis_reconnects.value()}}},
       {"websocket_path", context.settings.server.websocket_path},
       {"shutting_down", context.shutting_down.load()},
   };
   return stats.dump();
}

} // namespace notify::server
