#include "scenario_runner.hpp"

#include "bench_clock.hpp"
#include "payload.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>

namespace notify::bench {

namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::int64_t poll_interval_ns = 100'000'000;

volatile std::sig_atomic_t stop_requested = 0;

double seconds_between(std::int64_t from_ns, std::int64_t to_ns) {
   return static_cast<double>(to_ns - from_ns) / static_cast<double>(ns_per_s);
}

} // namespace

void request_stop() noexcept {
   stop_requested = 1;
}

scenario_runner::scenario_runner(const bench_options& options, std::size_t connection_capacity)
    : options_(options)
    , connection_capacity_(connection_capacity) {
   report_.scenario = std::string(scenario_name(options.scenario));
   report_.server_label = options.label;
   report_.users = options.scenario == scenario_kind::max_clients ? 0 : options.users;
   if (options.server_pid) {
      server_.emplace(*options.server_pid);
   }
}

bench_report scenario_runner::run() {
   std::int64_t const start = bench_now_ns();
   hard_deadline_ns_ = start + std::chrono::nanoseconds(options_.timeout).count();
   next_poll_ns_ = start + poll_interval_ns;
   next_progress_ns_ = options_.progress ? start + ns_per_s : never;
   try {
      pool_ = std::make_unique<connection_pool>(loop_, *this, options_);
      if (options_.scenario != scenario_kind::idle) {
         publisher_ = std::make_unique<redis_publisher>(loop_, options_.redis,
                                                        options_.payload_bytes, publisher_tag,
                                                        options_.publish, options_.redis_cluster);
      }
      switch (options_.scenario) {
      case scenario_kind::idle:
         run_idle();
         break;
      case scenario_kind::user:
         run_user();
         break;
      case scenario_kind::broadcast:
         run_broadcast();
         break;
      case scenario_kind::single_broadcast:
         run_single_broadcast();
         break;
      case scenario_kind::max_clients:
         run_max_clients();
         break;
      }
   } catch (const std::exception& e) {
      abort_run(e.what());
   }
   finish_report();
   return report_;
}

void scenario_runner::abort_run(std::string problem) {
   if (!aborted_) {
      aborted_ = true;
      report_.problem = std::move(problem);
   }
}

scenario_runner::wait_result scenario_runner::run_until(const std::function<bool()>& done,
                                                        std::int64_t deadline_ns,
                                                        const ticker& tick) {
   while (true) {
      std::int64_t now = bench_now_ns();
      if (stop_requested != 0) {
         abort_run("stopped by a signal");
      }
      if (now >= hard_deadline_ns_) {
         abort_run("hard timeout (--timeout-s) reached");
      }
      if (aborted_) {
         return wait_result::aborted;
      }
      std::int64_t wake =
          std::min({deadline_ns, hard_deadline_ns_, next_poll_ns_, next_progress_ns_});
      if (tick) {
         wake = std::min(wake, tick(now));
      }
      if (done()) {
         return wait_result::done;
      }
      if (now >= deadline_ns) {
         return wait_result::timed_out;
      }
      auto const events =
          loop_.wait(std::chrono::nanoseconds(std::max<std::int64_t>(wake - now, 0)));
      now = bench_now_ns();
      for (epoll_event const& event : events) {
         if (publisher_ && publisher_->owns(event.data.u64)) {
            publisher_->on_event(event.data.u64, event.events);
         } else {
            pool_->on_event(event.data.u64, event.events, now);
         }
      }
      dispatch(now);
   }
}

void scenario_runner::dispatch(std::int64_t now_ns) {
   if (now_ns >= next_poll_ns_) {
      pool_->poll(now_ns);
      next_poll_ns_ = now_ns + poll_interval_ns;
   }
   if (now_ns >= next_progress_ns_) {
      print_progress(now_ns);
      next_progress_ns_ = now_ns + ns_per_s;
   }
}

