#pragma once

// What a run measured, and how it is shown: one JSON line (--json) and a human summary.

#include "latency_histogram.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace notify::bench {

struct latency_summary_ms {
   double p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0;
};

struct broadcast_summary_ms {
   double p50 = 0, p99 = 0, max = 0;
};

struct step_result {
   std::size_t connections = 0;
   double p95_ms = 0;
};

/// Optional fields are left out of the JSON when a scenario does not measure them.
struct bench_report {
   std::string scenario;
   std::string server_label;
   std::size_t connections = 0; ///< authenticated connections (at the end, for max-clients)
   std::size_t users = 0;
   std::optional<double> connect_seconds;
   std::optional<double> connects_per_s;
   std::uint64_t auth_failures = 0;
   std::optional<std::uint64_t> rss_before_kib;
   std::optional<std::uint64_t> rss_after_kib;
   std::optional<double> rss_per_connection_bytes;

   bool has_messages = false; ///< expected .. published are reported
   std::uint64_t expected = 0;
   std::uint64_t received = 0;
   std::uint64_t duplicates = 0;
   std::uint64_t misrouted = 0;
   std::uint64_t published = 0;
   std::optional<double> duration_s;
   std::optional<double> deliveries_per_s;
   std::optional<double> server_cpu_percent;
   std::optional<double> deliveries_per_server_cpu_s;
   std::optional<double> client_cpu_percent;
   std::optional<latency_summary_ms> latency_ms;
   std::optional<broadcast_summary_ms> broadcast_ms;
   std::optional<std::size_t> max_clients;
   std::vector<step_result> steps;

   // For the summary and the exit code only.
   bool completed = false;
   std::string problem; ///< why the run did not complete, or what went wrong
   std::uint64_t disconnects = 0;
   std::uint64_t late = 0;           ///< arrivals of messages from an earlier phase
   std::uint64_t other_messages = 0; ///< text messages that are not ours
   std::uint64_t publish_errors = 0;
   std::uint64_t publish_unheard = 0;
   std::string failures_by_reason; ///< "connect_failed=3 auth_refused=1"

   std::uint64_t lost() const { return expected > received ? expected - received : 0; }
};

latency_summary_ms summarize(const latency_histogram& histogram);

/// Nearest-rank percentile of a small set of values (sorted here).
double percentile_of(std::vector<double> values, double q);

/// One line of JSON, no newline; keys in snake_case, numbers rounded to 4 decimals.
std::string to_json_line(const bench_report& report);

/// Several lines for a person reading stderr.
std::string human_summary(const bench_report& report);

/// 0: completed with nothing lost, duplicated or misrouted; 1 otherwise.
int exit_code(const bench_report& report);

} // namespace notify::bench
