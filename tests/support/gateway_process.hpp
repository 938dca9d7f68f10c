#pragma once

// Runs the real notify-gateway binary (NOTIFY_GATEWAY_BINARY) as a child process for integration
// tests: on a free loopback port, with its output in a temporary log file, stopped by PID.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace notify::test {

/// Variables added to (or replacing in) the child's environment.
using env_list = std::vector<std::pair<std::string, std::string>>;

/// A TCP port that was free on 127.0.0.1 a moment ago; never the same one twice per process.
std::uint16_t free_loopback_port();

/// The gateway binary under test.
const char* gateway_binary();

struct command_result {
   std::optional<int> exit_code; ///< 128 + signal when killed; nullopt when it outlived the timeout
   std::string out;              ///< what it wrote on stdout
   std::string err;              ///< what it wrote on stderr
};

/// Runs the gateway to completion with `args`, e.g. {"token", "--user", "42"} or a bad setting
/// that must exit with 2. Killed (and exit_code empty) after `timeout`.
command_result run_gateway_command(const std::vector<std::string>& args, const env_list& env = {},
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// One running gateway. The child's environment is the test's, without any NOTIFY_* and REDIS_*
/// variables (so a developer's shell cannot change a test), plus `env`. The child gets SIGKILL
/// if the thread that started it dies, so a crashed test leaves no gateway behind.
class gateway_process {
public:
   /// Starts the gateway with `--host 127.0.0.1 --port <free port>` followed by `args`, and,
   /// when `wait_until_healthy`, waits (10 s at most) until GET /healthz answers 200.
   /// Throws std::runtime_error, with the log, when it does not start.
   explicit gateway_process(std::vector<std::string> args = {}, env_list env = {},
                            bool wait_until_healthy = true);
   /// Stops the gateway by PID: SIGTERM, then SIGKILL after 5 s. Prints its log if the test
   /// failed.
   ~gateway_process();
   gateway_process(const gateway_process&) = delete;
   gateway_process& operator=(const gateway_process&) = delete;

   pid_t pid() const { return pid_; }
   std::uint16_t port() const { return port_; }
   const std::string& log_path() const { return log_path_; }
   /// Everything the gateway wrote (stdout and stderr) so far.
   std::string log_text() const;
   /// Waits until the log contains `needle`.
   bool wait_for_log(std::string_view needle,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

   /// Sends `sig` to the gateway; false when it has already exited.
   bool signal(int sig);
   /// Waits for the gateway to exit: its exit code (128 + signal when killed by one), or
   /// nullopt when it still runs after `timeout`.
   std::optional<int> wait_exit(std::chrono::milliseconds timeout);
   bool running();

private:
   void start(const std::vector<std::string>& args, const env_list& env);
   void kill_and_reap();

   pid_t pid_ = -1;
   std::uint16_t port_ = 0;
   std::string log_path_;
   std::optional<int> exit_code_;
};

} // namespace notify::test
