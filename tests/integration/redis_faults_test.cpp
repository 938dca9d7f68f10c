// Redis faults beyond a plain outage (operations_test.cpp has stop/restart and CLIENT KILL):
// credentials Redis refuses, channels its ACL denies, and a publisher flooding far more than
// some clients read.

#include "gateway_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <hiredis/hiredis.h>
#include <iostream>

namespace notify::test {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr auto npos = std::string::npos;

/// The reason /readyz gives for not being ready; empty when it is ready or does not answer.
std::string readiness_reason(std::uint16_t port) {
   auto const response = http_get(port, "/readyz");
   if (response.status != 503) {
      return {};
   }
   auto const body = nlohmann::json::parse(response.body, nullptr, false);
   return body.is_object() ? body.value("reason", "") : "";
}

/// A number from INFO (e.g. "total_connections_received"), or -1.
long long info_field(redis_server& redis, std::string const& section, std::string const& name) {
   auto const info = redis.command({"INFO", section});
   auto const at = info.str.find("\r\n" + name + ":");
   if (at == npos) {
      return -1;
   }
   return std::stoll(info.str.substr(at + name.size() + 3));
}

/// How many times Redis refused a client for `reason` ("auth", "channel", "command", ...),
/// summed over the entries of ACL LOG (each entry counts repeats of the same refusal).
long long acl_denials(redis_server& redis, std::string const& reason) {
   auto const log = redis.command({"ACL", "LOG"});
   long long total = 0;
   for (auto const& entry : log.elements) {
      long long count = 0;
      bool matches = false;
      for (std::size_t i = 0; i + 1 < entry.elements.size(); i += 2) {
         auto const& key = entry.elements[i].str;
         auto const& value = entry.elements[i + 1];
         if (key == "count") {
            count = value.integer;
         } else if (key == "reason") {
            matches = value.str == reason;
         }
      }
      total += matches ? count : 0;
   }
   return total;
}

long long connections_accepted_by(redis_server& redis) {
   return info_field(redis, "stats", "total_connections_received");
}

void expect_ok(redis::reply const& answer, std::string const& what) {
   EXPECT_FALSE(answer.is_error()) << what << ": " << answer.str;
}

// ---------------------------------------------------------------------------------------------
// Refused credentials and channels

class redis_refusal_test : public gateway_test {
protected:
   static constexpr auto max_backoff = 400ms;
   static constexpr auto watch_window = 3s;

   /// A gateway on the fixture's Redis with the given credentials and a short backoff cap. It is
   /// healthy at once but need not become ready.
   void start_refused_gateway(env_list credentials) {
      credentials.emplace_back("NOTIFY_JWT_SECRET", std::string(test_jwt_secret));
      credentials.emplace_back("REDIS_HOST", "127.0.0.1");
      credentials.emplace_back("REDIS_PORT", std::to_string(redis_->port()));
      gateway_ = std::make_unique<gateway_process>(
          std::vector<std::string>{"--set", "redis.reconnect_initial_delay_ms=50", "--set",
                                   "redis.reconnect_max_delay_ms=" +
                                       std::to_string(max_backoff.count())},
          std::move(credentials));
   }

