// notify-bench: load generator for notify-gateway (see --help and docs/benchmarks.md).

#include "bench_clock.hpp"
#include "options.hpp"
#include "report.hpp"
#include "scenario_runner.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr int exit_bad_options = 2;
constexpr int exit_failed = 1;
/// Descriptors kept free for everything but connections: stdio, epoll, Redis, /proc reads.
constexpr std::size_t reserved_descriptors = 32;
/// How long after --timeout-s the process is killed if the orderly stop itself hangs.
constexpr unsigned backstop_seconds = 30;

/// Raises the soft open-file limit to the hard one; returns the limit now in force.
std::size_t raise_open_file_limit() {
   rlimit limit{};
   if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return 1024;
   }
   if (limit.rlim_cur < limit.rlim_max) {
      rlimit raised = limit;
      raised.rlim_cur = limit.rlim_max;
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
         limit = raised;
      }
   }
   return limit.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20
                                          : static_cast<std::size_t>(limit.rlim_cur);
}

void on_stop_signal(int) {
   notify::bench::request_stop();
}

} // namespace

int main(int argc, char** argv) {
   using namespace notify::bench;
   bench_now_ns(); // fixes the clock's origin before anything is timed
   std::vector<std::string_view> args(argv + 1, argv + argc);
   char const* env_secret = std::getenv("NOTIFY_JWT_SECRET");
   parsed_command_line command;
   try {
      command = parse_command_line(args, env_secret ? std::optional<std::string_view>(env_secret)
                                                    : std::nullopt);
   } catch (const option_error& e) {
      std::cerr << "notify-bench: " << e.what() << "\n";
      return exit_bad_options;
   }
   if (command.help) {
      std::cout << usage_text();
      return 0;
   }
   bench_options const& options = command.options;

   std::size_t const file_limit = raise_open_file_limit();
   std::size_t const capacity =
       file_limit > reserved_descriptors ? file_limit - reserved_descriptors : 0;
   if (options.scenario != scenario_kind::max_clients && options.connections > capacity) {
      std::cerr << "notify-bench: --connections: " << options.connections
                << " exceeds what the open-file limit (" << file_limit << ") allows: at most "
                << capacity << "\n";
      return exit_bad_options;
   }

   std::signal(SIGPIPE, SIG_IGN);
   std::signal(SIGINT, on_stop_signal);
   std::signal(SIGTERM, on_stop_signal);
   // The run stops itself at --timeout-s; SIGALRM's default action ends it if that ever fails.
   ::alarm(static_cast<unsigned>(options.timeout.count()) + backstop_seconds);

   bench_report report;
   try {
      scenario_runner runner(options, capacity);
      report = runner.run();
   } catch (const std::exception& e) {
      std::cerr << "notify-bench: " << e.what() << "\n";
      return exit_failed;
   }
   std::cerr << human_summary(report);
   if (options.json) {
      std::cout << to_json_line(report) << std::endl;
   }
   return exit_code(report) == 0 ? 0 : exit_failed;
}
