// Two gateway processes on one Redis at the same time, as two instances behind a load balancer
// are deployed: every connection, on whichever gateway, gets exactly its user's notify_publish
// messages and all global ones, once and in order; and a client that drops off one gateway
// resumes on the other with exactly what it missed.

#include "gateway_fixture.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>

namespace notify::test {
namespace {

/// What a publisher sent to one stream and Redis answered: the entry id and the JSON.
struct published {
   std::string id;
   nlohmann::json data;
};

/// One client connection and the gateway it is on, with the last id it saw per stream.
struct subscriber {
   std::string user_id;
   std::string gateway_name; // "A" or "B", for failure messages
   std::unique_ptr<ws_client> client;
   std::string last_user_id;
   std::string last_global_id;

   std::string name() const { return "user " + user_id + " on gateway " + gateway_name; }
};

/// A connection's messages, split by stream: the two streams have no order between them
/// (protocol.md, delivery guarantees), each one on its own has.
struct received_streams {
   std::vector<nlohmann::json> user;
   std::vector<nlohmann::json> global;
};

class two_gateways_test : public gateway_test {
protected:
   /// Gateway A is the fixture's; B is a second process with the same settings and Redis.
   void start_both_gateways() {
      start_gateway();
      ASSERT_TRUE(gateway_->wait_for_log("function library loaded")) << gateway_->log_text();
      env_list env{{"NOTIFY_JWT_SECRET", std::string(test_jwt_secret)},
                   {"REDIS_PORT", std::to_string(redis_->port())},
                   {"REDIS_HOST", "127.0.0.1"}};
      gateway_b_ = std::make_unique<gateway_process>(std::vector<std::string>{}, std::move(env));
      ASSERT_TRUE(eventually([&] { return http_get(gateway_b_->port(), "/readyz").status == 200; }))
          << gateway_b_->log_text();
      ASSERT_TRUE(gateway_b_->wait_for_log("function library loaded")) << gateway_b_->log_text();
   }

   std::uint16_t port_of(const std::string& gateway_name) const {
      return gateway_name == "A" ? gateway_->port() : gateway_b_->port();
   }

   /// An envelope connection of `user_id` on gateway "A" or "B"; auth_ok already read.
   subscriber connect_on(const std::string& gateway_name, const std::string& user_id,
                         const std::string& resume_query = "") {
      subscriber connection{user_id, gateway_name, std::make_unique<ws_client>(), {}, {}};
      EXPECT_TRUE(connection.client->connect("127.0.0.1", port_of(gateway_name),
                                             "/ws?token=" + token_for(user_id) +
                                                 "&format=envelope" + resume_query))
          << connection.client->last_error();
      auto const text = connection.client->read_message();
      auto const ok = nlohmann::json::parse(text.value_or("{}"), nullptr, false);
      EXPECT_EQ(ok.value("type", ""), "auth_ok") << connection.name() << ": " << ok.dump();
      return connection;
   }

   /// FCALL notify_publish; returns what was published, with the entry id.
   published publish_with_history(const std::string& target, const nlohmann::json& data) {
      auto const answer = redis_->command({"FCALL", "notify_publish", "1", target, data.dump()});
      EXPECT_EQ(answer.type, redis::reply::kind::string) << answer.str;
      return {answer.str, data};
   }

   /// Reads `count` messages and splits them by stream; anything but a message (a gap signal,
   /// an error) or a silence of 5 s fails the test.
   static received_streams read_streams(subscriber& connection, std::size_t count) {
      received_streams got;
      for (std::size_t i = 0; i < count; ++i) {
         auto const text = connection.client->read_message();
         if (!text) {
            ADD_FAILURE() << connection.name() << ": got " << i << " of " << count << " messages";
            break;
         }
         auto const message = nlohmann::json::parse(*text, nullptr, false);
         if (message.value("type", "") != "message") {
            ADD_FAILURE() << connection.name() << ": not a message: " << *text;
            continue;
         }
         (message.value("stream", "") == "global" ? got.global : got.user).push_back(message);
      }
      if (!got.user.empty()) {
         connection.last_user_id = got.user.back().value("id", "");
      }
      if (!got.global.empty()) {
         connection.last_global_id = got.global.back().value("id", "");
      }
      return got;
   }

   /// Each expected entry exactly once, in publish order, with its id: nothing else.
   static void expect_exactly(const std::vector<nlohmann::json>& got,
                              const std::vector<published>& expected, const std::string& what) {
      EXPECT_EQ(got.size(), expected.size()) << what;
      for (std::size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
         EXPECT_EQ(got[i].value("id", ""), expected[i].id) << what << ", message " << i;
         EXPECT_EQ(got[i]["data"], expected[i].data) << what << ", message " << i;
      }
   }

   /// Reads what `connection` should have got since the last check and compares both streams.
   void expect_delivered(subscriber& connection, const std::vector<published>& user_expected,
                         const std::vector<published>& global_expected) {
      auto const got = read_streams(connection, user_expected.size() + global_expected.size());
      expect_exactly(got.user, user_expected, connection.name() + ", user stream");
      expect_exactly(got.global, global_expected, connection.name() + ", global stream");
   }