void scenario_runner::print_progress(std::int64_t now_ns) {
   pool_counters const& counters = pool_->counters();
   std::uint64_t const per_second = report_.received - received_at_last_progress_;
   received_at_last_progress_ = report_.received;
   std::fprintf(stderr,
                "[%7.1fs] %.*s: open %zu/%zu, failed %zu, published %llu, received %llu/%llu, "
                "%llu deliveries/s\n",
                static_cast<double>(now_ns) / static_cast<double>(ns_per_s),
                static_cast<int>(phase_name_.size()), phase_name_.data(), counters.open,
                pool_->size(), counters.failed,
                static_cast<unsigned long long>(publisher_ ? publisher_->counters().sent : 0),
                static_cast<unsigned long long>(report_.received),
                static_cast<unsigned long long>(report_.expected),
                static_cast<unsigned long long>(per_second));
}

void scenario_runner::on_message(std::size_t connection, std::string_view payload,
                                 std::int64_t now_ns) {
   auto const fields = scan_notification(payload);
   if (!fields) {
      ++report_.other_messages;
      return;
   }
   if (fields->has_user != phase_user_messages_) {
      ++report_.late;
      return;
   }
   if (fields->has_user &&
       (!fields->user_valid || fields->user != options_.user_offset + pool_->user_of(connection))) {
      ++report_.misrouted;
      return;
   }
   switch (tracker_.record(connection, fields->seq)) {
   case delivery_outcome::fresh: {
      ++report_.received;
      ++phase_received_;
      auto const sent = static_cast<std::int64_t>(fields->ts_ns);
      std::uint64_t const latency = now_ns > sent ? static_cast<std::uint64_t>(now_ns - sent) : 0;
      latency_.record(latency);
      phase_latency_.record(latency);
      phase_max_latency_ns_ = std::max(phase_max_latency_ns_, latency);
      return;
   }
   case delivery_outcome::duplicate:
      ++report_.duplicates;
      return;
   case delivery_outcome::out_of_phase:
      ++report_.late;
      return;
   }
}

bool scenario_runner::connect_to(std::size_t total) {
   phase_name_ = "connect";
   pool_counters const& counters = pool_->counters();
   std::size_t const authenticated_before = counters.authenticated;
   std::size_t const failed_before = counters.failed;
   std::int64_t const start = bench_now_ns();
   pool_->add(total - std::min(total, pool_->size()), start);
   // Past the open-file limit (or with a server that stopped accepting), every further
   // handshake would only wait for its timeout: stop starting new ones at the first sign.
   bool const limit_expected = options_.scenario == scenario_kind::max_clients;
   auto const hopeless = [&] {
      if (limit_expected) {
         return counters.failed != failed_before;
      }
      return counters.ended_by_reason[static_cast<std::size_t>(end_reason::handshake_timeout)] +
                 counters.ended_by_reason[static_cast<std::size_t>(end_reason::open_file_limit)] !=
             0;
   };
   auto const result = run_until([&] { return !pool_->handshakes_pending() || hopeless(); }, never);
   if (result == wait_result::aborted) {
      return false;
   }
   if (pool_->handshakes_pending()) {
      if (std::size_t const dropped = pool_->drop_queued(); dropped != 0 && !limit_expected) {
         report_.problem = std::to_string(dropped) + " connections not attempted: handshakes " +
                           "timed out or the open-file limit was reached";
      }
      if (run_until([&] { return !pool_->handshakes_pending(); }, never) == wait_result::aborted) {
         return false;
      }
   }
   std::size_t const fresh = counters.authenticated - authenticated_before;
   if (fresh > 0) {
      connect_seconds_total_ += seconds_between(start, counters.last_authenticated_ns);
      connected_total_ += fresh;
   }
   if (connect_seconds_total_ > 0) {
      report_.connect_seconds = connect_seconds_total_;
      report_.connects_per_s = static_cast<double>(connected_total_) / connect_seconds_total_;
   }
   return true;
}

bool scenario_runner::pause(std::chrono::milliseconds duration) {
   phase_name_ = "warmup";
   std::int64_t const until = bench_now_ns() + std::chrono::nanoseconds(duration).count();
   return run_until([] { return false; }, until) != wait_result::aborted;
}

scenario_runner::sample scenario_runner::take_sample() const {
   sample result;
   result.at_ns = bench_now_ns();
   if (server_) {
      result.server = server_->sample();
   }
   result.own_cpu_seconds = own_cpu_seconds();
   return result;
}

