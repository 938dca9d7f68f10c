// Several gateway instances on a real Redis Cluster (scripts/redis-cluster: 3 masters and 3
// replicas on loopback) in redis.mode cluster: each instance SSUBSCRIBEs only its own users'
// shard channels, on the master of each channel's slot, and follows the cluster when it changes.
// Every message published is accounted for: delivered once, in order, to its user only.
#include "gateway_fixture.hpp"
#include "notify/redis/cluster_client.hpp"
#include "notify/redis/hash_slot.hpp"
#include "support/redis_cluster.hpp"
#include "support/ws_swarm.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace notify::test {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;

/// Publishes through the project's cluster client (routed by slot, MOVED/ASK followed), with at
/// most `window` requests in flight, counting what Redis acknowledged.
class cluster_publisher {
public:
   cluster_publisher(boost::asio::io_context& io, const std::string& seeds)
       : client_(io.get_executor(), settings_for(seeds)) {}

   static redis::settings settings_for(const std::string& seeds) {
      redis::settings config;
      config.mode = "cluster";
      std::size_t start = 0;
      while (start < seeds.size()) {
         auto const comma = seeds.find(',', start);
         config.cluster_nodes.push_back(seeds.substr(start, comma - start));
         start = comma == std::string::npos ? seeds.size() : comma + 1;
      }
      return config;
   }

   /// FCALL notify_publish for "user:<id>" or "global"; `done` gets the new entry's id, or
   /// nullopt when Redis did not take it.
   void publish(const std::string& target, const std::string& json,
                std::function<void(std::optional<std::string>)> done = {}) {
      queue_.push_back({target, json, std::move(done)});
      pump();
   }

   std::size_t in_flight() const { return in_flight_ + queue_.size(); }
   std::size_t acknowledged() const { return acknowledged_; }
   std::size_t failed() const { return failed_; }
   const std::string& last_failure() const { return last_failure_; }
   redis::cluster_client& client() { return client_; }

private:
   struct job {
      std::string target;
      std::string json;
      std::function<void(std::optional<std::string>)> done;
   };

   void pump() {
      while (in_flight_ < window && !queue_.empty()) {
         auto next = std::move(queue_.front());
         queue_.pop_front();
         ++in_flight_;
         // The stream key, not "user:<id>": the declared key decides where a call runs while
         // its slot migrates.
         auto const key = next.target == "global" ? std::string("notify:{global}:history")
                                                  : "notify:{" + next.target + "}:history";
         client_.command({"FCALL", "notify_publish", "1", key, next.json},
                         [this, done = std::move(next.done)](error_code ec, redis::reply answer) {
                            --in_flight_;
                            std::optional<std::string> id;
                            if (!ec && answer.type == redis::reply::kind::string) {
                               ++acknowledged_;
                               id = answer.str;
                            } else {
                               ++failed_;
                               last_failure_ = ec ? ec.message() : answer.str;
                            }
                            if (done) {
                               done(id);
                            }
                            pump();
                         });
      }
   }

   static constexpr std::size_t window = 256;
   redis::cluster_client client_;
   std::deque<job> queue_;
   std::size_t in_flight_ = 0;
   std::size_t acknowledged_ = 0;
   std::size_t failed_ = 0;
   std::string last_failure_;
};

/// What one connection received, checked against what its user was sent.
struct delivery_count {
   std::size_t users = 0;
   std::size_t complete = 0;   ///< users who got exactly their messages, in order
   std::size_t missing = 0;    ///< messages owed and not received
   std::size_t duplicates = 0; ///< a message received twice
   std::size_t misrouted = 0;  ///< another user's message
   std::size_t out_of_order = 0;
   std::size_t gaps = 0; ///< gap signals
   std::string first_problem;

   void print(const char* what) const {
      std::printf("%s: %zu users, %zu complete; missing %zu, duplicated %zu, misrouted %zu, out "
                  "of order %zu, gap signals %zu\n",
                  what, users, complete, missing, duplicates, misrouted, out_of_order, gaps);
   }
};