   /// The gateway keeps running, is not ready, says `cause` in every /readyz answer (also while
   /// an attempt is in flight), and retries at the pace its backoff allows: some attempts, but
   /// no busy loop.
   void expect_refused_with_backoff(std::string const& cause) {
      ASSERT_TRUE(eventually([&] { return readiness_reason(port()).find(cause) != npos; }))
          << "last reason: " << readiness_reason(port()) << "\n"
          << gateway_->log_text();
      // Past the backoff's ramp-up, so the window only sees delays at the cap.
      std::this_thread::sleep_for(4 * max_backoff);
      auto const accepted_before = connections_accepted_by(*redis_);
      auto const started = clock::now();
      int answers_without_cause = 0;
      std::string odd_answer;
      while (clock::now() - started < watch_window) {
         auto const response = http_get(port(), "/readyz");
         if (response.status != 503 || response.body.find(cause) == npos) {
            ++answers_without_cause;
            odd_answer = std::to_string(response.status) + " " + response.body;
         }
         std::this_thread::sleep_for(10ms);
      }
      auto const attempts = connections_accepted_by(*redis_) - accepted_before;
      std::cout << cause << ": " << attempts << " attempts in " << watch_window.count()
                << " s; e.g. " << readiness_reason(port()) << "\n";
      EXPECT_EQ(answers_without_cause, 0) << "e.g. " << odd_answer;
      // Each delay is drawn from [cap/2, cap] = [200, 400] ms, so 3 s hold 7 to 15 attempts
      // (plus one for a window edge). Retrying without backoff would make thousands.
      EXPECT_GE(attempts, 5);
      EXPECT_LE(attempts, 17);
      EXPECT_TRUE(gateway_->running());
      EXPECT_EQ(http_get(port(), "/healthz").status, 200);
      EXPECT_EQ(metric_value(port(), "notify_redis_connected"), 0);
   }

   /// Once Redis accepts the gateway, it becomes ready and delivers user and global messages.
   void expect_ready_and_delivering() {
      ASSERT_TRUE(eventually([&] { return http_get(port(), "/readyz").status == 200; }, 5s))
          << "still: " << readiness_reason(port());
      EXPECT_EQ(metric_value(port(), "notify_redis_connected"), 1);
      auto client = connect_as("7");
      // auth_ok can reach the client before the router learns the user is present (a race
      // outside this test's subject, reported separately): wait for the router's own count.
      ASSERT_TRUE(
          eventually([&] { return metric_value(port(), "notify_authenticated_users") == 1; }));
      publish("user:7:notifications", R"({"n":1})");
      EXPECT_EQ(client->read_message(), R"({"n":1})");
      publish("global_notifications", R"({"n":2})");
      EXPECT_EQ(client->read_message(), R"({"n":2})");
   }
};

TEST_F(redis_refusal_test, wrong_password_is_retried_with_backoff_until_redis_accepts_it) {
   redis_ = std::make_unique<redis_server>(redis_server::options{.password = "right-password"});
   start_refused_gateway({{"REDIS_PASSWORD", "wrong-password"}});
   expect_refused_with_backoff("WRONGPASS");
   EXPECT_GE(acl_denials(*redis_, "auth"), 5) << "Redis saw few AUTH attempts";
   EXPECT_TRUE(gateway_->wait_for_log("WRONGPASS"));
   EXPECT_EQ(gateway_->log_text().find("wrong-password"), npos) << "the log shows the password";

   expect_ok(redis_->command({"CONFIG", "SET", "requirepass", "wrong-password"}), "CONFIG SET");
   expect_ready_and_delivering();
}

TEST_F(redis_refusal_test, missing_password_makes_subscribe_fail_with_noauth) {
   redis_ = std::make_unique<redis_server>(redis_server::options{.password = "secret"});
   start_refused_gateway({});
   expect_refused_with_backoff("NOAUTH");

   expect_ok(redis_->command({"CONFIG", "SET", "requirepass", ""}), "CONFIG SET");
   expect_ready_and_delivering();
}

TEST_F(redis_refusal_test, unknown_acl_user_is_retried_until_it_exists) {
   expect_ok(redis_->command(
                 {"ACL", "SETUSER", "gateway", "on", ">gateway-secret", "+@all", "allchannels"}),
             "ACL SETUSER");
   start_refused_gateway({{"REDIS_USERNAME", "gatewya"}, {"REDIS_PASSWORD", "gateway-secret"}});
   expect_refused_with_backoff("WRONGPASS");

   expect_ok(redis_->command(
                 {"ACL", "SETUSER", "gatewya", "on", ">gateway-secret", "+@all", "allchannels"}),
             "ACL SETUSER");
   expect_ready_and_delivering();
}

TEST_F(redis_refusal_test, channels_denied_by_acl_are_retried_until_granted) {
   expect_ok(redis_->command(
                 {"ACL", "SETUSER", "gateway", "on", ">gateway-secret", "+@all", "resetchannels"}),
             "ACL SETUSER");
   start_refused_gateway({{"REDIS_USERNAME", "gateway"}, {"REDIS_PASSWORD", "gateway-secret"}});
   expect_refused_with_backoff("NOPERM");
   EXPECT_GE(acl_denials(*redis_, "channel"), 5) << "Redis saw few SUBSCRIBE attempts";

   // The global channel alone is not enough: PSUBSCRIBE is still refused, so still not ready.
   expect_ok(redis_->command({"ACL", "SETUSER", "gateway", "&global_notifications"}),
             "ACL SETUSER");
   expect_refused_with_backoff("NOPERM");

   expect_ok(redis_->command({"ACL", "SETUSER", "gateway", "&user:*:notifications"}),
             "ACL SETUSER");
   // History (on by default) subscribes to notify_publish's live channels as well.
   expect_refused_with_backoff("NOPERM");
   expect_ok(redis_->command(
                 {"ACL", "SETUSER", "gateway", "&notify:{user:*}:live", "&notify:{global}:live"}),
             "ACL SETUSER");
   expect_ready_and_delivering();
}

// ---------------------------------------------------------------------------------------------
// Publisher flood

/// Resident memory of a process in KiB: now (VmRSS) and its peak so far (VmHWM).
struct memory_use {
   long resident_kib = 0;
   long peak_kib = 0;
};

memory_use memory_of(pid_t pid) {
   std::ifstream status("/proc/" + std::to_string(pid) + "/status");
   memory_use use;
   std::string line;
   while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) {
         use.resident_kib = std::stol(line.substr(6));
      } else if (line.rfind("VmHWM:", 0) == 0) {
         use.peak_kib = std::stol(line.substr(6));
      }
   }
   return use;
}

