// The publishing examples of docs/operations.md, run with the real client library a publisher
// would use (redis-py, through tests/integration/publish_with_redis_py.py), against real Redis,
// a real gateway and real WebSocket clients: what the docs show must reach users as described.

#include "gateway_fixture.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>

namespace notify::test {
namespace {

// Debian's interpreter, not whatever python3 comes first in PATH: the package python3-redis
// installs redis-py for this one only (a pyenv or venv python3 would not have it).
constexpr const char* debian_python = "/usr/bin/python3";
constexpr const char* install_hint =
    "redis-py is missing for /usr/bin/python3: scripts/install-deps --test installs python3-redis";

struct program_result {
   int exit_code = -1; ///< 128 + signal when killed; -1 when it could not be started
   std::string output; ///< stdout and stderr, interleaved
};

/// Runs `args` (args[0] an absolute path) to completion and collects its output. Killed by PID
/// after `timeout`, so that a hanging publisher fails the test instead of hanging it.
program_result run_program(const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
   program_result result;
   int pipe_fds[2];
   if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
      result.output = std::string("pipe2: ") + std::strerror(errno);
      return result;
   }
   std::vector<char*> argv;
   for (auto const& arg : args) {
      argv.push_back(const_cast<char*>(arg.c_str()));
   }
   argv.push_back(nullptr);
   pid_t const pid = ::fork();
   if (pid == 0) {
      ::dup2(pipe_fds[1], STDOUT_FILENO);
      ::dup2(pipe_fds[1], STDERR_FILENO);
      ::execv(argv[0], argv.data());
      // Only async-signal-safe calls between fork and exec: no stdio.
      constexpr std::string_view exec_failed = "execv failed: no such program?\n";
      [[maybe_unused]] auto const ignored =
          ::write(STDERR_FILENO, exec_failed.data(), exec_failed.size());
      ::_exit(127);
   }
   ::close(pipe_fds[1]);
   if (pid < 0) {
      ::close(pipe_fds[0]);
      result.output = std::string("fork: ") + std::strerror(errno);
      return result;
   }
   auto const deadline = std::chrono::steady_clock::now() + timeout;
   bool timed_out = false;
   for (;;) {
      auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
         timed_out = true;
         break;
      }
      pollfd readable{pipe_fds[0], POLLIN, 0};
      if (::poll(&readable, 1, static_cast<int>(left.count())) <= 0) {
         continue; // timeout (checked above) or EINTR
      }
      char chunk[4096];
      auto const got = ::read(pipe_fds[0], chunk, sizeof chunk);
      if (got <= 0) {
         break; // EOF: the program closed its output, it is exiting
      }
      result.output.append(chunk, static_cast<std::size_t>(got));
   }
   ::close(pipe_fds[0]);
   if (timed_out) {
      ::kill(pid, SIGKILL);
      result.output += "\n(killed after " + std::to_string(timeout.count()) + " ms)";
   }
   int status = 0;
   ::waitpid(pid, &status, 0);
   result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
   return result;
}

class publisher_clients_test : public gateway_test {
protected:
   void start_history_gateway() {
      start_gateway();
      ASSERT_TRUE(gateway_->wait_for_log("function library loaded")) << gateway_->log_text();
   }

   /// Reads `count` messages (each as received: JSON text for envelope clients, the published
   /// bytes for plain ones); stops early at a silence of 5 s.
   static std::vector<std::string> read_messages(ws_client& client, std::size_t count) {
      std::vector<std::string> received;
      while (received.size() < count) {
         auto const text = client.read_message();
         if (!text) {
            break;
         }
         received.push_back(*text);
      }
      return received;
   }
};