/// Users in `slot` and users elsewhere, `each` of both.
std::vector<std::string> users_around(std::uint16_t slot, std::size_t each) {
   std::vector<std::string> users;
   for (std::size_t n = 0; users.size() < each; ++n) {
      auto id = "o" + std::to_string(n);
      if (redis::hash_slot("user:" + id) != slot) {
         users.push_back(std::move(id));
      }
   }
   return users;
}

class cluster_test : public ::testing::Test {
protected:
   void SetUp() override {
      if (!redis_server::available()) {
         GTEST_FAIL() << "redis-server is not installed (scripts/install-deps installs it)";
      }
      cluster_ = std::make_unique<redis_cluster>();
      ASSERT_TRUE(cluster_->started()) << "scripts/redis-cluster start failed";
      publisher_ = std::make_unique<cluster_publisher>(io_, cluster_->seeds());
   }

   void TearDown() override {
      swarm_.reset();
      gateways_.clear();
      publisher_.reset();
      io_.poll();
   }

   /// Starts `count` gateway instances in cluster mode against the test's cluster.
   void start_gateways(std::size_t count, env_list extra = {}) {
      for (std::size_t i = 0; i < count; ++i) {
         env_list env{{"NOTIFY_JWT_SECRET", std::string(test_jwt_secret)},
                      {"NOTIFY_REDIS_MODE", "cluster"},
                      {"REDIS_CLUSTER_NODES", cluster_->seeds()},
                      // Followed quickly, so a test sees a silent topology change in time.
                      {"NOTIFY_REDIS_TOPOLOGY_REFRESH_INTERVAL_MS", "1000"}};
         env.insert(env.end(), extra.begin(), extra.end());
         gateways_.push_back(std::make_unique<gateway_process>(std::vector<std::string>{}, env));
         auto& gateway = *gateways_.back();
         ASSERT_TRUE(
             eventually([&] { return http_get(gateway.port(), "/readyz").status == 200; }, 20s))
             << http_get(gateway.port(), "/readyz").body << gateway.log_text();
      }
   }

