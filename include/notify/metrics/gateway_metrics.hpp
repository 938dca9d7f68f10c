#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace notify::metrics {

/// Monotonic counter; relaxed atomics: readers only need an eventually exact total.
class counter {
public:
   void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
   std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
   std::atomic<std::uint64_t> value_{0};
};

class gauge {
public:
   void add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
   void set(std::int64_t n) { value_.store(n, std::memory_order_relaxed); }
   std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
   std::atomic<std::int64_t> value_{0};
};

/// Upper bounds (ms) of the publish-to-socket latency buckets; +Inf is implied.
inline constexpr std::array<double, 13> latency_buckets_ms{1,   2,   5,    10,   25,   50,   100,
                                                           250, 500, 1000, 2500, 5000, 10000};

/// A Prometheus histogram over latency_buckets_ms: per-bucket counts (not cumulative; summed
/// when rendered), the count and the sum in microseconds. Relaxed atomics, like counter.
class latency_histogram {
public:
   void observe_ms(double ms) {
      std::size_t bucket = 0;
      while (bucket < latency_buckets_ms.size() && ms > latency_buckets_ms[bucket]) {
         ++bucket;
      }
      buckets_[bucket].add(1);
      sum_us_.add(ms <= 0 ? 0 : static_cast<std::uint64_t>(ms * 1000.0));
   }
   /// Observations in bucket `i` alone (i == latency_buckets_ms.size(): above the last bound).
   std::uint64_t in_bucket(std::size_t i) const { return buckets_[i].value(); }
   std::uint64_t sum_us() const { return sum_us_.value(); }

private:
   std::array<counter, latency_buckets_ms.size() + 1> buckets_;
   counter sum_us_;
};

/// Counters for a fixed set of label values, known when the program is built, so counting never
/// allocates and the exposition always lists every reason (zeros included).
template <std::size_t N> class labelled_counter {
public:
   explicit labelled_counter(const std::array<std::string_view, N>& labels)
       : labels_(labels) {}

   /// Unknown labels count under the last label, which callers name "other".
   void add(std::string_view label, std::uint64_t n = 1) {
      for (std::size_t i = 0; i < N; ++i) {
         if (labels_[i] == label) {
            counters_[i].add(n);
            return;
         }
      }
      counters_[N - 1].add(n);
   }
   std::uint64_t value(std::string_view label) const {
      for (std::size_t i = 0; i < N; ++i) {
         if (labels_[i] == label) {
            return counters_[i].value();
         }
      }
      return 0;
   }
   const std::array<std::string_view, N>& labels() const { return labels_; }
   std::uint64_t value_at(std::size_t i) const { return counters_[i].value(); }

private:
   std::array<std::string_view, N> labels_;
   std::array<counter, N> counters_;
};

/// invalid_history_message: a message on a history live channel not in notify_publish's
/// "<id> <previous id> <json>" form.
inline constexpr std::array<std::string_view, 7> drop_reasons{"too_large",
                                                              "invalid_utf8",
                                                              "invalid_json",
                                                              "foreign_channel",
                                                              "invalid_user_id",
                                                              "invalid_history_message",
                                                              "other"};

/// cookie_malformed / cookie_bad_signature: an express-session cookie that is not well formed /
/// not signed by any auth.cookie_secrets entry (like a forged token: could be guessing);
/// session_expired: a session record whose cookie.expires has passed (a stale login, no guess).
inline constexpr std::array<std::string_view, 19> auth_failure_reasons{"malformed",
                                                                       "unsupported_algorithm",
                                                                       "bad_signature",
                                                                       "expired",
                                                                       "not_yet_valid",
                                                                       "missing_subject",
                                                                       "invalid_subject",
                                                                       "no_secret",
                                                                       "session_not_found",
                                                                       "session_invalid",
                                                                       "session_disabled",
                                                                       "backend_unavailable",
                                                                       "insecure_disabled",
                                                                       "missing_token",
                                                                       "timeout",
                                                                       "cookie_malformed",
                                                                       "cookie_bad_signature",
                                                                       "session_expired",
                                                                       "other"};

/// total / per_ip / handshake_rate / auth_lockout / origin refuse the upgrade (503, 429, 429,
/// 429, 403); per_user closes with 4003 after auth; a locked-out auth message closes with 4005.
inline constexpr std::array<std::string_view, 7> connection_limit_reasons{
    "total", "per_ip", "per_user", "handshake_rate", "auth_lockout", "origin", "other"};