TEST_F(publisher_clients_test, redis_py_publishes_as_the_docs_show) {
   auto const import_check = run_program({debian_python, "-c", "import redis"});
   if (import_check.exit_code != 0) {
      GTEST_FAIL() << install_hint << "\n" << import_check.output;
   }
   start_history_gateway();
   auto envelope = connect_envelope("42");
   auto plain = connect_as("42");            // verbatim payloads, as before envelopes
   auto other_user = connect_envelope("43"); // must see the global message only

   auto const script =
       std::string(NOTIFY_SOURCE_DIR) + "/tests/integration/publish_with_redis_py.py";
   auto const run = run_program(
       {debian_python, script, "--port", std::to_string(redis_->port()), "--user", "42"});
   ASSERT_EQ(run.exit_code, 0) << run.output;
   // The script's report is its last line: what Redis answered to each call.
   auto const last_line_start = run.output.find_last_of('\n', run.output.size() - 2);
   auto const report = nlohmann::json::parse(
       last_line_start == std::string::npos ? run.output : run.output.substr(last_line_start + 1),
       nullptr, false);
   ASSERT_TRUE(report.is_object()) << run.output;
   auto const first_id = report.value("first_id", "");
   auto const global_id = report.value("global_id", "");
   auto const second_id = report.value("second_id", "");
   EXPECT_FALSE(first_id.empty()) << run.output;
   EXPECT_EQ(report.value("retry_id", ""), first_id)
       << "a retry with the same message id returns the first entry's id";
   EXPECT_EQ(report.value("plain_receivers", -1), 1) << "the gateway is the one subscriber";

   // Envelope client of user 42: its user stream in publish order, the retry not again, the
   // plain PUBLISH last and without an id; the global message once, with its id. The two
   // streams have no order between them (protocol.md), so each is checked on its own.
   auto const envelope_messages = read_messages(*envelope, 4);
   ASSERT_EQ(envelope_messages.size(), 4U) << ::testing::PrintToString(envelope_messages);
   std::vector<nlohmann::json> user_stream;
   std::vector<nlohmann::json> global_stream;
   for (auto const& text : envelope_messages) {
      auto const message = nlohmann::json::parse(text, nullptr, false);
      EXPECT_EQ(message.value("type", ""), "message") << text;
      (message.value("stream", "") == "global" ? global_stream : user_stream).push_back(message);
   }
   ASSERT_EQ(user_stream.size(), 3U) << ::testing::PrintToString(envelope_messages);
   EXPECT_EQ(user_stream[0].value("id", ""), first_id) << user_stream[0].dump();
   EXPECT_EQ(user_stream[0]["data"], nlohmann::json({{"n", 0}})) << user_stream[0].dump();
   EXPECT_EQ(user_stream[1].value("id", ""), second_id) << user_stream[1].dump();
   EXPECT_EQ(user_stream[1]["data"], nlohmann::json({{"n", 2}})) << user_stream[1].dump();
   EXPECT_FALSE(user_stream[2].contains("id"))
       << "plain PUBLISH has no history: " << user_stream[2].dump();
   EXPECT_EQ(user_stream[2]["data"], nlohmann::json({{"plain", true}})) << user_stream[2].dump();
   ASSERT_EQ(global_stream.size(), 1U) << ::testing::PrintToString(envelope_messages);
   EXPECT_EQ(global_stream[0].value("id", ""), global_id) << global_stream[0].dump();
   EXPECT_EQ(global_stream[0]["data"], nlohmann::json({{"n", 1}})) << global_stream[0].dump();

   // Plain client of user 42: exactly the bytes redis-py sent (json.dumps puts a space after
   // the colon), the plain PUBLISH included; the global one may come anywhere between.
   auto plain_messages = read_messages(*plain, 4);
   auto const global_bytes =
       std::find(plain_messages.begin(), plain_messages.end(), std::string(R"({"n": 1})"));
   ASSERT_NE(global_bytes, plain_messages.end()) << ::testing::PrintToString(plain_messages);
   plain_messages.erase(global_bytes);
   EXPECT_EQ(plain_messages,
             (std::vector<std::string>{R"({"n": 0})", R"({"n": 2})", R"({"plain": true})"}));

   // Another user: the global message and nothing of user 42's.
   auto const broadcast = read_json(*other_user);
   EXPECT_EQ(broadcast.value("stream", ""), "global") << broadcast.dump();
   EXPECT_EQ(broadcast.value("id", ""), global_id) << broadcast.dump();

   // Nothing twice: the retried publish and the rest were each delivered once.
   EXPECT_EQ(envelope->read_message(std::chrono::milliseconds(300)), std::nullopt);
   EXPECT_EQ(plain->read_message(std::chrono::milliseconds(300)), std::nullopt);
   EXPECT_EQ(other_user->read_message(std::chrono::milliseconds(300)), std::nullopt);
   EXPECT_EQ(redis_->command({"XLEN", "notify:{user:42}:history"}).integer, 2)
       << "the retry added no entry";
}

} // namespace
} // namespace notify::test
