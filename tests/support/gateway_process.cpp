#include "support/gateway_process.hpp"

#include "support/http_get.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <mutex>
#include <netinet/in.h>
#include <set>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace notify::test {

namespace {

using clock = std::chrono::steady_clock;
constexpr auto start_timeout = std::chrono::seconds(10);
constexpr auto stop_grace = std::chrono::seconds(5);

std::string errno_text(const char* what) {
   return std::string(what) + ": " + std::strerror(errno);
}

/// A file descriptor that closes itself.
class owned_fd {
public:
   explicit owned_fd(int fd = -1)
       : fd_(fd) {}
   ~owned_fd() {
      if (fd_ >= 0) {
         ::close(fd_);
      }
   }
   owned_fd(const owned_fd&) = delete;
   owned_fd& operator=(const owned_fd&) = delete;
   int get() const { return fd_; }

private:
   int fd_;
};

/// Creates an empty temporary file; returns its path and an open descriptor (close-on-exec).
std::pair<std::string, int> make_temp_file(const std::string& stem) {
   std::string path = (std::filesystem::temp_directory_path() / (stem + "-XXXXXX.log")).string();
   const int fd = ::mkostemps(path.data(), 4, O_CLOEXEC);
   if (fd < 0) {
      throw std::runtime_error(errno_text("mkostemps"));
   }
   return {path, fd};
}

std::string read_file(const std::string& path) {
   std::ifstream in(path, std::ios::binary);
   std::ostringstream text;
   text << in.rdbuf();
   return text.str();
}

std::string tail_lines(const std::string& text, std::size_t lines) {
   std::size_t pos = text.size();
   if (pos > 0 && text[pos - 1] == '\n') {
      --pos; // the final newline does not start a line
   }
   for (std::size_t seen = 0; pos > 0; --pos) {
      if (text[pos - 1] == '\n' && ++seen == lines) {
         break;
      }
   }
   return text.substr(pos);
}

bool is_scrubbed(std::string_view entry) {
   return entry.starts_with("NOTIFY_") || entry.starts_with("REDIS_");
}

std::vector<std::string> child_environment(const env_list& additions) {
   std::vector<std::string> entries;
   for (char** variable = environ; variable != nullptr && *variable != nullptr; ++variable) {
      std::string_view entry(*variable);
      const auto name = entry.substr(0, entry.find('='));
      bool replaced = false;
      for (const auto& [added_name, value] : additions) {
         replaced = replaced || added_name == name;
      }
      if (!is_scrubbed(entry) && !replaced) {
         entries.emplace_back(entry);
      }
   }
   for (const auto& [name, value] : additions) {
      entries.push_back(name + "=" + value);
   }
   return entries;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
   std::vector<char*> pointers;
   pointers.reserve(strings.size() + 1);
   for (auto& text : strings) {
      pointers.push_back(text.data());
   }
   pointers.push_back(nullptr);
   return pointers;
}

/// fork/exec of the gateway with stdin from /dev/null and the given output descriptors. Only
/// async-signal-safe calls happen between fork and exec: everything is prepared before.
pid_t spawn(const std::vector<std::string>& args, const env_list& env, int out_fd, int err_fd) {
   std::vector<std::string> argv_strings{gateway_binary()};
   argv_strings.insert(argv_strings.end(), args.begin(), args.end());
   std::vector<std::string> env_strings = child_environment(env);
   std::vector<char*> argv = pointers_to(argv_strings);
   std::vector<char*> envp = pointers_to(env_strings);
   const pid_t parent = ::getpid();

   const pid_t pid = ::fork();
   if (pid < 0) {
      throw std::runtime_error(errno_text("fork"));
   }
   if (pid == 0) {
      // Die with the test: a crashed or killed test must not leave a gateway running.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) {
         ::_exit(127);
      }
      const int null_fd = ::open("/dev/null", O_RDONLY);
      if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(out_fd, STDOUT_FILENO) < 0 ||
          ::dup2(err_fd, STDERR_FILENO) < 0) {
         ::_exit(127);
      }
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
   }
   return pid;
}

int decode_status(int status) {
   if (WIFEXITED(status)) {
      return WEXITSTATUS(status);
   }
   if (WIFSIGNALED(status)) {
      return 128 + WTERMSIG(status);
   }
   return -1;
}

/// Reaps `pid` if it has exited within `timeout`.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
   const auto deadline = clock::now() + timeout;
   while (true) {
      int status = 0;
      const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
      if (reaped == pid) {
         return decode_status(status);
      }
      if (reaped < 0 && errno != EINTR) {
         return -1; // not our child any more; nothing left to wait for
      }
      if (clock::now() >= deadline) {
         return std::nullopt;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
   }
}

int kill_and_wait(pid_t pid) {
   ::kill(pid, SIGKILL);
   int status = 0;
   while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
   }
   return decode_status(status);
}

} // namespace

const char* gateway_binary() {
   return NOTIFY_GATEWAY_BINARY;
}