   /// Runs the test's io_context (publisher and swarm) until `done` or `timeout`.
   bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
      auto const deadline = std::chrono::steady_clock::now() + timeout;
      while (!done() && std::chrono::steady_clock::now() < deadline) {
         io_.run_for(10ms);
      }
      return done();
   }

   std::size_t connect_users(const std::vector<std::string>& users, const std::string& query,
                             std::chrono::milliseconds timeout = 120s) {
      if (!swarm_) {
         swarm_ = std::make_unique<ws_swarm>(io_);
      }
      for (std::size_t i = 0; i < users.size(); ++i) {
         auto const& gateway = *gateways_[i % gateways_.size()];
         swarm_->add(
             gateway.port(),
             "/ws?token=" + auth::mint_jwt(test_jwt_secret, users[i], std::chrono::seconds(3600)) +
                 "&format=envelope" + query);
      }
      pump_until(
          [&] {
             return swarm_->count(ws_swarm::state::waiting) +
                        swarm_->count(ws_swarm::state::connecting) ==
                    0;
          },
          timeout);
      return swarm_->count(ws_swarm::state::ready);
   }

   /// One user per hash slot, all 16384 of them: "s<n>" whose {user:s<n>} tag lands there.
   static std::vector<std::string> one_user_per_slot() {
      std::vector<std::string> users(redis::cluster_slots);
      std::size_t filled = 0;
      for (std::size_t n = 0; filled < users.size(); ++n) {
         auto id = "s" + std::to_string(n);
         auto& slot = users[redis::hash_slot("user:" + id)];
         if (slot.empty()) {
            slot = std::move(id);
            ++filled;
         }
      }
      return users;
   }

   /// Checks that the connections `indices` of user `user_id` (one after the other: a client
   /// that reconnected) got `owed` (payload "n" values of its user stream, in order) and
   /// `global_owed` global ones. `allowed_extra`: messages Redis acknowledged and then lost (a
   /// failover before replication) that may or may not have been delivered before the loss.
   void check(delivery_count& count, const std::vector<std::size_t>& indices,
              const std::string& user_id, const std::vector<int>& owed, std::size_t global_owed,
              const std::set<int>& allowed_extra = {}) const {
      ++count.users;
      std::vector<int> got;
      std::size_t globals = 0;
      bool clean = true;
      std::vector<std::string> texts;
      for (auto index : indices) {
         texts.insert(texts.end(), swarm_->messages(index).begin(), swarm_->messages(index).end());
      }
      for (auto const& text : texts) {
         auto const message = nlohmann::json::parse(text, nullptr, false);
         auto const type = message.value("type", "");
         if (type == "gap") {
            ++count.gaps;
            clean = false;
            continue;
         }
         if (type != "message") {
            continue;
         }
         if (message.value("stream", "") == "global") {
            ++globals;
            continue;
         }
         if (message["data"].value("user", "") != user_id) {
            ++count.misrouted;
            clean = false;
            if (count.first_problem.empty()) {
               count.first_problem = user_id + " got " + text;
            }
            continue;
         }
         got.push_back(message["data"].value("n", -1));
      }
      std::set<int> seen;
      int last = -1;
      for (int n : got) {
         if (!seen.insert(n).second) {
            ++count.duplicates;
            clean = false;
         } else if (n < last) {
            ++count.out_of_order;
            clean = false;
         }
         last = std::max(last, n);
      }
      std::set<int> const owed_set(owed.begin(), owed.end());
      std::size_t extra = 0;
      for (int n : seen) {
         if (!owed_set.contains(n) && !allowed_extra.contains(n)) {
            ++count.duplicates; // delivered, never published to this user's stream
            clean = false;
         }
         extra += allowed_extra.contains(n) ? 1 : 0;
      }
      for (int n : owed) {
         if (!seen.contains(n)) {
            ++count.missing;
            clean = false;
            if (count.first_problem.empty()) {
               count.first_problem = user_id + " is missing n=" + std::to_string(n);
            }
         }
      }
      if (globals != global_owed) {
         clean = false;
         count.missing += globals < global_owed ? global_owed - globals : 0;
         count.duplicates += globals > global_owed ? globals - global_owed : 0;
      }
      count.complete += clean && got.size() == owed.size() + extra ? 1 : 0;
   }

   /// `count` users whose {user:<id>} tag lands in `slot`.
   static std::vector<std::string> users_in_slot(std::uint16_t slot, std::size_t count) {
      std::vector<std::string> users;
      for (std::size_t n = 0; users.size() < count; ++n) {
         auto id = "m" + std::to_string(n);
         if (redis::hash_slot("user:" + id) == slot) {
            users.push_back(std::move(id));
         }
      }
      return users;
   }

   std::shared_ptr<const redis::cluster_topology> topology() {
      std::shared_ptr<const redis::cluster_topology> out;
      bool done = false;
      publisher_->client().fetch_topology(
          [&](std::shared_ptr<const redis::cluster_topology> topology, const std::string&) {
             out = std::move(topology);
             done = true;
          });
      pump_until([&] { return done; }, 10s);
      return out;
   }

   /// One message to every user of `users` (n counts up per user), remembering what Redis
   /// acknowledged.
   void publish_round(const std::vector<std::string>& users) {
      for (auto const& user : users) {
         int const n = ++next_n_[user];
         publisher_->publish("user:" + user, payload(user, n),
                             [this, user, n](std::optional<std::string> id) {
                                if (id) {
                                   acknowledged_[user].insert(n);
                                }
                             });
      }
   }

   /// Publishes to `users` at about `rate` messages/s for `duration`, running `event` (blocking
   /// calls, on a thread of its own) after a third of it; then waits until nothing more arrives.
   void publish_under(const std::vector<std::string>& users, double rate,
                      std::chrono::milliseconds duration, const std::function<void()>& event) {
      auto const started = std::chrono::steady_clock::now();
      std::thread happening;
      std::atomic<bool> event_done{false};
      std::size_t cursor = 0;
      double owed = 0;
      while (std::chrono::steady_clock::now() - started < duration) {
         if (!happening.joinable() && std::chrono::steady_clock::now() - started > duration / 3) {
            happening = std::thread([&] {
               event();
               event_done = true;
            });
         }
         owed += rate / 100;
         for (; owed >= 1; owed -= 1) {
            publish_round({users[cursor++ % users.size()]});
         }
         io_.run_for(10ms);
      }
      pump_until([&] { return event_done.load(); }, 60s);
      if (happening.joinable()) {
         happening.join();
      }
      ASSERT_TRUE(pump_until([&] { return publisher_->in_flight() == 0; }, 60s));
      // Quiet: nothing new for 2 s (gap repairs read and deliver what the live path missed).
      std::size_t seen = swarm_->total_messages();
      auto quiet_since = std::chrono::steady_clock::now();
      pump_until(
          [&] {
             if (swarm_->total_messages() != seen) {
                seen = swarm_->total_messages();
                quiet_since = std::chrono::steady_clock::now();
             }
             return std::chrono::steady_clock::now() - quiet_since > 2s;
          },
          60s);
   }

   /// The "n" of every entry in `user`'s history stream now: what the user is owed.
   std::vector<int> stream_of(const std::string& user) {
      std::optional<redis::reply> answer;
      publisher_->client().command({"XRANGE", "notify:{user:" + user + "}:history", "-", "+"},
                                   [&](error_code ec, redis::reply reply) {
                                      EXPECT_FALSE(ec) << ec.message();
                                      answer = std::move(reply);
                                   });
      pump_until([&] { return answer.has_value(); }, 10s);
      std::vector<int> out;
      if (!answer || !answer->is_array()) {
         ADD_FAILURE() << "XRANGE of " << user << " failed";
         return out;
      }
      for (auto const& entry : answer->elements) {
         auto const& fields = entry.elements.at(1).elements;
         for (std::size_t f = 0; f + 1 < fields.size(); f += 2) {
            if (fields[f].str == "d") {
               out.push_back(nlohmann::json::parse(fields[f + 1].str).value("n", -1));
            }
         }
      }
      return out;
   }

   /// Every user's connections (`indices` by user) against its stream; printed as `what`.
   delivery_count account(const std::vector<std::string>& users,
                          const std::map<std::string, std::vector<std::size_t>>& indices,
                          const char* what) {
      delivery_count count;
      std::size_t published = 0;
      std::size_t lost_by_redis = 0;
      for (auto const& user : users) {
         auto const owed = stream_of(user);
         std::set<int> const in_stream(owed.begin(), owed.end());
         std::set<int> extra;
         for (int n : acknowledged_[user]) {
            if (!in_stream.contains(n)) {
               extra.insert(n); // acknowledged, then lost with a master before it replicated
            }
         }
         published += acknowledged_[user].size();
         lost_by_redis += extra.size();
         check(count, indices.at(user), user, owed, 0, extra);
      }
      std::printf("%s: %zu messages acknowledged by Redis (%zu failed during the event%s%s), %zu "
                  "lost by Redis itself\n",
                  what, published, publisher_->failed(), publisher_->failed() > 0 ? ", last: " : "",
                  publisher_->last_failure().c_str(), lost_by_redis);
      count.print(what);
      return count;
   }

   std::map<std::string, std::vector<std::size_t>>
   one_connection_each(const std::vector<std::string>& users) const {
      std::map<std::string, std::vector<std::size_t>> out;
      for (std::size_t i = 0; i < users.size(); ++i) {
         out[users[i]].push_back(i);
      }
      return out;
   }

   /// 3 instances, and 30 users in `slot` and 60 elsewhere connected to them.
   void start_with_users_around(std::uint16_t slot, std::vector<std::string>& users) {
      start_gateways(3);
      users = users_in_slot(slot, 30);
      auto const others = users_around(slot, 60);
      users.insert(users.end(), others.begin(), others.end());
      ASSERT_EQ(connect_users(users, ""), users.size());
   }

   static std::string payload(const std::string& user_id, int n) {
      return nlohmann::json{{"user", user_id}, {"n", n}}.dump();
   }

   boost::asio::io_context io_;
   std::unique_ptr<redis_cluster> cluster_;
   std::unique_ptr<cluster_publisher> publisher_;
   std::vector<std::unique_ptr<gateway_process>> gateways_;
   std::unique_ptr<ws_swarm> swarm_;
   std::map<std::string, int> next_n_;
   std::map<std::string, std::set<int>> acknowledged_;
};

