// The five scenarios of notify-bench, each a plain sequence of steps over scenario_runner's
// machinery.

#include "bench_clock.hpp"
#include "scenario_runner.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace notify::bench {

namespace {

constexpr double ns_per_ms = 1e6;
constexpr double ns_per_s = 1e9;
/// Messages an open-loop publisher sends at most per loop turn when it has fallen behind, so
/// receiving keeps up.
constexpr std::uint64_t max_catch_up_batch = 1000;
/// How often an open-loop publisher collects Redis replies.
constexpr std::int64_t reply_read_interval_ns = 1'000'000;
constexpr std::size_t max_clients_rounds = 5;
constexpr std::size_t max_clients_broadcasts_per_round = 4;

} // namespace

bool scenario_runner::connect_and_warm_up() {
   if (auto const before = take_sample(); before.server) {
      report_.rss_before_kib = before.server->rss_kib;
   }
   if (!connect_to(options_.connections) || !pause(options_.warmup)) {
      return false;
   }
   if (auto const after = take_sample(); after.server && report_.rss_before_kib) {
      report_.rss_after_kib = after.server->rss_kib;
      std::size_t const open = pool_->counters().open;
      if (open > 0) {
         auto const grown = static_cast<double>(*report_.rss_after_kib) -
                            static_cast<double>(*report_.rss_before_kib);
         report_.rss_per_connection_bytes = grown * 1024.0 / static_cast<double>(open);
      }
   }
   return true;
}

void scenario_runner::run_idle() {
   connect_and_warm_up();
}

void scenario_runner::run_user() {
   if (!connect_and_warm_up()) {
      return;
   }
   std::size_t const users = options_.users;
   auto const total = static_cast<std::uint64_t>(std::llround(options_.rate * options_.duration_s));
   std::uint64_t const per_user = (total + users - 1) / users;
   start_phase("user", true, 0, per_user);

   sample const before = take_sample();
   std::int64_t const start = before.at_ns;
   double const ns_per_message = ns_per_s / options_.rate;
   std::uint64_t sent = 0;
   std::int64_t next_reply_read = start;
   publisher_->watch_replies(false);
   // Open loop: message j is due at start + j / rate, whatever the receivers are doing.
   auto const publish_due = [&](std::int64_t now) -> std::int64_t {
      if (sent >= total) {
         return never;
      }
      if (now >= next_reply_read) {
         publisher_->read_ready_replies();
         next_reply_read = now + reply_read_interval_ns;
      }
      auto const due = std::min<std::uint64_t>(
          total, static_cast<std::uint64_t>(static_cast<double>(now - start) / ns_per_message) + 1);
      std::uint64_t const batch_end = std::min(due, sent + max_catch_up_batch);
      if (sent < batch_end) {
         for (; sent < batch_end; ++sent) {
            std::uint64_t const user = sent % users;
            std::uint64_t const receivers = pool_->open_of_user(user);
            phase_expected_ += receivers;
            report_.expected += receivers;
            publisher_->publish_to_user(options_.user_offset + user, sent / users,
                                        static_cast<std::uint64_t>(bench_now_ns()));
         }
         publisher_->flush();
      }
      if (sent >= total) {
         publisher_->watch_replies(true);
         return never;
      }
      return sent < due
                 ? now
                 : start + static_cast<std::int64_t>(static_cast<double>(sent) * ns_per_message);
   };
   std::int64_t const deadline = start + static_cast<std::int64_t>(options_.duration_s * ns_per_s) +
                                 std::chrono::nanoseconds(options_.burst_timeout).count();
   run_until([&] { return sent >= total && phase_complete() && publisher_->settled(); }, deadline,
             publish_due);
   report_rates(before, take_sample(), phase_received_);
}

void scenario_runner::run_broadcast() {
   if (!connect_and_warm_up()) {
      return;
   }
   start_phase("broadcast", false, next_global_seq_, options_.bursts * options_.burst_size);
   sample const before = take_sample();
   for (std::size_t burst = 0; burst < options_.bursts; ++burst) {
      publish_global_burst(options_.burst_size);
      if (wait_for_deliveries() == wait_result::aborted) {
         return;
      }
   }
   report_rates(before, take_sample(), phase_received_);
}

void scenario_runner::run_single_broadcast() {
   if (!connect_and_warm_up()) {
      return;
   }
   start_phase("single-broadcast", false, next_global_seq_, options_.count);
   std::vector<double> until_last_ms;
   sample const before = take_sample();
   for (std::size_t i = 0; i < options_.count; ++i) {
      phase_max_latency_ns_ = 0;
      publish_global_burst(1);
      auto const result = wait_for_deliveries();
      if (result == wait_result::aborted) {
         return;
      }
      // A broadcast that never reached everyone took at least the whole wait.
      until_last_ms.push_back(result == wait_result::done
                                  ? static_cast<double>(phase_max_latency_ns_) / ns_per_ms
                                  : static_cast<double>(options_.burst_timeout.count()));
   }
   report_rates(before, take_sample(), phase_received_);
   report_.broadcast_ms =
       broadcast_summary_ms{percentile_of(until_last_ms, 0.50), percentile_of(until_last_ms, 0.99),
                            percentile_of(until_last_ms, 1.0)};
}

void scenario_runner::run_max_clients() {
   std::size_t const limit =
       std::min(options_.max_connections == 0 ? connection_capacity_ : options_.max_connections,
                connection_capacity_);
   std::size_t target = std::min(options_.step, limit);
   std::size_t max_within_bound = 0;
   while (true) {
      std::size_t const failed_before = pool_->counters().failed;
      if (!connect_to(target) || pool_->counters().open == 0 || !pause(options_.warmup)) {
         break;
      }
      bool const limit_reached = pool_->counters().failed != failed_before;
      std::size_t const connections = pool_->counters().open;
      start_phase("max-clients", false, next_global_seq_,
                  max_clients_rounds * max_clients_broadcasts_per_round);
      for (std::size_t round = 0; round < max_clients_rounds; ++round) {
         publish_global_burst(max_clients_broadcasts_per_round);
         if (wait_for_deliveries() == wait_result::aborted) {
            return;
         }
      }
      // Deliveries that never came count as slower than anything measured.
      double p95_ms = static_cast<double>(options_.burst_timeout.count());
      double const needed = std::ceil(0.95 * static_cast<double>(phase_expected_));
      if (phase_received_ > 0 && needed <= static_cast<double>(phase_received_)) {
         p95_ms = static_cast<double>(
                      phase_latency_.percentile_ns(needed / static_cast<double>(phase_received_))) /
                  ns_per_ms;
      }
      report_.steps.push_back(step_result{connections, p95_ms});
      report_.connections = connections;
      if (p95_ms > options_.bound_ms) {
         break;
      }
      max_within_bound = connections;
      if (limit_reached || target >= limit) {
         break;
      }
      target = std::min(target + options_.step, limit);
   }
   report_.max_clients = max_within_bound;
   report_.users = pool_->size();
}

} // namespace notify::bench