/// A hiredis link of the test's own that pipelines PUBLISH, so the flood goes as fast as Redis
/// takes it rather than one round trip per message.
class pipelined_publisher {
public:
   explicit pipelined_publisher(std::uint16_t port)
       : context_(redisConnectWithTimeout("127.0.0.1", port, timeval{2, 0})) {
      if (context_ == nullptr || context_->err != 0) {
         throw std::runtime_error("publisher cannot connect to redis");
      }
      timeval const timeout{10, 0};
      redisSetTimeout(context_, timeout);
   }
   ~pipelined_publisher() { redisFree(context_); }
   pipelined_publisher(pipelined_publisher const&) = delete;
   pipelined_publisher& operator=(pipelined_publisher const&) = delete;

   /// PUBLISHes every (channel, payload) in one round trip; the receiver count of each, or -1.
   std::vector<long long> publish(std::vector<std::pair<std::string, std::string>> const& batch) {
      for (auto const& [channel, payload] : batch) {
         redisAppendCommand(context_, "PUBLISH %b %b", channel.data(), channel.size(),
                            payload.data(), payload.size());
      }
      std::vector<long long> receivers;
      for (std::size_t i = 0; i < batch.size(); ++i) {
         void* raw = nullptr;
         if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
            receivers.resize(batch.size(), -1);
            return receivers;
         }
         auto const* answer = static_cast<redisReply*>(raw);
         receivers.push_back(answer->type == REDIS_REPLY_INTEGER ? answer->integer : -1);
         freeReplyObject(raw);
      }
      return receivers;
   }

private:
   redisContext* context_;
};

/// The sequence number in a flood message, `{"g":<n>,...}` or `{"u":<n>,...}`; -1 for others.
long long sequence_of(std::string const& message, char kind) {
   std::string const prefix = std::string("{\"") + kind + "\":";
   if (message.rfind(prefix, 0) != 0) {
      return -1;
   }
   return std::stoll(message.substr(prefix.size()));
}

/// What one reading client saw.
struct reader_record {
   std::vector<long long> global;
   std::vector<long long> own;
   bool saw_global_end = false;
   bool saw_own_end = false;
   close_result ended;
};