void scenario_runner::report_rates(const sample& before, const sample& after,
                                   std::uint64_t deliveries) {
   double const seconds = seconds_between(before.at_ns, after.at_ns);
   if (seconds <= 0) {
      return;
   }
   report_.duration_s = seconds;
   report_.deliveries_per_s = static_cast<double>(deliveries) / seconds;
   report_.client_cpu_percent = 100.0 * (after.own_cpu_seconds - before.own_cpu_seconds) / seconds;
   if (before.server && after.server) {
      double const cpu = after.server->cpu_seconds - before.server->cpu_seconds;
      report_.server_cpu_percent = 100.0 * cpu / seconds;
      if (cpu > 0) {
         report_.deliveries_per_server_cpu_s = static_cast<double>(deliveries) / cpu;
      }
   }
}

void scenario_runner::start_phase(std::string_view name, bool user_messages,
                                  std::uint64_t first_seq, std::uint64_t seqs_per_connection) {
   phase_name_ = name;
   phase_user_messages_ = user_messages;
   phase_expected_ = 0;
   phase_received_ = 0;
   phase_max_latency_ns_ = 0;
   phase_latency_.reset();
   tracker_.start_phase(pool_->size(), first_seq, seqs_per_connection);
   report_.has_messages = true;
}

scenario_runner::wait_result scenario_runner::wait_for_deliveries() {
   std::uint64_t const received_before = phase_received_;
   std::int64_t const deadline =
       bench_now_ns() + std::chrono::nanoseconds(options_.burst_timeout).count();
   auto const result = run_until([&] { return phase_complete(); }, deadline);
   if (result == wait_result::timed_out && phase_received_ == received_before) {
      abort_run("nothing was delivered within --burst-timeout (" +
                std::to_string(options_.burst_timeout.count()) + " ms)");
      return wait_result::aborted;
   }
   return result;
}

void scenario_runner::publish_global_burst(std::size_t count) {
   std::uint64_t const receivers = pool_->counters().open;
   for (std::size_t i = 0; i < count; ++i) {
      publisher_->publish_global(next_global_seq_++, static_cast<std::uint64_t>(bench_now_ns()));
      phase_expected_ += receivers;
      report_.expected += receivers;
   }
   publisher_->flush();
}

void scenario_runner::finish_report() {
   pool_counters const& counters = pool_->counters();
   if (options_.scenario != scenario_kind::max_clients) {
      report_.connections = counters.authenticated;
   }
   report_.auth_failures = counters.failed;
   report_.disconnects = counters.disconnected;
   std::string reasons;
   for (std::size_t i = 1; i < end_reason_count; ++i) {
      if (counters.ended_by_reason[i] != 0) {
         reasons += std::string(reasons.empty() ? "" : " ") +
                    end_reason_name(static_cast<end_reason>(i)) + "=" +
                    std::to_string(counters.ended_by_reason[i]);
      }
   }
   if (counters.last_close_code != 0) {
      reasons += " last close code " + std::to_string(counters.last_close_code);
   }
   report_.failures_by_reason = reasons;
   if (publisher_) {
      report_.published = publisher_->counters().acknowledged;
      report_.publish_errors = publisher_->counters().errors;
      report_.publish_unheard = publisher_->counters().unheard;
      if (report_.publish_errors != 0 && report_.problem.empty()) {
         report_.problem = "Redis refused PUBLISH: " + publisher_->last_error();
      }
   }
   if (report_.has_messages) {
      report_.latency_ms = summarize(latency_);
   }
   bool const must_connect_all = options_.scenario != scenario_kind::max_clients;
   if (!aborted_) {
      if (must_connect_all && counters.failed != 0 && report_.problem.empty()) {
         report_.problem = std::to_string(counters.failed) + " connections failed to authenticate";
      } else if (counters.disconnected != 0 && report_.problem.empty()) {
         report_.problem = std::to_string(counters.disconnected) + " connections were closed";
      }
   }
   report_.completed = !aborted_ && report_.problem.empty();
}

} // namespace notify::bench