   /// Nothing more arrives on any of `connections`: one quiet period for all of them, then
   /// whatever came meanwhile is already in the sockets.
   static void expect_nothing_more(const std::vector<subscriber*>& connections) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      for (auto* connection : connections) {
         auto const extra = connection->client->read_message(std::chrono::milliseconds(50));
         EXPECT_EQ(extra, std::nullopt) << connection->name() << ": a duplicate or a stray message";
      }
   }

   static std::vector<subscriber*> all_of(std::vector<subscriber>& connections) {
      std::vector<subscriber*> pointers;
      for (auto& connection : connections) {
         pointers.push_back(&connection);
      }
      return pointers;
   }

   std::unique_ptr<gateway_process> gateway_b_;
};

TEST_F(two_gateways_test,
       every_connection_on_either_gateway_gets_its_messages_and_resumes_on_the_other) {
   start_both_gateways();
   // 201 and 202 have connections on both gateways (202 two on A), 203 only on A, 204 only on
   // B; 205 has none, so nobody may see its messages.
   std::vector<subscriber> connections;
   connections.push_back(connect_on("A", "201"));
   connections.push_back(connect_on("B", "201"));
   connections.push_back(connect_on("A", "202"));
   connections.push_back(connect_on("A", "202"));
   connections.push_back(connect_on("B", "202"));
   connections.push_back(connect_on("A", "203"));
   connections.push_back(connect_on("B", "204"));
   std::vector<std::string> const users{"201", "202", "203", "204", "205"};

   // Interleaved, as from many publishers: round r sends message r to every user, and every
   // second round a global one.
   constexpr int per_user = 20;
   std::map<std::string, std::vector<published>> user_sent;
   std::vector<published> global_sent;
   for (int round = 0; round < per_user; ++round) {
      for (auto const& user : users) {
         user_sent[user].push_back(
             publish_with_history("user:" + user, {{"user", user}, {"n", round}}));
      }
      if (round % 2 == 0) {
         global_sent.push_back(publish_with_history("global", {{"global", round / 2}}));
      }
   }
   std::size_t deliveries_on_both = 0;
   for (auto& connection : connections) {
      expect_delivered(connection, user_sent[connection.user_id], global_sent);
      deliveries_on_both += user_sent[connection.user_id].size() + global_sent.size();
   }
   expect_nothing_more(all_of(connections));
   ASSERT_FALSE(HasFailure()) << "the switch below builds on the ids read above";

   // User 201's connection on A goes away; 201 (still on B), 204 and everyone get more
   // meanwhile.
   subscriber leaving = std::move(connections[0]);
   connections.erase(connections.begin());
   ASSERT_FALSE(leaving.last_user_id.empty());
   ASSERT_FALSE(leaving.last_global_id.empty());
   EXPECT_TRUE(leaving.client->close());
   leaving.client.reset();
   constexpr int missed_user = 15;
   constexpr int missed_global = 5;
   std::map<std::string, std::vector<published>> missed_sent;
   std::vector<published> missed_globals;
   for (int n = 0; n < missed_user; ++n) {
      missed_sent["201"].push_back(
          publish_with_history("user:201", {{"user", "201"}, {"n", per_user + n}}));
      if (n % 3 == 0) {
         missed_sent["204"].push_back(
             publish_with_history("user:204", {{"user", "204"}, {"n", per_user + n}}));
         missed_globals.push_back(
             publish_with_history("global", {{"global", per_user / 2 + n / 3}}));
      }
   }
   ASSERT_EQ(missed_globals.size(), static_cast<std::size_t>(missed_global));
   std::size_t deliveries_meanwhile = 0;
   for (auto& connection : connections) {
      expect_delivered(connection, missed_sent[connection.user_id], missed_globals);
      deliveries_meanwhile += missed_sent[connection.user_id].size() + missed_globals.size();
   }

   // It comes back on B with the last ids it saw on A: exactly the missed ones, in order, then
   // live ones, nothing twice.
   auto resumed = connect_on("B", "201",
                             "&resume_user=" + leaving.last_user_id +
                                 "&resume_global=" + leaving.last_global_id);
   expect_delivered(resumed, missed_sent["201"], missed_globals);
   auto const replayed = missed_sent["201"].size() + missed_globals.size();
   auto const live_user = publish_with_history("user:201", {{"user", "201"}, {"n", "live"}});
   auto const live_global = publish_with_history("global", {{"global", "live"}});
   expect_delivered(resumed, {live_user}, {live_global});
   for (auto& connection : connections) {
      expect_delivered(connection,
                       connection.user_id == "201" ? std::vector{live_user}
                                                   : std::vector<published>{},
                       {live_global});
   }
   auto everyone = all_of(connections);
   everyone.push_back(&resumed);
   expect_nothing_more(everyone);
   EXPECT_GE(metric_value(gateway_b_->port(), "notify_history_replayed_messages_total"),
             static_cast<double>(replayed));

   std::printf("two gateways, 7 connections (4 on A, 3 on B), 5 users: %d messages per user and "
               "%zu global published, %zu deliveries checked, each once and in order\n",
               per_user, global_sent.size(), deliveries_on_both);
   std::printf("user 201 left A: %zu user + %zu global published meanwhile (%zu deliveries to the "
               "6 others); resumed on B with its last ids and got exactly those %zu, then 1 + 1 "
               "live, no duplicates\n",
               missed_sent["201"].size(), missed_globals.size(), deliveries_meanwhile, replayed);
}

} // namespace
} // namespace notify::test
