// Bounded chaos run against the real gateway: a private redis-server is killed (SIGKILL) and
// restarted 10 times, then frozen (SIGSTOP) for longer than twice the health-check interval,
// while 50 WebSocket clients (10 users) receive a steady stream of messages. Prints what it
// measured and exits non-zero when the gateway crashed, a client was disconnected, a recovery
// took more than 3 s, a fault went unnoticed, or a message Redis accepted (PUBLISH > 0) did not
// reach every client it was meant for. Messages published while Redis is down or while the
// gateway is not subscribed are legitimately lost: Redis pub/sub is at-most-once. So is a message
// Redis answered just before its kill -9: Redis writes the publisher's reply before the
// subscriber's copy, and a SIGKILL between the two writes loses the copy. Messages answered
// within a few milliseconds of a kill are therefore counted apart, not as losses.

#include "chaos_watchdog.hpp"
#include "notify/auth/jwt.hpp"
#include "support/gateway_process.hpp"
#include "support/http_get.hpp"
#include "support/redis_server.hpp"
#include "support/ws_client.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <hiredis/hiredis.h>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace notify::test;
using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;

constexpr int user_count = 10;
constexpr int clients_per_user = 5;
constexpr int client_count = user_count * clients_per_user;
constexpr auto publish_period = 10ms;
constexpr auto health_check_interval = 500ms;
constexpr int kill_restarts = 10;
constexpr auto max_recovery = 3000ms;
constexpr auto recovery_wait_limit = 5s; ///< how long we watch for a recovery before moving on
constexpr auto steady_between_faults = 1200ms;
constexpr auto pause_length = 3 * health_check_interval;
constexpr auto hard_deadline = 90s;
/// A PUBLISH answered this close to a kill -9 may have died in Redis's output buffer: wide enough
/// for the publisher thread to be scheduled late on a loaded machine, at most 4 messages a kill.
constexpr auto kill_race_window = 20ms;
constexpr std::string_view jwt_secret = "chaos-test-secret-0123456789abcdef0123";
constexpr int global_target = -1;

time_point const run_started = clock_type::now();