/// Reads until both end markers arrive, the connection ends or `deadline` passes.
void read_flood(ws_client& client, reader_record& record, clock::time_point deadline) {
   while (!(record.saw_global_end && record.saw_own_end) && clock::now() < deadline) {
      auto const message = client.read_message(1s);
      if (!message) {
         if (!client.is_open()) {
            record.ended = client.last_close();
            return;
         }
         continue;
      }
      if (*message == R"({"end":"global"})") {
         record.saw_global_end = true;
      } else if (*message == R"({"end":"user"})") {
         record.saw_own_end = true;
      } else if (auto const g = sequence_of(*message, 'g'); g >= 0) {
         record.global.push_back(g);
      } else if (auto const u = sequence_of(*message, 'u'); u >= 0) {
         record.own.push_back(u);
      }
   }
}

/// Sequence numbers in [0, count) that `seen` lacks or that arrived out of order / twice.
struct sequence_check {
   std::size_t missing = 0;
   std::size_t out_of_order = 0;
};

sequence_check check_sequence(std::vector<long long> const& seen, long long count) {
   sequence_check result;
   for (std::size_t i = 1; i < seen.size(); ++i) {
      if (seen[i] <= seen[i - 1]) {
         ++result.out_of_order;
      }
   }
   std::vector<long long> sorted = seen;
   std::sort(sorted.begin(), sorted.end());
   sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
   result.missing = static_cast<std::size_t>(count) - sorted.size();
   return result;
}

/// Clients that read, clients that never read, and a publisher that pipelines 24,000 messages of
/// 3 KiB (half global, half spread over every user) as fast as Redis takes them.
class redis_flood_test : public gateway_test {
protected:
   static constexpr int reader_count = 8;
   static constexpr int laggard_count = 4; ///< never read during the flood, drained afterwards
   static constexpr int silent_count = 2;  ///< never read at all
   static constexpr int client_count = reader_count + laggard_count + silent_count;
   static constexpr int message_count = 24000;
   static constexpr std::size_t padding_bytes = 3 * 1024;
   static constexpr int batch_size = 200;

   struct flood_result {
      std::vector<reader_record> readers;
      std::vector<close_result> laggard_closes;
      long long global_sent = 0;
      std::vector<long long> user_sent;
      long long unreceived_publishes = 0; ///< PUBLISH answered 0: the gateway was not subscribed
      memory_use baseline;
      memory_use after;
      int health_failures = 0;
      clock::duration slowest_health{};
   };

   void SetUp() override {
      gateway_test::SetUp();
      start_gateway({"--threads", "2"});
      baseline_ = memory_of(gateway_->pid());
      for (int i = 0; i < reader_count; ++i) {
         users_.push_back("reader-" + std::to_string(i));
         readers_.push_back(connect_as(users_.back()));
      }
      for (int i = 0; i < laggard_count; ++i) {
         users_.push_back("laggard-" + std::to_string(i));
         laggards_.push_back(connect_as(users_.back()));
      }
      for (int i = 0; i < silent_count; ++i) {
         users_.push_back("silent-" + std::to_string(i));
         silent_.push_back(
             std::make_unique<silent_client>(port(), "/ws?token=" + token_for(users_.back())));
         ASSERT_TRUE(silent_.back()->upgraded());
      }
      ASSERT_TRUE(eventually(
          [&] { return metric_value(port(), "notify_authenticated_users") == client_count; }));
   }

