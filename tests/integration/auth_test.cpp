// Authentication and the client protocol, as a WebSocket client sees them.

#include "gateway_fixture.hpp"

namespace notify::test {
namespace {

using namespace std::chrono_literals;

class auth_test : public gateway_test {
protected:
   void SetUp() override {
      gateway_test::SetUp();
      start_gateway({"--threads", "1"});
   }

   /// Expects the next message to be auth_ok for `user_id`.
   static void expect_auth_ok(ws_client& client, const std::string& user_id) {
      auto const reply = client.read_message();
      ASSERT_TRUE(reply.has_value()) << "no auth_ok; close " << client.last_close().code;
      auto const json = nlohmann::json::parse(*reply, nullptr, false);
      EXPECT_EQ(json.value("type", ""), "auth_ok");
      EXPECT_EQ(json.value("userId", ""), user_id);
   }

   /// Publishes to `user_id` and expects `client` to get it (it really is that user).
   void expect_receives_as(ws_client& client, const std::string& user_id) {
      std::string const payload = R"({"for":")" + user_id + R"("})";
      publish("user:" + user_id + ":notifications", payload);
      EXPECT_EQ(client.read_message(), payload);
   }

   static nlohmann::json next_json(ws_client& client) {
      auto const message = client.read_message();
      if (!message) {
         return nullptr;
      }
      return nlohmann::json::parse(*message, nullptr, false);
   }
};

TEST_F(auth_test, token_in_the_query_string) {
   ws_client client;
   ASSERT_TRUE(client.connect("127.0.0.1", port(), "/ws?token=" + token_for("42")));
   expect_auth_ok(client, "42");
   expect_receives_as(client, "42");
}

TEST_F(auth_test, token_in_the_first_message) {
   auto client = connect_anonymous();
   ASSERT_TRUE(client->send_text(R"({"type":"auth","token":")" + token_for("42") + R"("})"));
   expect_auth_ok(*client, "42");
   expect_receives_as(*client, "42");
}

TEST_F(auth_test, token_in_an_authorization_header) {
   ws_client client;
   ASSERT_TRUE(client.connect("127.0.0.1", port(), "/ws",
                              {{"Authorization", "Bearer " + token_for("77")}}));
   expect_auth_ok(client, "77");
}

TEST_F(auth_test, redis_session_token) {
   redis_->set("session:3f9a1c", R"({"id":"3f9a1c","userId":"55","createdAt":1})");
   redis_->set("session:numeric", R"({"userId":56})");
   auto client = connect_anonymous();
   ASSERT_TRUE(client->send_text(R"({"type":"auth","token":"3f9a1c"})"));
   expect_auth_ok(*client, "55");
   expect_receives_as(*client, "55");

   ws_client by_query;
   ASSERT_TRUE(by_query.connect("127.0.0.1", port(), "/ws?token=numeric"));
   expect_auth_ok(by_query, "56");
}

TEST_F(auth_test, missing_or_expired_session_is_refused_with_4001) {
   redis_->set("session:short", R"({"userId":"9"})", std::chrono::seconds(1));
   std::this_thread::sleep_for(1500ms);
   for (std::string const token : {"short", "never-existed"}) {
      ws_client client;
      ASSERT_TRUE(client.connect("127.0.0.1", port(), "/ws?token=" + token));
      EXPECT_EQ(client.expect_close().code, 4001) << token;
   }
   redis_->set("session:broken", "not json");
   ws_client client;
   ASSERT_TRUE(client.connect("127.0.0.1", port(), "/ws?token=broken"));
   EXPECT_EQ(client.expect_close().code, 4001);
   EXPECT_EQ(metric_value(port(), R"(notify_auth_failures_total{reason="session_not_found"})"), 2);
   EXPECT_EQ(metric_value(port(), R"(notify_auth_failures_total{reason="session_invalid"})"), 1);
}

TEST_F(auth_test, bad_tokens_close_with_4001_and_never_receive) {
   auto const wrong_secret =
       auth::mint_jwt("another-secret-another-secret-0123456789", "42", std::chrono::seconds(60));
   auto const expired = auth::mint_jwt(test_jwt_secret, "42", std::chrono::seconds(60),
                                       std::chrono::system_clock::now() - std::chrono::hours(2));
   // {"alg":"none"} . {"sub":"42"} . (empty signature)
   std::string const alg_none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiI0MiJ9.";
   for (auto const& token : {wrong_secret, expired, alg_none}) {
      ws_client client;
      ASSERT_TRUE(client.connect("127.0.0.1", port(), "/ws?token=" + token));
      auto const closed = client.expect_close();
      EXPECT_EQ(closed.code, 4001) << token;
      EXPECT_FALSE(closed.reason.empty());
   }
   EXPECT_GE(metric_value(port(), R"(notify_auth_failures_total{reason="bad_signature"})"), 1);
   EXPECT_GE(metric_value(port(), R"(notify_auth_failures_total{reason="expired"})"), 1);
}

TEST_F(auth_test, claimed_user_id_is_refused_by_default) {
   auto client = connect_anonymous();
   ASSERT_TRUE(client->send_text(R"({"type":"auth","userId":"42"})"));
   EXPECT_EQ(client->expect_close().code, 4001);
}

TEST_F(auth_test, claimed_user_id_is_accepted_in_insecure_mode_with_a_warning) {
   gateway_.reset();
   start_gateway({"--set", "auth.allow_insecure_user_id=true"});
   EXPECT_NE(gateway_->log_text().find("allow_insecure_user_id"), std::string::npos);
   auto client = connect_anonymous();
   ASSERT_TRUE(client->send_text(R"({"type":"auth","userId":"42"})"));
   expect_auth_ok(*client, "42");
   expect_receives_as(*client, "42");
}

TEST_F(auth_test, no_auth_in_time_closes_with_4002) {
   gateway_.reset();
   start_gateway({"--set", "auth.timeout_ms=300"});
   auto client = connect_anonymous();
   auto const closed = client->expect_close(3s);
   EXPECT_EQ(closed.code, 4002);
   EXPECT_EQ(metric_value(port(), R"(notify_auth_failures_total{reason="timeout"})"), 1);
}

TEST_F(auth_test, ping_message_is_answered_with_pong) {
   auto client = connect_as("42");
   ASSERT_TRUE(client->send_text(R"({"type":"ping"})"));
   EXPECT_EQ(next_json(*client), nlohmann::json({{"type", "pong"}}));
   EXPECT_TRUE(client->ping()); // WebSocket-level ping
}

TEST_F(auth_test, bad_messages_get_errors_and_repeated_abuse_closes_with_1008) {
   auto client = connect_as("42");
   ASSERT_TRUE(client->send_text("not json"));
   auto reply = next_json(*client);
   EXPECT_EQ(reply.value("type", ""), "error");
   EXPECT_EQ(reply.value("code", ""), "bad_json");
   ASSERT_TRUE(client->send_text(R"({"type":"dance"})"));
   EXPECT_EQ(next_json(*client).value("code", ""), "unknown_type");
   ASSERT_TRUE(client->send_text(R"({"type":"auth","token":"x"})"));
   EXPECT_EQ(next_json(*client).value("code", ""), "already_authenticated");
   // Still a working connection after a few mistakes.
   expect_receives_as(*client, "42");
   for (int i = 0; i < 10 && client->is_open(); ++i) {
      client->send_text("[");
   }
   EXPECT_EQ(client->expect_close().code, 1008);
}

TEST_F(auth_test, messages_over_the_inbound_limit_close_with_1009) {
   auto client = connect_as("42");
   ASSERT_TRUE(client->send_text(R"({"type":"ping","pad":")" + std::string(5000, 'p') + "\"}"));
   EXPECT_EQ(client->expect_close().code, 1009);
}

TEST_F(auth_test, invalid_utf8_text_closes_with_1007) {
   auto client = connect_as("42");
   client->send_text(std::string("{\"type\":\"\xc3\x28\"}"));
   EXPECT_EQ(client->expect_close().code, 1007);
}

} // namespace
} // namespace notify::test
