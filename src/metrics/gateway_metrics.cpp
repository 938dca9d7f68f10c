#include "notify/metrics/gateway_metrics.hpp"

#include "notify/metrics/prometheus.hpp"

namespace notify::metrics {

namespace {

template <std::size_t N>
void write_labelled(prometheus_writer& out, std::string_view name, std::string_view help,
                    std::string_view label, const labelled_counter<N>& counters) {
   out.family(name, help, "counter");
   for (std::size_t i = 0; i < N; ++i) {
      out.sample(name, label, counters.labels()[i], static_cast<double>(counters.value_at(i)));
   }
}

} // namespace

std::string render_prometheus(const gateway_metrics& m) {
   prometheus_writer out;
   auto const as_double = [](auto v) { return static_cast<double>(v); };

   out.family("notify_connections", "Open WebSocket connections.", "gauge");
   out.sample("notify_connections", as_double(m.connections.value()));
   out.family("notify_authenticated_connections", "Authenticated WebSocket connections.", "gauge");
   out.sample("notify_authenticated_connections", as_double(m.authenticated_connections.value()));
   out.family("notify_authenticated_users", "Distinct users with at least one connection.",
              "gauge");
   out.sample("notify_authenticated_users", as_double(m.authenticated_users.value()));
   out.family("notify_connections_accepted_total", "TCP connections accepted.", "counter");
   out.sample("notify_connections_accepted_total", as_double(m.connections_accepted.value()));

   out.family("notify_redis_messages_total", "Messages received from Redis, by scope.", "counter");
   out.sample("notify_redis_messages_total", "scope", "user",
              as_double(m.redis_messages_user.value()));
   out.sample("notify_redis_messages_total", "scope", "global",
              as_double(m.redis_messages_global.value()));
   out.family("notify_deliveries_total", "Notifications queued to a client connection.", "counter");
   out.sample("notify_deliveries_total", as_double(m.deliveries.value()));
   write_labelled(out, "notify_dropped_messages_total",
                  "Redis messages dropped before delivery, by reason.", "reason",
                  m.dropped_messages);
   write_labelled(out, "notify_auth_failures_total", "Failed authentications, by reason.", "reason",
                  m.auth_failures);
   out.family("notify_protocol_errors_total", "Bad client messages answered with an error.",
              "counter");
   out.sample("notify_protocol_errors_total", as_double(m.protocol_errors.value()));

   out.family("notify_slow_consumer_closes_total",
              "Connections closed with 4004 because their unsent data exceeded the limits.",
              "counter");
   out.sample("notify_slow_consumer_closes_total", as_double(m.slow_consumers.value()));

   write_labelled(out, "notify_refused_connections_total",
                  "Connections refused or closed by a limit (connections, handshake rate, auth "
                  "lockout, origin), by limit.",
                  "limit", m.refused_connections);
   write_labelled(out, "notify_timeouts_total",
                  "Connections closed because a stage took too long, by stage.", "stage",
                  m.timeouts);

   out.family("notify_redis_connected", "1 while subscribed to Redis, else 0.", "gauge");
   out.sample("notify_redis_connected", as_double(m.redis_connected.value()));
   out.family("notify_redis_reconnects_total",
              "Times the Redis subscriber link was re-established.", "counter");
   out.sample("notify_redis_reconnects_total", as_double(m.redis_reconnects.value()));
   return out.take();
}

} // namespace notify::metrics