   /// Runs the flood with readers, a /healthz and memory watcher, and a drainer that reads the
   /// laggards' close frames as soon as every stuck client has been closed (well within the
   /// gateway's close-handshake deadline).
   flood_result flood() {
      flood_result result;
      result.baseline = baseline_;
      result.readers.resize(reader_count);
      result.laggard_closes.resize(laggard_count);
      result.user_sent.assign(users_.size(), 0);
      auto const flood_started = clock::now();
      // Under AddressSanitizer the flood takes 30 s alone and 42 s beside other tests here; on CI
      // it missed 60 s. The readers' deadline bounds the run; it is not a speed target.
#if defined(__SANITIZE_ADDRESS__)
      auto const deadline = flood_started + 150s;
#else
      auto const deadline = flood_started + 60s;
#endif

      std::vector<std::thread> reader_threads;
      for (int i = 0; i < reader_count; ++i) {
         reader_threads.emplace_back(
             [&, i] { read_flood(*readers_[i], result.readers[i], deadline); });
      }
      std::atomic<bool> readers_done{false};
      std::thread watcher([&] {
         while (!readers_done.load()) {
            auto const asked = clock::now();
            if (http_get(port(), "/healthz", 2s).status != 200) {
               ++result.health_failures;
            }
            result.slowest_health = std::max(result.slowest_health, clock::now() - asked);
            std::this_thread::sleep_for(20ms);
         }
      });
      std::thread drainer([&] {
         bool const all_stuck_closed = eventually(
             [&] {
                return readers_done.load() ||
                       metric_value(port(), "notify_slow_consumer_closes_total") >=
                           client_count - reader_count;
             },
             60s);
         if (all_stuck_closed && !readers_done.load()) {
            for (int i = 0; i < laggard_count; ++i) {
               result.laggard_closes[i] = laggards_[i]->expect_close(10s);
            }
         }
      });

      std::string const padding(padding_bytes, 'x');
      pipelined_publisher publisher(redis_->port());
      for (int sent = 0; sent < message_count; sent += batch_size) {
         std::vector<std::pair<std::string, std::string>> batch;
         for (int i = sent; i < sent + batch_size; ++i) {
            if (i % 2 == 0) {
               batch.emplace_back("global_notifications", R"({"g":)" +
                                                              std::to_string(result.global_sent++) +
                                                              R"(,"pad":")" + padding + "\"}");
            } else {
               auto const user = static_cast<std::size_t>(i / 2) % users_.size();
               batch.emplace_back("user:" + users_[user] + ":notifications",
                                  R"({"u":)" + std::to_string(result.user_sent[user]++) +
                                      R"(,"pad":")" + padding + "\"}");
            }
         }
         for (auto const receivers : publisher.publish(batch)) {
            result.unreceived_publishes += receivers == 1 ? 0 : 1;
         }
      }
      auto const flood_took = clock::now() - flood_started;
      // End markers must arrive, so they wait for the gateway to be subscribed, should Redis
      // have dropped it meanwhile.
      std::vector<std::pair<std::string, std::string>> ends{
          {"global_notifications", R"({"end":"global"})"}};
      for (int i = 0; i < reader_count; ++i) {
         ends.emplace_back("user:" + users_[i] + ":notifications", R"({"end":"user"})");
      }
      for (auto const& end : ends) {
         EXPECT_TRUE(eventually([&] { return publisher.publish({end}).front() == 1; }))
             << end.first;
      }

      for (auto& thread : reader_threads) {
         thread.join();
      }
      auto const readers_took = clock::now() - flood_started;
      readers_done = true;
      watcher.join();
      drainer.join();
      result.after = memory_of(gateway_->pid());

      using std::chrono::duration_cast;
      using std::chrono::milliseconds;
      std::cout << "flood: " << message_count << " messages of " << padding_bytes / 1024
                << " KiB published in " << duration_cast<milliseconds>(flood_took).count()
                << " ms (" << result.unreceived_publishes
                << " while the gateway was not subscribed); readers done after "
                << duration_cast<milliseconds>(readers_took).count() << " ms; gateway RSS baseline "
                << result.baseline.resident_kib << " KiB, peak " << result.after.peak_kib
                << " KiB, after " << result.after.resident_kib << " KiB; slowest /healthz "
                << duration_cast<milliseconds>(result.slowest_health).count()
                << " ms; Redis dropped the gateway "
                << metric_value(port(), "notify_redis_reconnects_total") << " time(s)\n";
      return result;
   }

   /// Every reader is still open and saw its global and own messages in order, each once;
   /// with `complete`, all of them.
   void expect_readers_in_order(flood_result const& result, bool complete) {
      for (int i = 0; i < reader_count; ++i) {
         SCOPED_TRACE("reader " + std::to_string(i));
         auto const& record = result.readers[i];
         EXPECT_TRUE(record.saw_global_end && record.saw_own_end)
             << "ended with " << record.ended.code << " " << record.ended.reason << " after "
             << record.global.size() << " global messages";
         auto const global = check_sequence(record.global, result.global_sent);
         auto const own = check_sequence(record.own, result.user_sent[i]);
         EXPECT_EQ(global.out_of_order, 0U);
         EXPECT_EQ(own.out_of_order, 0U);
         if (complete) {
            EXPECT_EQ(global.missing, 0U);
            EXPECT_EQ(own.missing, 0U);
         }
         EXPECT_TRUE(readers_[i]->is_open());
      }
   }

   /// The event loop answered /healthz quickly all along, memory stayed within what the limits
   /// allow, and the gateway is subscribed: a fresh message arrives.
   void expect_gateway_unharmed(flood_result const& result) {
      EXPECT_EQ(result.health_failures, 0);
      EXPECT_LT(result.slowest_health, 1s);
      // The flood carries 72 MiB of distinct payloads, 36 MiB of them to every client. What the
      // gateway may hold is bounded by its limits: limits.max_queued_bytes (1 MiB) per
      // connection, 14 MiB even if no frame were shared. 24 MiB over the idle footprint leaves
      // room for that plus allocator slack, yet is less than one stuck client's share of the
      // flood, so an unbounded queue anywhere fails here. (Measured: +1.5 MiB.) AddressSanitizer
      // keeps freed memory in quarantine, so the bound means nothing there.
#if !defined(__SANITIZE_ADDRESS__)
      EXPECT_LT(result.after.peak_kib - result.baseline.resident_kib, 24 * 1024);
#endif
      EXPECT_TRUE(gateway_->running());
      EXPECT_TRUE(eventually([&] { return http_get(port(), "/readyz").status == 200; }));
      publish("user:reader-0:notifications", R"({"after":"flood"})");
      EXPECT_EQ(readers_[0]->read_message(), R"({"after":"flood"})");
   }

   memory_use baseline_;
   std::vector<std::string> users_;
   std::vector<std::unique_ptr<ws_client>> readers_;
   std::vector<std::unique_ptr<ws_client>> laggards_;
   std::vector<std::unique_ptr<silent_client>> silent_;
};

