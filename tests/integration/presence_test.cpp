// Presence across instances: two gateway processes on one Redis keep each user's presence key
// (<prefix>{user:<id>}:presence), so a backend's FCALL_RO notify_presence sees every connection
// on every gateway; a gateway that stops takes its connections with it at once, one that is
// killed stops counting after presence.ttl_ms; and limits.max_connections_per_user_scope
// all_instances caps a user's connections on all gateways together.

#include "gateway_fixture.hpp"

#include <csignal>

namespace notify::test {
namespace {

class presence_test : public gateway_test {
protected:
   /// Gateway A is the fixture's; B is a second process with the same settings and Redis.
   void start_both(const env_list& extra = {}) {
      start_gateway({}, extra);
      ASSERT_TRUE(gateway_->wait_for_log("function library loaded")) << gateway_->log_text();
      env_list env{{"NOTIFY_JWT_SECRET", std::string(test_jwt_secret)},
                   {"REDIS_PORT", std::to_string(redis_->port())},
                   {"REDIS_HOST", "127.0.0.1"}};
      env.insert(env.end(), extra.begin(), extra.end());
      gateway_b_ = std::make_unique<gateway_process>(std::vector<std::string>{}, std::move(env));
      ASSERT_TRUE(eventually([&] { return http_get(gateway_b_->port(), "/readyz").status == 200; }))
          << gateway_b_->log_text();
   }

   /// What a backend asks: the user's live connections on every gateway.
   long long presence_of(const std::string& user_id) {
      auto const answer = redis_->command({"FCALL_RO", "notify_presence", "1", "user:" + user_id});
      EXPECT_EQ(answer.type, redis::reply::kind::integer) << answer.str;
      return answer.integer;
   }

   bool presence_becomes(const std::string& user_id, long long expected,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
      return eventually([&] { return presence_of(user_id) == expected; }, timeout);
   }

   /// A connection of `user_id` on `gateway_port`: the first message it gets (auth_ok, or
   /// nothing when the gateway closes it) and the client.
   std::pair<std::string, std::unique_ptr<ws_client>> try_connect(std::uint16_t gateway_port,
                                                                  const std::string& user_id) {
      auto client = std::make_unique<ws_client>();
      EXPECT_TRUE(client->connect("127.0.0.1", gateway_port, "/ws?token=" + token_for(user_id)))
          << client->last_error();
      auto const text = client->read_message();
      auto const reply = nlohmann::json::parse(text.value_or("{}"), nullptr, false);
      return {reply.value("type", ""), std::move(client)};
   }

   std::unique_ptr<gateway_process> gateway_b_;
};

TEST_F(presence_test, a_backend_sees_a_users_connections_on_every_gateway) {
   start_both();
   EXPECT_EQ(presence_of("42"), 0);
   auto [first_type, on_a] = try_connect(gateway_->port(), "42");
   ASSERT_EQ(first_type, "auth_ok");
   auto [second_type, on_b] = try_connect(gateway_b_->port(), "42");
   ASSERT_EQ(second_type, "auth_ok");
   auto [other_type, other_user] = try_connect(gateway_b_->port(), "7");
   ASSERT_EQ(other_type, "auth_ok");
   EXPECT_TRUE(presence_becomes("42", 2)) << presence_of("42");
   EXPECT_TRUE(presence_becomes("7", 1));
   // The documented key: a sorted set, one member per connection, scored by its expiry.
   EXPECT_EQ(redis_->command({"ZCARD", "notify:{user:42}:presence"}).integer, 2);
   // The stream-key form of the call, for backends on a cluster that is resharded.
   EXPECT_EQ(
       redis_->command({"FCALL_RO", "notify_presence", "1", "notify:{user:42}:presence"}).integer,
       2);

   ASSERT_TRUE(on_a->close());
   EXPECT_TRUE(presence_becomes("42", 1)) << presence_of("42");
   ASSERT_TRUE(on_b->close());
   EXPECT_TRUE(presence_becomes("42", 0)) << presence_of("42");
   // Nothing is left behind once the user is gone.
   EXPECT_EQ(redis_->command({"EXISTS", "notify:{user:42}:presence"}).integer, 0);
   EXPECT_EQ(presence_of("7"), 1);

   // Hostile input to the documented call gets an error reply, not a wrong answer.
   auto const bad = redis_->command({"FCALL_RO", "notify_presence", "1", "user:"});
   EXPECT_EQ(bad.type, redis::reply::kind::error) << bad.str;
   auto const forged =
       redis_->command({"FCALL", "notify_presence_join", "1", "user:42", "member", "1000", "0"});
   EXPECT_EQ(forged.type, redis::reply::kind::error) << forged.str;
}

TEST_F(presence_test, a_stopped_gateway_takes_its_connections_with_it_and_a_killed_one_expires) {
   start_both({{"NOTIFY_PRESENCE_TTL_MS", "3000"}});
   std::vector<std::unique_ptr<ws_client>> clients;
   for (auto const* gateway : {gateway_.get(), gateway_b_.get()}) {
      for (int i = 0; i < 5; ++i) {
         auto [type, client] = try_connect(gateway->port(), "u" + std::to_string(i));
         ASSERT_EQ(type, "auth_ok");
         clients.push_back(std::move(client));
      }
   }
   for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(presence_becomes("u" + std::to_string(i), 2));
   }
   // Refreshed while connected: still counted well after a ttl.
   std::this_thread::sleep_for(std::chrono::milliseconds(4500));
   for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(presence_of("u" + std::to_string(i)), 2) << "u" << i << " after 1.5 ttl";
   }