std::uint16_t free_loopback_port() {
   static std::mutex mutex;
   static std::set<std::uint16_t> handed_out;
   const std::lock_guard lock(mutex);
   for (int attempt = 0; attempt < 100; ++attempt) {
      owned_fd socket_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (socket_fd.get() < 0) {
         throw std::runtime_error(errno_text("socket"));
      }
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = 0;
      socklen_t length = sizeof(address);
      if (::bind(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
          ::getsockname(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
         throw std::runtime_error(errno_text("bind/getsockname"));
      }
      const std::uint16_t port = ntohs(address.sin_port);
      if (handed_out.insert(port).second) {
         return port;
      }
   }
   throw std::runtime_error("no free loopback port found");
}

command_result run_gateway_command(const std::vector<std::string>& args, const env_list& env,
                                   std::chrono::milliseconds timeout) {
   auto [out_path, out_raw] = make_temp_file("notify-gateway-out");
   owned_fd out_fd(out_raw);
   auto [err_path, err_raw] = make_temp_file("notify-gateway-err");
   owned_fd err_fd(err_raw);

   command_result result;
   const pid_t pid = spawn(args, env, out_fd.get(), err_fd.get());
   result.exit_code = wait_for_exit(pid, timeout);
   if (!result.exit_code) {
      kill_and_wait(pid);
   }
   result.out = read_file(out_path);
   result.err = read_file(err_path);
   std::filesystem::remove(out_path);
   std::filesystem::remove(err_path);
   return result;
}

gateway_process::gateway_process(std::vector<std::string> args, env_list env,
                                 bool wait_until_healthy) {
   // The port is free when chosen but may be taken before the gateway binds it: try again then.
   for (int attempt = 1;; ++attempt) {
      start(args, env);
      if (!wait_until_healthy) {
         return;
      }
      const auto deadline = clock::now() + start_timeout;
      while (clock::now() < deadline) {
         if (wait_exit(std::chrono::milliseconds(0)).has_value()) {
            break;
         }
         if (http_get(port_, "/healthz", std::chrono::milliseconds(500)).status == 200) {
            return;
         }
         std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      const bool exited = exit_code_.has_value();
      if (!exited) {
         kill_and_reap();
      }
      const std::string log = log_text();
      std::filesystem::remove(log_path_);
      const bool port_taken = log.find("in use") != std::string::npos;
      if (exited && port_taken && attempt < 3) {
         continue;
      }
      throw std::runtime_error(
          std::string("notify-gateway did not become healthy on port ") + std::to_string(port_) +
          (exited ? " (exit code " + std::to_string(*exit_code_) + ")" : " within 10 s") +
          "; its log:\n" + tail_lines(log, 60));
   }
}

void gateway_process::start(const std::vector<std::string>& args, const env_list& env) {
   port_ = free_loopback_port();
   exit_code_.reset();
   std::vector<std::string> full_args{"--host", "127.0.0.1", "--port", std::to_string(port_)};
   full_args.insert(full_args.end(), args.begin(), args.end());
   auto [path, raw_fd] = make_temp_file("notify-gateway");
   owned_fd log_fd(raw_fd);
   log_path_ = path;
   pid_ = spawn(full_args, env, log_fd.get(), log_fd.get());
}

gateway_process::~gateway_process() {
   if (!exit_code_) {
      signal(SIGTERM);
      if (!wait_exit(stop_grace)) {
         kill_and_reap();
      }
      // A crash, a sanitizer report (UBSan exits 1) or a hang at shutdown fails the test that
      // ran the gateway, even when the test itself saw nothing wrong.
      EXPECT_EQ(exit_code_.value_or(-1), 0) << "notify-gateway did not exit cleanly";
   }
   if (::testing::Test::HasFailure()) {
      std::cerr << "---- notify-gateway log (" << log_path_ << ", kept) ----\n"
                << tail_lines(log_text(), 200) << "---- end of notify-gateway log ----\n";
   } else {
      std::error_code ignored;
      std::filesystem::remove(log_path_, ignored);
   }
}

std::string gateway_process::log_text() const {
   return read_file(log_path_);
}

bool gateway_process::wait_for_log(std::string_view needle,
                                   std::chrono::milliseconds timeout) const {
   const auto deadline = clock::now() + timeout;
   while (log_text().find(needle) == std::string::npos) {
      if (clock::now() >= deadline) {
         return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
   }
   return true;
}

bool gateway_process::signal(int sig) {
   // Never signal a reaped PID: the number may already belong to another process.
   return !exit_code_ && ::kill(pid_, sig) == 0;
}

std::optional<int> gateway_process::wait_exit(std::chrono::milliseconds timeout) {
   if (!exit_code_) {
      exit_code_ = wait_for_exit(pid_, timeout);
   }
   return exit_code_;
}

bool gateway_process::running() {
   return !wait_exit(std::chrono::milliseconds(0)).has_value();
}

void gateway_process::kill_and_reap() {
   if (!exit_code_) {
      exit_code_ = kill_and_wait(pid_);
   }
}

} // namespace notify::test