TEST_F(redis_flood_test, stuck_clients_are_closed_and_readers_get_everything_in_order) {
   // Redis cuts off a subscriber whose output buffer passes 32 MiB (client-output-buffer-limit
   // pubsub), which a pipelined publisher reaches in a fraction of a second. Lifted here, so
   // that the whole flood reaches the gateway and the test is about what the gateway does with
   // it; the next test keeps Redis's default.
   expect_ok(redis_->command({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 0 0"}),
             "CONFIG SET");
   auto const result = flood();
   EXPECT_EQ(result.unreceived_publishes, 0);
   EXPECT_EQ(metric_value(port(), "notify_redis_reconnects_total"), 0);
   expect_readers_in_order(result, true);
   for (int i = 0; i < laggard_count; ++i) {
      EXPECT_EQ(result.laggard_closes[i].code, 4004)
          << "laggard " << i << ": " << result.laggard_closes[i].reason;
   }
   EXPECT_EQ(metric_value(port(), "notify_slow_consumer_closes_total"),
             laggard_count + silent_count);
   EXPECT_TRUE(
       eventually([&] { return metric_value(port(), "notify_connections") == reader_count; }));
   expect_gateway_unharmed(result);
}

TEST_F(redis_flood_test, a_flood_past_redis_output_limit_costs_messages_but_not_the_gateway) {
   // With Redis's defaults, the flood may outrun the gateway and Redis then drops its
   // subscriber link: messages are lost (at-most-once), but the gateway must resubscribe, keep
   // every reader, keep order, and stay responsive.
   auto const result = flood();
   expect_readers_in_order(result, false);
   expect_gateway_unharmed(result);
}

} // namespace
} // namespace notify::test
