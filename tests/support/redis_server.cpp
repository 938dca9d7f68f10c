#include "support/redis_server.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace notify::test {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr auto start_deadline = 5s;
constexpr auto stop_deadline = 5s;
constexpr auto command_timeout = 2s;

bool is_executable(std::filesystem::path const& path) {
   return ::access(path.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(path);
}

std::string locate_binary() {
   if (char const* path = std::getenv("PATH")) {
      std::stringstream entries(path);
      std::string entry;
      while (std::getline(entries, entry, ':')) {
         if (!entry.empty() && is_executable(std::filesystem::path(entry) / "redis-server")) {
            return (std::filesystem::path(entry) / "redis-server").string();
         }
      }
   }
   return is_executable("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "";
}

/// A port nobody listens on right now (the kernel picks it). Another process could take it
/// before redis-server binds; start() retries with a new port when that happens.
std::uint16_t free_loopback_port() {
   int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
   if (fd < 0) {
      throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
   }
   sockaddr_in address{};
   address.sin_family = AF_INET;
   address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
   address.sin_port = 0;
   socklen_t length = sizeof(address);
   if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
       ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ::close(fd);
      throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
   }
   ::close(fd);
   return ntohs(address.sin_port);
}

timeval to_timeval(std::chrono::milliseconds duration) {
   return timeval{static_cast<time_t>(duration.count() / 1000),
                  static_cast<suseconds_t>((duration.count() % 1000) * 1000)};
}

redis::reply convert(redisReply const& raw) {
   redis::reply result;
   switch (raw.type) {
   case REDIS_REPLY_STRING:
      result.type = redis::reply::kind::string;
      result.str.assign(raw.str, raw.len);
      break;
   case REDIS_REPLY_STATUS:
      result.type = redis::reply::kind::status;
      result.str.assign(raw.str, raw.len);
      break;
   case REDIS_REPLY_ERROR:
      result.type = redis::reply::kind::error;
      result.str.assign(raw.str, raw.len);
      break;
   case REDIS_REPLY_INTEGER:
      result.type = redis::reply::kind::integer;
      result.integer = raw.integer;
      break;
   case REDIS_REPLY_ARRAY:
      result.type = redis::reply::kind::array;
      for (size_t i = 0; i < raw.elements; ++i) {
         result.elements.push_back(convert(*raw.element[i]));
      }
      break;
   default:
      result.type = redis::reply::kind::nil;
      break;
   }
   return result;
}

/// One command on a synchronous context; nullopt when the link failed (c->err is set).
std::optional<redis::reply> run_command(redisContext* context,
                                        std::vector<std::string> const& args) {
   std::vector<char const*> argv;
   std::vector<size_t> lengths;
   for (auto const& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
   }
   void* raw =
       redisCommandArgv(context, static_cast<int>(args.size()), argv.data(), lengths.data());
   if (raw == nullptr) {
      return std::nullopt;
   }
   auto result = convert(*static_cast<redisReply*>(raw));
   freeReplyObject(raw);
   return result;
}

} // namespace

std::string const& redis_server::binary() {
   static std::string const path = locate_binary();
   return path;
}

redis_server::redis_server(options opts)
    : options_(std::move(opts)) {
   if (!available()) {
      throw std::runtime_error("redis-server not found in PATH or /usr/bin");
   }
   char pattern[] = "/tmp/notify-redis-XXXXXX";
   if (::mkdtemp(pattern) == nullptr) {
      throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
   }
   directory_ = pattern;
   try {
      start();
   } catch (...) {
      std::error_code ignored;
      std::filesystem::remove_all(directory_, ignored);
      throw;
   }
}

redis_server::~redis_server() {
   stop();
   std::error_code ignored;
   std::filesystem::remove_all(directory_, ignored);
}

redis::settings redis_server::settings() const {
   redis::settings config;
   config.host = "127.0.0.1";
   config.port = port_;
   config.password = options_.password;
   config.connect_timeout = 1000ms;
   config.health_check_interval = 1000ms;
   config.reconnect_initial_delay = 20ms;
   config.reconnect_max_delay = 200ms;
   return config;
}

void redis_server::start() {
   std::string failures;
   for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = free_loopback_port();
      try {
         spawn();
         wait_until_ready();
         return;
      } catch (std::exception const& e) {
         failures += std::string("\n  port ") + std::to_string(port_) + ": " + e.what();
         stop();
      }
   }
   throw std::runtime_error("cannot start redis-server:" + failures);
}

void redis_server::spawn() {
   auto const log_file = (directory_ / "redis.log").string();
   std::vector<std::string> args{binary(),
                                 "--port",
                                 std::to_string(port_),
                                 "--bind",
                                 "127.0.0.1",
                                 "--save",
                                 "",
                                 "--appendonly",
                                 options_.append_only ? "yes" : "no",
                                 "--appendfsync",
                                 "always",
                                 "--dir",
                                 directory_.string(),
                                 "--daemonize",
                                 "no"};
   if (!options_.password.empty()) {
      args.insert(args.end(), {"--requirepass", options_.password});
   }
   std::vector<char*> argv;
   for (auto& arg : args) {
      argv.push_back(arg.data());
   }
   argv.push_back(nullptr);

   posix_spawn_file_actions_t actions;
   posix_spawn_file_actions_init(&actions);
   posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
   posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                    0644);
   posix_spawn_file_actions_adddup2(&actions, 1, 2);
   pid_t child = 0;
   int const rc = ::posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ);
   posix_spawn_file_actions_destroy(&actions);
   if (rc != 0) {
      throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));
   }
   pid_ = child;
   paused_ = false;
}