/// Moves `slot` from the master on `from` to the one on `to` as redis-cli --cluster reshard
/// does: IMPORTING/MIGRATING, MIGRATE of its keys in batches, then SETSLOT NODE on every master.
void migrate_slot(std::uint16_t slot, std::uint16_t from, std::uint16_t to,
                  const std::vector<std::uint16_t>& masters) {
   auto const from_id = redis_cluster::cli(from, "CLUSTER MYID");
   auto const to_id = redis_cluster::cli(to, "CLUSTER MYID");
   auto const s = std::to_string(slot);
   EXPECT_EQ(redis_cluster::cli(to, "CLUSTER SETSLOT " + s + " IMPORTING " + from_id), "OK");
   EXPECT_EQ(redis_cluster::cli(from, "CLUSTER SETSLOT " + s + " MIGRATING " + to_id), "OK");
   for (int round = 0; round < 100; ++round) {
      auto const keys = redis_cluster::cli(from, "CLUSTER GETKEYSINSLOT " + s + " 100");
      if (keys.empty()) {
         break;
      }
      std::string quoted;
      std::size_t start = 0;
      while (start < keys.size()) {
         auto const end = keys.find('\n', start);
         quoted += " '" + keys.substr(start, end - start) + "'";
         start = end == std::string::npos ? keys.size() : end + 1;
      }
      auto const moved = redis_cluster::cli(from, "MIGRATE 127.0.0.1 " + std::to_string(to) +
                                                      " '' 0 5000 KEYS" + quoted);
      EXPECT_TRUE(moved == "OK" || moved == "NOKEY") << moved;
      std::this_thread::sleep_for(20ms); // under load: publishes land between the batches
   }
   // The new owner first, then the old one, then the rest, as redis-cli does: the other order
   // lets the old owner redirect to a node that does not know yet that the slot is its own.
   std::vector<std::uint16_t> order{to, from};
   for (auto const port : masters) {
      if (port != to && port != from) {
         order.push_back(port);
      }
   }
   for (auto const port : order) {
      EXPECT_EQ(redis_cluster::cli(port, "CLUSTER SETSLOT " + s + " NODE " + to_id), "OK")
          << "on " << port;
   }
}