long long ms_between(time_point from, time_point to) {
   return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

long long micros_since_start(time_point at) {
   return std::chrono::duration_cast<std::chrono::microseconds>(at - run_started).count();
}

std::string user_name(int user) {
   return "chaos-" + std::to_string(user);
}

// ---------------------------------------------------------------------------------------------
// Publisher: one PUBLISH every 10 ms on a hiredis link of its own, alternating a user channel
// and the global channel. Each message carries its sequence number and send time.

struct publication {
   long long seq = 0;
   int target = global_target; ///< user index, or global_target
   time_point sent_at;
   long long receivers = -1; ///< PUBLISH's answer; -1 when Redis did not answer
   time_point answered_at;   ///< when the publisher read the answer
};

class publisher {
public:
   explicit publisher(std::uint16_t redis_port)
       : port_(redis_port) {}
   ~publisher() { stop(); }

   void start() {
      thread_ = std::thread([this] { run(); });
   }
   void stop() {
      running_ = false;
      if (thread_.joinable()) {
         thread_.join();
      }
   }
   /// Everything published so far (call after stop()).
   std::vector<publication> const& log() const { return log_; }

private:
   void run() {
      auto next_tick = clock_type::now();
      long long seq = 0;
      while (running_) {
         std::this_thread::sleep_until(next_tick);
         next_tick += publish_period;
         if (clock_type::now() > next_tick) {
            next_tick = clock_type::now() + publish_period; // late (Redis frozen): do not burst
         }
         publication entry;
         entry.seq = seq++;
         entry.target =
             entry.seq % 2 == 0 ? global_target : static_cast<int>(entry.seq / 2) % user_count;
         entry.sent_at = clock_type::now();
         std::string const channel = entry.target == global_target
                                         ? std::string("global_notifications")
                                         : "user:" + user_name(entry.target) + ":notifications";
         std::string const payload = R"({"seq":)" + std::to_string(entry.seq) + R"(,"t":)" +
                                     std::to_string(micros_since_start(entry.sent_at)) + "}";
         entry.receivers = publish(channel, payload);
         entry.answered_at = clock_type::now();
         log_.push_back(entry);
      }
      drop_link();
   }

   long long publish(std::string const& channel, std::string const& payload) {
      if (context_ == nullptr && !connect()) {
         return -1;
      }
      void* raw = redisCommand(context_, "PUBLISH %b %b", channel.data(), channel.size(),
                               payload.data(), payload.size());
      if (raw == nullptr) {
         drop_link(); // no answer: the command may or may not have run, so it was not accepted
         return -1;
      }
      auto const* answer = static_cast<redisReply*>(raw);
      long long const receivers = answer->type == REDIS_REPLY_INTEGER ? answer->integer : -1;
      freeReplyObject(raw);
      return receivers;
   }

   bool connect() {
      if (clock_type::now() < next_connect_) {
         return false;
      }
      next_connect_ = clock_type::now() + 50ms;
      // Short deadlines: a frozen Redis must cost a publish slot, not the whole run.
      context_ = redisConnectWithTimeout("127.0.0.1", port_, timeval{0, 100'000});
      if (context_ == nullptr || context_->err != 0) {
         drop_link();
         return false;
      }
      redisSetTimeout(context_, timeval{0, 100'000});
      return true;
   }

   void drop_link() {
      if (context_ != nullptr) {
         redisFree(context_);
         context_ = nullptr;
      }
   }

   std::uint16_t port_;
   std::atomic<bool> running_{true};
   std::thread thread_;
   redisContext* context_ = nullptr;
   time_point next_connect_{};
   std::vector<publication> log_;
};

// ---------------------------------------------------------------------------------------------
// Clients: each reads on a thread of its own and notes what arrived when.

struct arrival {
   long long seq = 0;
   time_point at;
};

class reading_client {
public:
   reading_client(std::uint16_t gateway_port, int user)
       : user_(user) {
      auto const token = notify::auth::mint_jwt(jwt_secret, user_name(user), std::chrono::hours(1));
      if (!client_.connect("127.0.0.1", gateway_port, "/ws?token=" + token)) {
         throw std::runtime_error("client cannot connect: " + client_.last_error());
      }
      auto const hello = client_.read_message();
      if (!hello || hello->find("auth_ok") == std::string::npos) {
         throw std::runtime_error("client got no auth_ok");
      }
   }
   ~reading_client() { stop(); }

   void start() {
      thread_ = std::thread([this] { run(); });
   }
   void stop() {
      running_ = false;
      if (thread_.joinable()) {
         thread_.join();
      }
   }

   int user() const { return user_; }
   /// Send time (µs since start) of the newest message received; -1 before the first.
   long long newest_sent_micros() const { return newest_sent_micros_.load(); }
   // After stop():
   std::vector<arrival> const& arrivals() const { return arrivals_; }
   bool open() const { return client_.is_open(); }
   close_result const& ended() const { return client_.last_close(); }

private:
   void run() {
      while (running_ && client_.is_open()) {
         auto const message = client_.read_message(100ms);
         if (!message) {
            continue;
         }
         auto const now = clock_type::now();
         long long seq = -1;
         long long sent = -1;
         if (std::sscanf(message->c_str(), R"({"seq":%lld,"t":%lld})", &seq, &sent) == 2) {
            arrivals_.push_back({seq, now});
            newest_sent_micros_.store(std::max(newest_sent_micros_.load(), sent));
         }
      }
   }

   int user_;
   ws_client client_;
   std::atomic<bool> running_{true};
   std::atomic<long long> newest_sent_micros_{-1};
   std::thread thread_;
   std::vector<arrival> arrivals_;
};

// ---------------------------------------------------------------------------------------------
// Readiness watcher: polls /readyz every 10 ms and keeps the changes.

struct readiness_change {
   time_point at;
   int status = 0;
};

class readiness_watcher {
public:
   explicit readiness_watcher(std::uint16_t gateway_port)
       : port_(gateway_port) {
      thread_ = std::thread([this] { run(); });
   }
   ~readiness_watcher() { stop(); }
   void stop() {
      running_ = false;
      if (thread_.joinable()) {
         thread_.join();
      }
   }
   /// First time at or after `since` (and before `until`) that /readyz answered `status`.
   std::optional<time_point> first(int status, time_point since, time_point until) const {
      std::lock_guard lock(mutex_);
      for (auto const& change : changes_) {
         if (change.at >= since && change.at < until && change.status == status) {
            return change.at;
         }
      }
      return std::nullopt;
   }

private:
   void run() {
      int last = -1;
      while (running_) {
         auto const status = http_get(port_, "/readyz", 500ms).status;
         if (status != last) {
            std::lock_guard lock(mutex_);
            changes_.push_back({clock_type::now(), status});
            last = status;
         }
         std::this_thread::sleep_for(10ms);
      }
   }

   std::uint16_t port_;
   std::atomic<bool> running_{true};
   std::thread thread_;
   mutable std::mutex mutex_;
   std::vector<readiness_change> changes_;
};

// ---------------------------------------------------------------------------------------------
// The hard deadline's guard (chaos_watchdog.hpp).

notify::chaos::watchdog run_watchdog{"redis_chaos", run_started, hard_deadline};

// ---------------------------------------------------------------------------------------------
// The run

struct fault {
   std::string kind;
   time_point injected;
   time_point redis_back;
   std::optional<long long> detection_ms;   ///< /readyz 503 after injection
   std::optional<long long> recovery_ms;    ///< every client got a message published after back
   std::optional<long long> ready_again_ms; ///< /readyz 200 after back
};

bool time_left(std::chrono::seconds needed) {
   return clock_type::now() - run_started + needed < hard_deadline;
}

/// Waits until every client has received a message sent at or after `since`.
bool wait_all_fresh(std::vector<std::unique_ptr<reading_client>> const& clients, time_point since,
                    std::chrono::milliseconds limit) {
   auto const deadline = clock_type::now() + limit;
   auto const since_micros = micros_since_start(since);
   while (clock_type::now() < deadline) {
      bool const all = std::all_of(clients.begin(), clients.end(), [&](auto const& c) {
         return c->newest_sent_micros() >= since_micros;
      });
      if (all) {
         return true;
      }
      std::this_thread::sleep_for(5ms);
   }
   return false;
}

std::optional<long long> recovery_of(std::vector<std::unique_ptr<reading_client>> const& clients,
                                     std::vector<publication> const& published, time_point back,
                                     time_point until) {
   // Sequence numbers grow with send time, so "sent at or after back" is "seq >= first_seq".
   auto const first = std::find_if(published.begin(), published.end(),
                                   [&](publication const& p) { return p.sent_at >= back; });
   if (first == published.end()) {
      return std::nullopt;
   }
   long long worst = 0;
   for (auto const& client : clients) {
      std::optional<time_point> got;
      for (auto const& a : client->arrivals()) {
         if (a.seq >= first->seq && a.at < until) {
            got = got ? std::min(*got, a.at) : a.at;
         }
      }
      if (!got) {
         return std::nullopt;
      }
      worst = std::max(worst, ms_between(back, *got));
   }
   return worst;
}

std::string format_ms(std::optional<long long> value) {
   return value ? std::to_string(*value) : std::string("never");
}

long long median(std::vector<long long> values) {
   if (values.empty()) {
      return -1;
   }
   std::sort(values.begin(), values.end());
   return values[values.size() / 2];
}

int run() {
   run_watchdog.start();
   if (!redis_server::available()) {
      std::cerr << "redis_chaos: redis-server not found\n";
      return 2;
   }
   redis_server redis;
   run_watchdog.watch_redis(redis.pid());
   gateway_process gateway(
       {"--threads", "2", "--set",
        "redis.health_check_interval_ms=" + std::to_string(health_check_interval.count())},
       {{"NOTIFY_JWT_SECRET", std::string(jwt_secret)},
        {"REDIS_HOST", "127.0.0.1"},
        {"REDIS_PORT", std::to_string(redis.port())}});
   run_watchdog.watch_gateway(gateway.pid());
   auto const ready_by = clock_type::now() + 10s;
   while (http_get(gateway.port(), "/readyz").status != 200 && clock_type::now() < ready_by) {
      std::this_thread::sleep_for(20ms);
   }

   std::vector<std::unique_ptr<reading_client>> clients;
   for (int i = 0; i < client_count; ++i) {
      clients.push_back(std::make_unique<reading_client>(gateway.port(), i % user_count));
   }
   for (auto& client : clients) {
      client->start();
   }
   readiness_watcher readiness(gateway.port());
   publisher stream(redis.port());
   stream.start();
   if (!wait_all_fresh(clients, clock_type::now(), 3s)) {
      std::cerr << "redis_chaos: clients receive nothing before any fault\n";
   }

   std::vector<fault> faults;
   for (int i = 0; i < kill_restarts && time_left(15s); ++i) {
      fault f{"kill -9", clock_type::now(), {}, {}, {}, {}};
      ::kill(redis.pid(), SIGKILL);
      std::this_thread::sleep_for(300ms + 60ms * i); // down 0.3 .. 0.84 s
      redis.restart();
      run_watchdog.watch_redis(redis.pid());
      f.redis_back = clock_type::now();
      faults.push_back(f);
      wait_all_fresh(clients, f.redis_back, recovery_wait_limit);
      std::this_thread::sleep_for(steady_between_faults);
   }
   if (time_left(15s)) {
      fault f{"SIGSTOP " + std::to_string(pause_length.count()) + " ms",
              clock_type::now(),
              {},
              {},
              {},
              {}};
      redis.pause();
      std::this_thread::sleep_for(pause_length);
      redis.resume();
      f.redis_back = clock_type::now();
      faults.push_back(f);
      wait_all_fresh(clients, f.redis_back, recovery_wait_limit);
      std::this_thread::sleep_for(steady_between_faults);
   }

   stream.stop();
   std::this_thread::sleep_for(300ms); // let the last messages arrive
   readiness.stop();
   for (auto& client : clients) {
      client->stop();
   }
   bool const gateway_alive =
       gateway.running() && http_get(gateway.port(), "/healthz").status == 200;

   // ---- analysis
   auto const& published = stream.log();
   for (std::size_t i = 0; i < faults.size(); ++i) {
      auto& f = faults[i];
      auto const next = i + 1 < faults.size() ? faults[i + 1].injected : clock_type::now();
      if (auto noticed = readiness.first(503, f.injected, next)) {
         f.detection_ms = ms_between(f.injected, *noticed);
      }
      if (auto ready = readiness.first(200, f.redis_back, next)) {
         f.ready_again_ms = ms_between(f.redis_back, *ready);
      }
      f.recovery_ms = recovery_of(clients, published, f.redis_back, next);
   }

   long long answered = 0;
   long long accepted = 0;
   long long expected_deliveries = 0;
   long long lost_deliveries = 0;
   std::vector<std::vector<bool>> seen(clients.size());
   long long const max_seq = published.empty() ? 0 : published.back().seq + 1;
   long long out_of_order = 0;
   for (std::size_t c = 0; c < clients.size(); ++c) {
      seen[c].assign(static_cast<std::size_t>(max_seq), false);
      long long previous = -1;
      for (auto const& a : clients[c]->arrivals()) {
         if (a.seq >= 0 && a.seq < max_seq) {
            seen[c][static_cast<std::size_t>(a.seq)] = true;
         }
         out_of_order += a.seq <= previous ? 1 : 0;
         previous = a.seq;
      }
   }
   auto const answered_at_a_kill = [&faults](publication const& p) {
      return std::any_of(faults.begin(), faults.end(), [&p](fault const& f) {
         return f.kind == "kill -9" && p.answered_at + kill_race_window >= f.injected &&
                p.answered_at <= f.injected + kill_race_window;
      });
   };
   long long at_kill = 0;
   long long at_kill_deliveries = 0;
   long long at_kill_lost = 0;
   std::ostringstream losses;
   int losses_listed = 0;
   for (auto const& p : published) {
      answered += p.receivers >= 0 ? 1 : 0;
      if (p.receivers <= 0) {
         continue;
      }
      bool const racing_a_kill = answered_at_a_kill(p);
      at_kill += racing_a_kill ? 1 : 0;
      accepted += racing_a_kill ? 0 : 1;
      for (std::size_t c = 0; c < clients.size(); ++c) {
         if (p.target != global_target && clients[c]->user() != p.target) {
            continue;
         }
         bool const arrived = seen[c][static_cast<std::size_t>(p.seq)];
         if (racing_a_kill) {
            ++at_kill_deliveries;
            at_kill_lost += arrived ? 0 : 1;
            continue;
         }
         ++expected_deliveries;
         if (!arrived) {
            ++lost_deliveries;
            if (losses_listed++ < 10) {
               losses << "  lost: seq " << p.seq << " (sent at +"
                      << ms_between(run_started, p.sent_at) << " ms, " << p.receivers
                      << " receivers) for client " << c << "\n";
            }
         }
      }
   }
   int still_connected = 0;
   for (auto const& client : clients) {
      still_connected += client->open() ? 1 : 0;
   }

   // ---- report
   std::cout << "\nredis_chaos: " << client_count << " clients (" << user_count
             << " users), one message every " << publish_period.count()
             << " ms, health check every " << health_check_interval.count() << " ms\n\n";
   std::printf("%-3s %-18s %14s %14s %14s\n", "#", "fault", "detected (ms)", "ready (ms)",
               "recovered (ms)");
   std::vector<long long> recoveries;
   std::vector<long long> kill_detections;
   bool all_recovered = true;
   bool all_noticed = true;
   for (std::size_t i = 0; i < faults.size(); ++i) {
      auto const& f = faults[i];
      std::printf("%-3zu %-18s %14s %14s %14s\n", i + 1, f.kind.c_str(),
                  format_ms(f.detection_ms).c_str(), format_ms(f.ready_again_ms).c_str(),
                  format_ms(f.recovery_ms).c_str());
      all_noticed = all_noticed && f.detection_ms.has_value();
      if (f.recovery_ms && *f.recovery_ms <= max_recovery.count()) {
         recoveries.push_back(*f.recovery_ms);
      } else {
         all_recovered = false;
         if (f.recovery_ms) {
            recoveries.push_back(*f.recovery_ms);
         }
      }
      if (f.kind == "kill -9" && f.detection_ms) {
         kill_detections.push_back(*f.detection_ms);
      }
   }
   // Assigned rather than picked by a ternary: GCC 12 at -O3 takes the empty optional of such a
   // ternary for an uninitialized value (-Wmaybe-uninitialized).
   std::optional<long long> pause_detection;
   if (!faults.empty() && faults.back().kind != "kill -9") {
      pause_detection = faults.back().detection_ms;
   }
   std::cout << "\nsummary\n"
             << "  faults injected:            " << faults.size() << " (" << kill_restarts
             << " kill -9 + restart planned, 1 SIGSTOP)\n"
             << "  detection, kill -9:         median " << median(kill_detections) << " ms, max "
             << (kill_detections.empty()
                     ? -1
                     : *std::max_element(kill_detections.begin(), kill_detections.end()))
             << " ms\n"
             << "  detection, SIGSTOP:         " << format_ms(pause_detection) << " ms (limit "
             << 2 * health_check_interval.count() << " ms + one tick)\n"
             << "  recovery (all clients):     median " << median(recoveries) << " ms, max "
             << (recoveries.empty() ? -1 : *std::max_element(recoveries.begin(), recoveries.end()))
             << " ms (limit " << max_recovery.count() << " ms)\n"
             << "  published:                  " << published.size() << " (answered by Redis "
             << answered << ", accepted by a subscriber " << accepted << ")\n"
             << "  deliveries of accepted:     " << expected_deliveries - lost_deliveries << " of "
             << expected_deliveries << " (lost " << lost_deliveries << ")\n"
             << "  answered at a kill -9:      " << at_kill << " messages within "
             << kill_race_window.count() << " ms of one, not counted above ("
             << at_kill_deliveries - at_kill_lost << " of " << at_kill_deliveries
             << " deliveries arrived)\n"
             << "  arrivals out of order:      " << out_of_order << "\n"
             << "  clients connected at end:   " << still_connected << " of " << client_count
             << "\n"
             << "  gateway:                    " << (gateway_alive ? "running" : "CRASHED") << "\n"
             << "  run time:                   " << ms_between(run_started, clock_type::now())
             << " ms\n";
   std::cout << losses.str();

   std::vector<std::string> failures;
   if (!gateway_alive) {
      failures.push_back("the gateway crashed or stopped answering");
   }
   if (still_connected != client_count) {
      failures.push_back(std::to_string(client_count - still_connected) + " clients disconnected");
   }
   if (!all_recovered) {
      failures.push_back("a recovery took longer than 3 s or never happened");
   }
   if (!all_noticed) {
      failures.push_back("a fault went unnoticed (/readyz stayed 200)");
   }
   if (lost_deliveries > 0) {
      failures.push_back(std::to_string(lost_deliveries) + " deliveries of accepted messages lost");
   }
   if (faults.size() != static_cast<std::size_t>(kill_restarts) + 1) {
      failures.push_back("ran out of time before injecting every fault");
   }
   for (auto const& failure : failures) {
      std::cout << "FAIL: " << failure << "\n";
   }
   if (!failures.empty()) {
      auto const log = gateway.log_text();
      std::cout << "---- gateway log (last 4000 bytes) ----\n"
                << (log.size() > 4000 ? log.substr(log.size() - 4000) : log) << "\n";
   }
   std::cout << (failures.empty() ? "PASS" : "FAIL") << "\n";
   run_watchdog.finish();
   return failures.empty() ? 0 : 1;
}

} // namespace

int main() {
   try {
      return run();
   } catch (std::exception const& e) {
      std::cerr << "redis_chaos: " << e.what() << "\n";
      run_watchdog.finish();
      return 2;
   }
}
