#pragma once

// A private redis-server for tests: started on a free loopback port in a temporary directory,
// with persistence off, and stopped by its PID (never by name). Commands go through hiredis's
// synchronous API, which is fine in tests. Every blocking call has a deadline.

#include "notify/redis/reply.hpp"
#include "notify/redis/settings.hpp"

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

struct redisContext;

namespace notify::test {

class redis_server {
public:
   struct options {
      std::string password; ///< non-empty: --requirepass
      /// --appendonly yes --appendfsync always: every write survives a kill -9 and restart.
      bool append_only = false;
   };

   /// The redis-server binary (PATH first, then /usr/bin/redis-server); empty when missing.
   static std::string const& binary();
   static bool available() { return !binary().empty(); }

   /// Starts the server and waits until it answers PING. Throws std::runtime_error, with the
   /// server's own log, when it cannot.
   explicit redis_server(options opts);
   redis_server()
       : redis_server(options{}) {}
   /// Stops the server (SIGTERM, SIGKILL after 5 s) and removes its directory.
   ~redis_server();
   redis_server(redis_server const&) = delete;
   redis_server& operator=(redis_server const&) = delete;

   std::uint16_t port() const { return port_; }
   pid_t pid() const { return pid_; } ///< 0 while stopped
   bool running() const { return pid_ != 0; }

   /// Connection settings for this server (host, port, password), with test-friendly timeouts.
   redis::settings settings() const;

   void stop();
   /// Stops (if running) and starts again on the same port.
   void restart();
   /// kill -9, then starts again on the same port (with append_only, the data survives).
   void crash_and_restart();
   /// SIGSTOP / SIGCONT: the server keeps its sockets but answers nothing while paused.
   void pause();
   void resume();

   /// CLIENT KILL TYPE pubsub; returns how many clients were killed.
   long long kill_clients_of_type_pubsub();
   /// PUBLISH; returns how many subscribers received the message.
   long long publish(std::string const& channel, std::string const& payload);
   void set(std::string const& key, std::string const& value,
            std::optional<std::chrono::seconds> ttl = std::nullopt);
   /// Any command. An error reply is returned as a reply; failing to reach the server throws.
   redis::reply command(std::vector<std::string> const& args);

private:
   void start();
   void spawn();
   void wait_until_ready();
   std::string log_tail() const;
   redisContext* client();
   void drop_client();

   options options_;
   std::filesystem::path directory_;
   std::uint16_t port_ = 0;
   pid_t pid_ = 0;
   bool paused_ = false;
   redisContext* client_ = nullptr;
};

/// Runs `io` until `done()` is true or `timeout` passes, one handler at a time, so a test can
/// fail but never hang. Returns done().
bool run_until(boost::asio::io_context& io, std::function<bool()> const& done,
               std::chrono::milliseconds timeout);

/// Runs `io` for exactly `duration` (to check that nothing happens meanwhile).
void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration);

} // namespace notify::test

/// Skips the current test, loudly, when there is no redis-server to run.
#define NOTIFY_REQUIRE_REDIS_SERVER()                                                              \
   do {                                                                                            \
      if (!::notify::test::redis_server::available()) {                                            \
         GTEST_SKIP() << "redis-server not found in PATH or /usr/bin: live Redis test skipped";    \
      }                                                                                            \
   } while (false)