TEST_F(cluster_test, every_slot_owner_gets_exactly_its_messages_on_three_instances) {
   start_gateways(3);
   auto const users = one_user_per_slot();
   ASSERT_EQ(connect_users(users, ""), users.size());

   for (auto const& user : users) {
      for (int n = 1; n <= 2; ++n) {
         publisher_->publish("user:" + user, payload(user, n));
      }
   }
   publisher_->publish("global", R"({"all":true})");
   std::size_t const owed = users.size() * 3;
   ASSERT_TRUE(pump_until([&] { return publisher_->in_flight() == 0; }, 120s));
   ASSERT_EQ(publisher_->failed(), 0U) << publisher_->last_failure();
   pump_until([&] { return swarm_->total_messages() >= owed; }, 60s);
   pump_until([] { return false; }, 300ms); // anything extra (a duplicate) arrives too

   delivery_count count;
   for (std::size_t i = 0; i < users.size(); ++i) {
      check(count, {i}, users[i], {1, 2}, 1);
   }
   count.print("all 16384 slots, 3 instances");
   EXPECT_EQ(count.complete, users.size()) << count.first_problem;
   EXPECT_EQ(count.missing + count.duplicates + count.misrouted + count.out_of_order, 0U);

   // Presence in every slot: a backend asking any node (redis-cli -c follows MOVED) sees each
   // user's one connection, wherever its instance and slot are.
   auto const questions = std::filesystem::temp_directory_path() /
                          ("presence-questions-" + std::to_string(::getpid()));
   {
      std::ofstream out(questions);
      for (auto const& user : users) {
         out << "FCALL_RO notify_presence 1 user:" << user << "\n";
      }
   }
   auto const answers = redis_cluster::cli(cluster_->ports().front(), "-c < " + questions.string());
   std::filesystem::remove(questions);
   std::size_t present = 0;
   std::istringstream lines(answers);
   for (std::string line; std::getline(lines, line);) {
      present += line == "1" ? 1 : 0;
   }
   std::printf("presence: %zu of %zu users (one per slot) answer 1 connection\n", present,
               users.size());
   EXPECT_EQ(present, users.size()) << answers.substr(0, 500);

   // Each instance received its own users' messages only: a third of the user traffic each.
   for (std::size_t g = 0; g < gateways_.size(); ++g) {
      auto const own_users = (users.size() + gateways_.size() - 1 - g) / gateways_.size();
      auto const received =
          metric_value(gateways_[g]->port(), R"(notify_redis_messages_total{scope="user"})");
      std::printf("instance %zu: %zu users, %.0f user messages received from Redis (of %zu "
                  "published)\n",
                  g, own_users, received, users.size() * 2);
      EXPECT_EQ(received, static_cast<double>(own_users * 2));
   }
}