/// The stage a connection was in when its time ran out (see server_settings).
/// proxy_header: the PROXY protocol header did not arrive within server.request_timeout_ms.
inline constexpr std::array<std::string_view, 7> timeout_stages{
    "proxy_header", "request", "header", "handshake", "auth", "idle", "other"};

/// Why a connection could not be given everything after its position (history::gap_reason).
inline constexpr std::array<std::string_view, 6> history_gap_reasons{
    "trimmed", "expired", "replay_limit", "unknown_position", "unavailable", "other"};

/// server.proxy_protocol: a connection from a peer not in server.trusted_proxies, or whose
/// first bytes are not a PROXY header, is closed before anything is read from it.
inline constexpr std::array<std::string_view, 3> proxy_header_rejection_reasons{"untrusted_peer",
                                                                                "invalid", "other"};

/// The counters a shard writes on its own thread (per connection, per delivery batch, per
/// refused handshake). Each shard's block starts on its own cache line and is written by that
/// shard only, so the relaxed fetch_adds never contend: the line stays in its core's cache
/// (no line bounces between shards) and the RMW keeps counts exact even if a session is ever
/// destroyed off its shard. Scrapes sum the blocks; a connection opens and closes on the same
/// shard, so the summed gauges are exact too.
struct alignas(64) shard_metrics {
   gauge connections; ///< open WebSocket connections, authenticated or not
   gauge authenticated_connections;
   counter deliveries; ///< notifications queued to a connection
   labelled_counter<auth_failure_reasons.size()> auth_failures{auth_failure_reasons};
   counter protocol_errors;
   counter slow_consumers; ///< connections closed with 4004 because they fell too far behind
   labelled_counter<connection_limit_reasons.size()> refused_connections{connection_limit_reasons};
   labelled_counter<timeout_stages.size()> timeouts{timeout_stages};
   labelled_counter<proxy_header_rejection_reasons.size()> proxy_header_rejections{
       proxy_header_rejection_reasons};
   counter history_resumed_connections; ///< connections that asked to resume a stream
   counter history_replayed_messages;   ///< messages delivered from a history read
   labelled_counter<history_gap_reasons.size()> history_gaps{history_gap_reasons};
   counter history_read_failures;   ///< history reads Redis did not answer
   counter presence_write_failures; ///< presence joins, refreshes, leaves Redis did not take
   /// From a live history message's stream id (Redis' clock when it was published) to the
   /// moment this shard queued it for its connections' writes.
   latency_histogram publish_to_socket;
};

/// Every number /metrics shows. One instance per process: a shard_metrics block per shard plus
/// the counters only the Redis link, the router and the listener write (all on shard 0).
class gateway_metrics {
public:
   explicit gateway_metrics(std::size_t shards = 1);

   /// The block shard `index` writes; `index` < shard_count().
   shard_metrics& shard(std::size_t index) { return shards_[index]; }
   const shard_metrics& shard(std::size_t index) const { return shards_[index]; }
   std::size_t shard_count() const { return shard_count_; }

   /// Sums over every shard, for scrapes (a few loads per shard, never on the hot path).
   std::int64_t total(gauge shard_metrics::*field) const;
   std::uint64_t total(counter shard_metrics::*field) const;
   template <std::size_t N>
   std::uint64_t total(labelled_counter<N> shard_metrics::*field, std::size_t label_index) const {
      std::uint64_t sum = 0;
      for (std::size_t i = 0; i < shard_count_; ++i) {
         sum += (shards_[i].*field).value_at(label_index);
      }
      return sum;
   }
   template <std::size_t N>
   std::uint64_t total(labelled_counter<N> shard_metrics::*field, std::string_view label) const {
      auto const& labels = (shards_[0].*field).labels();
      for (std::size_t i = 0; i < N; ++i) {
         if (labels[i] == label) {
            return total(field, i);
         }
      }
      return 0;
   }

   gauge authenticated_users; ///< distinct users with at least one connection
   counter redis_messages_user;
   counter redis_messages_global;
   labelled_counter<drop_reasons.size()> dropped_messages{drop_reasons};
   gauge redis_connected;
   counter redis_reconnects;
   counter connections_accepted;

private:
   std::size_t shard_count_;
   std::unique_ptr<shard_metrics[]> shards_;
};

/// The Prometheus text for every metric above.
std::string render_prometheus(const gateway_metrics& metrics);

} // namespace notify::metrics
