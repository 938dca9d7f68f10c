#include "notify/metrics/gateway_metrics.hpp"

#include "notify/metrics/prometheus.hpp"

#include <algorithm>
#include <cstdio>

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

/// The same, summed over every shard's block.
template <std::size_t N>
void write_labelled(prometheus_writer& out, std::string_view name, std::string_view help,
                    std::string_view label, const gateway_metrics& m,
                    labelled_counter<N> shard_metrics::*field,
                    const std::array<std::string_view, N>& labels) {
   out.family(name, help, "counter");
   for (std::size_t i = 0; i < N; ++i) {
      out.sample(name, label, labels[i], static_cast<double>(m.total(field, i)));
   }
}

/// One counter family summed over every shard's block.
void write_counter(prometheus_writer& out, std::string_view name, std::string_view help,
                   const gateway_metrics& m, counter shard_metrics::*field) {
   out.family(name, help, "counter");
   out.sample(name, static_cast<double>(m.total(field)));
}

} // namespace

gateway_metrics::gateway_metrics(std::size_t shards)
    : shard_count_(std::max<std::size_t>(shards, 1))
    , shards_(std::make_unique<shard_metrics[]>(shard_count_)) {}

std::int64_t gateway_metrics::total(gauge shard_metrics::*field) const {
   std::int64_t sum = 0;
   for (std::size_t i = 0; i < shard_count_; ++i) {
      sum += (shards_[i].*field).value();
   }
   return sum;
}

std::uint64_t gateway_metrics::total(counter shard_metrics::*field) const {
   std::uint64_t sum = 0;
   for (std::size_t i = 0; i < shard_count_; ++i) {
      sum += (shards_[i].*field).value();
   }
   return sum;
}

std::string render_prometheus(const gateway_metrics& m) {
   prometheus_writer out;
   auto const as_double = [](auto v) { return static_cast<double>(v); };

   out.family("notify_connections", "Open WebSocket connections.", "gauge");
   out.sample("notify_connections", as_double(m.total(&shard_metrics::connections)));
   out.family("notify_authenticated_connections", "Authenticated WebSocket connections.", "gauge");
   out.sample("notify_authenticated_connections",
              as_double(m.total(&shard_metrics::authenticated_connections)));
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
   out.sample("notify_deliveries_total", as_double(m.total(&shard_metrics::deliveries)));
   write_labelled(out, "notify_dropped_messages_total",
                  "Redis messages dropped before delivery, by reason.", "reason",
                  m.dropped_messages);
   write_labelled(out, "notify_auth_failures_total", "Failed authentications, by reason.", "reason",
                  m, &shard_metrics::auth_failures, auth_failure_reasons);
   out.family("notify_protocol_errors_total", "Bad client messages answered with an error.",
              "counter");
   out.sample("notify_protocol_errors_total", as_double(m.total(&shard_metrics::protocol_errors)));

   write_counter(out, "notify_slow_consumer_closes_total",
                 "Connections closed with 4004 because their unsent data exceeded the limits.", m,
                 &shard_metrics::slow_consumers);

   write_labelled(out, "notify_refused_connections_total",
                  "Connections refused or closed by a limit (connections, handshake rate, auth "
                  "lockout, origin), by limit.",
                  "limit", m, &shard_metrics::refused_connections, connection_limit_reasons);
   write_labelled(out, "notify_timeouts_total",
                  "Connections closed because a stage took too long, by stage.", "stage", m,
                  &shard_metrics::timeouts, timeout_stages);
   write_labelled(out, "notify_proxy_header_rejections_total",
                  "Connections closed for their PROXY protocol header (server.proxy_protocol), "
                  "by reason.",
                  "reason", m, &shard_metrics::proxy_header_rejections,
                  proxy_header_rejection_reasons);

   write_counter(out, "notify_presence_write_failures_total",
                 "Presence joins, refreshes and leaves Redis did not take (the refresh repairs "
                 "them within a third of presence.ttl_ms).",
                 m, &shard_metrics::presence_write_failures);
   write_counter(out, "notify_history_resumed_connections_total",
                 "Connections that asked to resume a history stream (per stream asked).", m,
                 &shard_metrics::history_resumed_connections);
   write_counter(out, "notify_history_replayed_messages_total",
                 "Messages delivered from history: resumes and the gateway's own repairs.", m,
                 &shard_metrics::history_replayed_messages);
   write_labelled(out, "notify_history_gaps_total",
                  "Times a connection could not be given every message after its position, by "
                  "reason.",
                  "reason", m, &shard_metrics::history_gaps, history_gap_reasons);
   write_counter(out, "notify_history_read_failures_total",
                 "History reads that failed (Redis unreachable or not answering).", m,
                 &shard_metrics::history_read_failures);

   {
      // One histogram over all shards: bucket counts add up.
      constexpr std::string_view name = "notify_publish_to_socket_seconds";
      out.family(name,
                 "From a notify_publish message's stream id (Redis' clock) to the write of it "
                 "being queued on a shard; clock skew between the hosts shows up here.",
                 "histogram");
      std::uint64_t cumulative = 0;
      std::uint64_t sum_us = 0;
      for (std::size_t i = 0; i < m.shard_count(); ++i) {
         sum_us += m.shard(i).publish_to_socket.sum_us();
      }
      auto const bucket_name = std::string(name) + "_bucket";
      for (std::size_t b = 0; b <= latency_buckets_ms.size(); ++b) {
         for (std::size_t i = 0; i < m.shard_count(); ++i) {
            cumulative += m.shard(i).publish_to_socket.in_bucket(b);
         }
         char bound[32];
         if (b < latency_buckets_ms.size()) {
            std::snprintf(bound, sizeof bound, "%g", latency_buckets_ms[b] / 1000.0);
         } else {
            std::snprintf(bound, sizeof bound, "+Inf");
         }
         out.sample(bucket_name, "le", bound, static_cast<double>(cumulative));
      }
      out.sample(std::string(name) + "_sum", static_cast<double>(sum_us) / 1e6);
      out.sample(std::string(name) + "_count", static_cast<double>(cumulative));
   }

   out.family("notify_redis_connected", "1 while subscribed to Redis, else 0.", "gauge");
   out.sample("notify_redis_connected", as_double(m.redis_connected.value()));
   out.family("notify_redis_reconnects_total",
              "Times the Redis subscriber link was re-established.", "counter");
   out.sample("notify_redis_reconnects_total", as_double(m.redis_reconnects.value()));
   return out.take();
}

} // namespace notify::metrics