   // SIGTERM: the gateway removes its members before it exits.
   ASSERT_TRUE(gateway_b_->signal(SIGTERM));
   ASSERT_EQ(gateway_b_->wait_exit(std::chrono::seconds(10)), 0);
   for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(presence_of("u" + std::to_string(i)), 1) << "u" << i << " after B stopped";
   }

   // kill -9: nobody removes A's members; they stop counting one ttl after the last refresh.
   ASSERT_TRUE(gateway_->signal(SIGKILL));
   ASSERT_TRUE(gateway_->wait_exit(std::chrono::seconds(10)).has_value());
   for (int i = 0; i < 5; ++i) {
      EXPECT_TRUE(presence_becomes("u" + std::to_string(i), 0, std::chrono::seconds(6)))
          << "u" << i << ": " << presence_of("u" + std::to_string(i));
   }
}

TEST_F(presence_test, the_per_user_limit_counts_connections_on_all_gateways_together) {
   start_both({{"NOTIFY_LIMITS_MAX_CONNECTIONS_PER_USER", "3"},
               {"NOTIFY_LIMITS_MAX_CONNECTIONS_PER_USER_SCOPE", "all_instances"}});
   std::vector<std::unique_ptr<ws_client>> admitted;
   int refused = 0;
   // Alternating gateways: each alone would admit 3, together they must admit 3.
   for (int i = 0; i < 8; ++i) {
      auto const port = i % 2 == 0 ? gateway_->port() : gateway_b_->port();
      auto [type, client] = try_connect(port, "capped");
      if (type == "auth_ok") {
         admitted.push_back(std::move(client));
      } else {
         auto const closed = client->expect_close();
         EXPECT_EQ(closed.code, 4003) << "connection " << i;
         ++refused;
      }
   }
   std::printf("per-user limit 3 on two gateways: %zu admitted, %d refused (4003) of 8\n",
               admitted.size(), refused);
   EXPECT_EQ(admitted.size(), 3U);
   EXPECT_EQ(refused, 5);
   EXPECT_EQ(presence_of("capped"), 3);

   // A place freed on one gateway can be taken on the other.
   ASSERT_TRUE(admitted.front()->close());
   admitted.erase(admitted.begin());
   ASSERT_TRUE(presence_becomes("capped", 2));
   auto [type, client] = try_connect(gateway_b_->port(), "capped");
   EXPECT_EQ(type, "auth_ok");
   EXPECT_EQ(presence_of("capped"), 3);
   // Other users are not affected.
   auto [other_type, other] = try_connect(gateway_->port(), "free");
   EXPECT_EQ(other_type, "auth_ok");
}

} // namespace
} // namespace notify::test