TEST_F(cluster_test, a_slot_migrated_under_load_loses_nothing) {
   std::uint16_t const slot = 4242;
   std::vector<std::string> users;
   ASSERT_NO_FATAL_FAILURE(start_with_users_around(slot, users));
   auto const map = topology();
   ASSERT_TRUE(map);

   auto const from = map->masters()[*map->master_of_slot(slot)].port;
   std::uint16_t to = 0;
   std::vector<std::uint16_t> masters;
   for (auto const& master : map->masters()) {
      masters.push_back(master.port);
      if (master.port != from && to == 0) {
         to = master.port;
      }
   }
   publish_under(users, 1500, 6s, [&] { migrate_slot(slot, from, to, masters); });
   ASSERT_EQ(redis_cluster::cli(to, "CLUSTER COUNTKEYSINSLOT " + std::to_string(slot)) != "0",
             true);

   auto const count = account(users, one_connection_each(users), "slot migrated under load");
   EXPECT_EQ(count.complete, users.size()) << count.first_problem;
   EXPECT_EQ(count.missing + count.duplicates + count.misrouted + count.out_of_order, 0U);
   EXPECT_EQ(count.gaps, 0U);
   for (auto const& gateway : gateways_) {
      EXPECT_EQ(http_get(gateway->port(), "/readyz").status, 200) << gateway->log_text();
   }
}

TEST_F(cluster_test, a_master_killed_and_its_replica_promoted_loses_nothing) {
   std::uint16_t const slot = 777;
   std::vector<std::string> users;
   ASSERT_NO_FATAL_FAILURE(start_with_users_around(slot, users));
   auto const map = topology();
   ASSERT_TRUE(map);

   auto const victim_port = map->masters()[*map->master_of_slot(slot)].port;
   auto const& ports = cluster_->ports();
   auto const victim =
       static_cast<std::size_t>(std::find(ports.begin(), ports.end(), victim_port) - ports.begin());
   ASSERT_LT(victim, ports.size());
   publish_under(users, 1000, 12s, [&] {
      cluster_->kill_node(victim);
      // The replica is promoted after cluster-node-timeout (2 s) and an election.
      for (int i = 0; i < 100; ++i) {
         auto const info = redis_cluster::cli(ports[(victim + 1) % 3], "CLUSTER INFO");
         if (info.find("cluster_state:ok") != std::string::npos && i > 10) {
            break;
         }
         std::this_thread::sleep_for(100ms);
      }
   });

   auto const count = account(users, one_connection_each(users), "master killed under load");
   EXPECT_EQ(count.complete, users.size()) << count.first_problem;
   EXPECT_EQ(count.missing + count.duplicates + count.misrouted + count.out_of_order, 0U);
   for (auto const& gateway : gateways_) {
      EXPECT_TRUE(
          eventually([&] { return http_get(gateway->port(), "/readyz").status == 200; }, 20s))
          << gateway->log_text();
   }
}

