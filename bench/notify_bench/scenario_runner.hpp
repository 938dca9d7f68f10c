#pragma once

// Runs one scenario on one thread: the event loop, the connections, the publisher and the exact
// accounting of every delivery. The machinery lives in scenario_runner.cpp; the five scenarios,
// written as plain sequences of "publish, then wait until ...", in scenarios.cpp.

#include "connection_pool.hpp"
#include "delivery_tracker.hpp"
#include "event_loop.hpp"
#include "latency_histogram.hpp"
#include "options.hpp"
#include "proc_sampler.hpp"
#include "redis_publisher.hpp"
#include "report.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace notify::bench {

/// Asks every running scenario to stop (from a signal handler: only sets a flag).
void request_stop() noexcept;

class scenario_runner final : public message_sink {
public:
   /// `connection_capacity`: how many sockets this process may open for connections.
   scenario_runner(const bench_options& options, std::size_t connection_capacity);

   /// Connects, runs the scenario and says what it measured. Never throws: failures end up in
   /// report.problem.
   bench_report run();

   void on_message(std::size_t connection, std::string_view payload, std::int64_t now_ns) override;

private:
   static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();
   static constexpr std::uint64_t publisher_tag = std::numeric_limits<std::uint64_t>::max() - 1;

   enum class wait_result { done, timed_out, aborted };
   /// Called on every loop turn with the current time; returns when it wants to run next.
   using ticker = std::function<std::int64_t(std::int64_t now_ns)>;

   struct sample {
      std::int64_t at_ns = 0;
      std::optional<process_sample> server;
      double own_cpu_seconds = 0;
   };

   // Machinery (scenario_runner.cpp).
   wait_result run_until(const std::function<bool()>& done, std::int64_t deadline_ns,
                         const ticker& tick = {});
   void dispatch(std::int64_t now_ns);
   void abort_run(std::string problem);
   void print_progress(std::int64_t now_ns);
   /// Opens connections up to `total`; false when the run was aborted meanwhile.
   bool connect_to(std::size_t total);
   bool pause(std::chrono::milliseconds duration);
   sample take_sample() const;
   void report_rates(const sample& before, const sample& after, std::uint64_t deliveries);
   /// Starts a phase of `seqs_per_connection` messages per connection, first sequence number
   /// `first_seq`; `user_messages` tells which channel they come from.
   void start_phase(std::string_view name, bool user_messages, std::uint64_t first_seq,
                    std::uint64_t seqs_per_connection);
   bool phase_complete() const { return phase_received_ >= phase_expected_; }
   /// Waits up to --burst-timeout for the phase to complete. A wait in which nothing at all
   /// arrived aborts the run: the server is not delivering, and every further wait would only
   /// time out as well.
   wait_result wait_for_deliveries();
   /// Publishes `count` global messages now; returns their first sequence number.
   void publish_global_burst(std::size_t count);
   void finish_report();

   // Scenarios (scenarios.cpp).
   void run_idle();
   void run_user();
   void run_broadcast();
   void run_single_broadcast();
   void run_max_clients();
   /// Connects the scenario's connections and waits the warmup; false when that failed.
   bool connect_and_warm_up();

   const bench_options& options_;
   std::size_t connection_capacity_;
   event_loop loop_;
   std::unique_ptr<connection_pool> pool_;
   std::unique_ptr<redis_publisher> publisher_;
   std::optional<proc_sampler> server_;
   delivery_tracker tracker_;
   latency_histogram latency_;       ///< every fresh delivery of the run
   latency_histogram phase_latency_; ///< the current phase's
   bench_report report_;

   bool aborted_ = false;
   std::int64_t hard_deadline_ns_ = never;
   std::int64_t next_poll_ns_ = 0;
   std::int64_t next_progress_ns_ = never;
   std::uint64_t received_at_last_progress_ = 0;
   std::string_view phase_name_ = "start";

   bool phase_user_messages_ = false;
   std::uint64_t phase_expected_ = 0;
   std::uint64_t phase_received_ = 0;
   std::uint64_t phase_max_latency_ns_ = 0;
   std::uint64_t next_global_seq_ = 0;
   double connect_seconds_total_ = 0;
   std::size_t connected_total_ = 0;
};

} // namespace notify::bench