void redis_server::wait_until_ready() {
   auto const deadline = clock::now() + start_deadline;
   std::string last_problem = "no answer";
   while (clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
         pid_ = 0;
         throw std::runtime_error("redis-server exited during start-up; its log:\n" + log_tail());
      }
      drop_client();
      try {
         auto answer = command({"PING"});
         if (answer.type == redis::reply::kind::status && answer.str == "PONG") {
            return;
         }
         last_problem = answer.str;
      } catch (std::exception const& e) {
         last_problem = e.what();
      }
      std::this_thread::sleep_for(10ms);
   }
   throw std::runtime_error("redis-server did not answer PING within 5 s (" + last_problem +
                            "); its log:\n" + log_tail());
}

std::string redis_server::log_tail() const {
   std::ifstream log(directory_ / "redis.log");
   std::stringstream content;
   content << log.rdbuf();
   auto text = content.str();
   return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

void redis_server::stop() {
   drop_client();
   if (pid_ == 0) {
      return;
   }
   ::kill(pid_, SIGCONT); // a paused server cannot act on SIGTERM
   ::kill(pid_, SIGTERM);
   auto const deadline = clock::now() + stop_deadline;
   while (clock::now() < deadline) {
      int status = 0;
      pid_t const done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_ || (done < 0 && errno == ECHILD)) {
         pid_ = 0;
         paused_ = false;
         return;
      }
      std::this_thread::sleep_for(5ms);
   }
   ::kill(pid_, SIGKILL);
   int status = 0;
   ::waitpid(pid_, &status, 0);
   pid_ = 0;
   paused_ = false;
}

void redis_server::restart() {
   stop();
   spawn();
   wait_until_ready();
}

void redis_server::crash_and_restart() {
   drop_client();
   if (pid_ != 0) {
      ::kill(pid_, SIGCONT);
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = 0;
      paused_ = false;
   }
   spawn();
   wait_until_ready();
}

void redis_server::pause() {
   if (pid_ != 0 && !paused_) {
      drop_client();
      ::kill(pid_, SIGSTOP);
      paused_ = true;
   }
}

void redis_server::resume() {
   if (pid_ != 0 && paused_) {
      ::kill(pid_, SIGCONT);
      paused_ = false;
   }
}

long long redis_server::kill_clients_of_type_pubsub() {
   auto answer = command({"CLIENT", "KILL", "TYPE", "pubsub"});
   if (answer.type != redis::reply::kind::integer) {
      throw std::runtime_error("CLIENT KILL TYPE pubsub failed: " + answer.str);
   }
   return answer.integer;
}

long long redis_server::publish(std::string const& channel, std::string const& payload) {
   auto answer = command({"PUBLISH", channel, payload});
   if (answer.type != redis::reply::kind::integer) {
      throw std::runtime_error("PUBLISH failed: " + answer.str);
   }
   return answer.integer;
}

void redis_server::set(std::string const& key, std::string const& value,
                       std::optional<std::chrono::seconds> ttl) {
   std::vector<std::string> args{"SET", key, value};
   if (ttl) {
      args.insert(args.end(), {"EX", std::to_string(ttl->count())});
   }
   auto answer = command(args);
   if (answer.type != redis::reply::kind::status) {
      throw std::runtime_error("SET failed: " + answer.str);
   }
}

redis::reply redis_server::command(std::vector<std::string> const& args) {
   // A cached link can be stale after a restart or CLIENT KILL: retry once on a fresh one.
   for (int attempt = 0; attempt < 2; ++attempt) {
      redisContext* context = client();
      if (auto answer = run_command(context, args)) {
         return std::move(*answer);
      }
      drop_client();
   }
   throw std::runtime_error("redis command failed: cannot reach 127.0.0.1:" +
                            std::to_string(port_));
}

redisContext* redis_server::client() {
   if (client_ != nullptr) {
      return client_;
   }
   redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, to_timeval(1000ms));
   if (context == nullptr || context->err != 0) {
      std::string const reason = context != nullptr ? context->errstr : "out of memory";
      if (context != nullptr) {
         redisFree(context);
      }
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port_) + ": " +
                               reason);
   }
   redisSetTimeout(context, to_timeval(command_timeout));
   if (!options_.password.empty()) {
      auto answer = run_command(context, {"AUTH", options_.password});
      if (!answer || answer->is_error()) {
         redisFree(context);
         throw std::runtime_error("AUTH failed");
      }
   }
   client_ = context;
   return client_;
}

void redis_server::drop_client() {
   if (client_ != nullptr) {
      redisFree(client_);
      client_ = nullptr;
   }
}

bool run_until(boost::asio::io_context& io, std::function<bool()> const& done,
               std::chrono::milliseconds timeout) {
   auto const deadline = clock::now() + timeout;
   while (!done()) {
      auto const now = clock::now();
      if (now >= deadline) {
         return done();
      }
      if (io.stopped()) {
         io.restart();
      }
      if (io.run_one_for(deadline - now) == 0) {
         std::this_thread::sleep_for(1ms); // out of work: wait for the world, do not spin
      }
   }
   return true;
}

void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration) {
   run_until(
       io, [] { return false; }, duration);
}

} // namespace notify::test