TEST_F(cluster_test, a_master_added_and_given_a_slot_under_load_loses_nothing) {
   std::uint16_t const slot = 9001;
   std::vector<std::string> users;
   ASSERT_NO_FATAL_FAILURE(start_with_users_around(slot, users));
   auto const map = topology();
   ASSERT_TRUE(map);

   auto const from = map->masters()[*map->master_of_slot(slot)].port;
   std::vector<std::uint16_t> masters;
   for (auto const& master : map->masters()) {
      masters.push_back(master.port);
   }
   std::uint16_t added = 0;
   publish_under(users, 1500, 8s, [&] {
      added = cluster_->add_master();
      ASSERT_NE(added, 0) << "scripts/redis-cluster add-master failed";
      masters.push_back(added);
      migrate_slot(slot, from, added, masters);
   });
   ASSERT_NE(added, 0);
   EXPECT_NE(redis_cluster::cli(added, "CLUSTER COUNTKEYSINSLOT " + std::to_string(slot)), "0");

   auto const count = account(users, one_connection_each(users), "master added, slot moved to it");
   EXPECT_EQ(count.complete, users.size()) << count.first_problem;
   EXPECT_EQ(count.missing + count.duplicates + count.misrouted + count.out_of_order, 0U);
   EXPECT_EQ(count.gaps, 0U);
   // Every instance follows the new master: its subscriber link is up and the users of the slot
   // are subscribed there.
   auto const link_to_new = "127.0.0.1:" + std::to_string(added) + ": subscribed";
   for (auto const& gateway : gateways_) {
      EXPECT_TRUE(gateway->wait_for_log(link_to_new, 10s)) << gateway->log_text();
      EXPECT_EQ(http_get(gateway->port(), "/readyz").status, 200);
   }
   std::size_t subscribed_here = 0;
   for (auto const& user : users_in_slot(slot, 30)) {
      auto const answer =
          redis_cluster::cli(added, "PUBSUB SHARDNUMSUB 'notify:{user:" + user + "}:live'");
      subscribed_here += answer.ends_with("\n1") ? 1 : 0; // by the one instance it is on
   }
   std::printf("the new master holds the shard channels of %zu of the slot's 30 users\n",
               subscribed_here);
   EXPECT_EQ(subscribed_here, 30U);
}

TEST_F(cluster_test, an_instance_killed_its_clients_resume_on_another_and_lose_nothing) {
   start_gateways(3);
   std::vector<std::string> users;
   for (int i = 0; i < 90; ++i) {
      users.push_back("k" + std::to_string(i));
   }
   ASSERT_EQ(connect_users(users, ""), users.size());
   publish_round(users); // every client has a position before the kill
   ASSERT_TRUE(pump_until([&] { return swarm_->total_messages() >= users.size(); }, 20s));

   auto indices = one_connection_each(users);
   publish_under(users, 1000, 6s, [] {});
   gateways_[0]->signal(SIGKILL);
   gateways_[0]->wait_exit(5s);
   publish_under(users, 1000, 3s, [] {});
   // The killed instance's clients reconnect to the next one with their last position.
   std::size_t resumed = 0;
   for (std::size_t i = 0; i < users.size(); i += gateways_.size()) {
      ASSERT_EQ(swarm_->state_of(i), ws_swarm::state::closed) << users[i];
      std::string last_id;
      for (auto const& text : swarm_->messages(i)) {
         auto const message = nlohmann::json::parse(text, nullptr, false);
         if (message.value("stream", "") == "user") {
            last_id = message.value("id", "");
         }
      }
      ASSERT_FALSE(last_id.empty()) << users[i];
      indices[users[i]].push_back(swarm_->add(
          gateways_[1]->port(),
          "/ws?token=" + auth::mint_jwt(test_jwt_secret, users[i], std::chrono::hours(1)) +
              "&format=envelope&resume_user=" + last_id));
      ++resumed;
   }
   ASSERT_TRUE(pump_until(
       [&] {
          return swarm_->count(ws_swarm::state::connecting) == 0 &&
                 swarm_->count(ws_swarm::state::waiting) == 0;
       },
       30s));
   publish_under(users, 1000, 3s, [] {});

   std::printf("%zu clients of the killed instance resumed on another\n", resumed);
   auto const count = account(users, indices, "instance killed, clients resumed");
   EXPECT_EQ(count.complete, users.size()) << count.first_problem;
   EXPECT_EQ(count.missing + count.duplicates + count.misrouted + count.out_of_order, 0U);
   EXPECT_EQ(count.gaps, 0U);
}

} // namespace
} // namespace notify::test
