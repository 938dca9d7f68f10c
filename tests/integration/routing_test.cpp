// Redis PUBLISH → WebSocket delivery, as a user sees it.

#include "gateway_fixture.hpp"

namespace notify::test {
namespace {

using namespace std::chrono_literals;

class routing_test : public gateway_test {
protected:
   void SetUp() override {
      gateway_test::SetUp();
      start_gateway({"--threads", "2"});
   }
};

TEST_F(routing_test, user_message_reaches_every_connection_of_that_user_only) {
   auto a1 = connect_as("42");
   auto a2 = connect_as("42");
   auto b = connect_as("7");
   auto anonymous = connect_anonymous();

   std::string const order = R"({"type":"order_shipped","orderId":7})";
   publish("user:42:notifications", order);
   EXPECT_EQ(a1->read_message(), order);
   EXPECT_TRUE(a1->last_message_was_text());
   EXPECT_EQ(a2->read_message(), order);

   // B's and the anonymous client's next message must be B's own marker, not A's order.
   std::string const marker = R"({"type":"marker","for":"7"})";
   publish("user:7:notifications", marker);
   EXPECT_EQ(b->read_message(), marker);
   EXPECT_EQ(anonymous->read_message(300ms), std::nullopt);

   // And A got it exactly once.
   EXPECT_EQ(a1->read_message(300ms), std::nullopt);
   EXPECT_EQ(a2->read_message(300ms), std::nullopt);
}

TEST_F(routing_test, user_ids_may_contain_colons) {
   auto client = connect_as("org:5:user:9");
   publish("user:org:5:user:9:notifications", R"({"n":1})");
   EXPECT_EQ(client->read_message(), R"({"n":1})");
}

TEST_F(routing_test, global_message_reaches_every_authenticated_connection_once) {
   std::vector<std::unique_ptr<ws_client>> clients;
   for (int i = 0; i < 6; ++i) {
      clients.push_back(connect_as("user-" + std::to_string(i % 3)));
   }
   auto anonymous = connect_anonymous();
   std::string const maintenance = R"({"type":"maintenance"})";
   publish("global_notifications", maintenance);
   for (auto& client : clients) {
      EXPECT_EQ(client->read_message(), maintenance);
   }
   std::string const second = R"({"type":"second"})";
   publish("global_notifications", second);
   for (auto& client : clients) {
      EXPECT_EQ(client->read_message(), second) << "a duplicate or a loss";
   }
   EXPECT_EQ(anonymous->read_message(300ms), std::nullopt);
}

TEST_F(routing_test, invalid_payloads_are_dropped_and_counted_and_the_next_one_arrives) {
   auto client = connect_as("42");
   publish("user:42:notifications", "not json {");
   publish("user:42:notifications", std::string("{\"bad\":\"\xff\xfe\"}"));
   publish("global_notifications", "[1,2");
   std::string const good = R"({"ok":true})";
   publish("user:42:notifications", good);
   EXPECT_EQ(client->read_message(), good);
   EXPECT_EQ(client->read_message(300ms), std::nullopt);
   EXPECT_EQ(metric_value(port(), R"(notify_dropped_messages_total{reason="invalid_json"})"), 2);
   EXPECT_EQ(metric_value(port(), R"(notify_dropped_messages_total{reason="invalid_utf8"})"), 1);
   EXPECT_TRUE(gateway_->running());
}

TEST_F(routing_test, oversized_payloads_are_dropped) {
   gateway_.reset();
   start_gateway({"--set", "routing.max_payload_bytes=100"});
   auto client = connect_as("42");
   publish("user:42:notifications", "\"" + std::string(200, 'x') + "\"");
   std::string const small = R"({"small":1})";
   publish("user:42:notifications", small);
   EXPECT_EQ(client->read_message(), small);
   EXPECT_EQ(metric_value(port(), R"(notify_dropped_messages_total{reason="too_large"})"), 1);
}

TEST_F(routing_test, a_thousand_messages_arrive_complete_and_in_order_on_each_connection) {
   constexpr int message_count = 1000;
   std::vector<std::unique_ptr<ws_client>> clients;
   for (int i = 0; i < 4; ++i) {
      clients.push_back(connect_as("42"));
   }
   for (int i = 0; i < message_count; ++i) {
      auto const channel = i % 2 == 0 ? "user:42:notifications" : "global_notifications";
      publish(channel, R"({"seq":)" + std::to_string(i) + "}");
   }
   for (auto& client : clients) {
      for (int i = 0; i < message_count; ++i) {
         auto const message = client->read_message();
         ASSERT_TRUE(message.has_value()) << "lost message " << i;
         ASSERT_EQ(*message, R"({"seq":)" + std::to_string(i) + "}");
      }
      EXPECT_EQ(client->read_message(200ms), std::nullopt);
   }
   EXPECT_EQ(metric_value(port(), "notify_deliveries_total"), 4 * message_count);
}

TEST_F(routing_test, large_payloads_arrive_intact) {
   auto client = connect_as("42");
   std::string const big = "\"" + std::string(300 * 1024, 'y') + "\"";
   publish("user:42:notifications", big);
   EXPECT_EQ(client->read_message(), big);
}

TEST_F(routing_test, messages_of_a_user_with_no_connection_are_not_an_error) {
   publish("user:nobody:notifications", R"({"x":1})");
   auto client = connect_as("42");
   publish("user:42:notifications", R"({"x":2})");
   EXPECT_EQ(client->read_message(), R"({"x":2})");
}

} // namespace
} // namespace notify::test

namespace notify::test {
namespace {

using namespace std::chrono_literals;

// auth_ok is a promise: a message published after the client has seen it is delivered, even
// when the connection lives on another thread than the router (it used to be lost now and then).
TEST_F(routing_test, a_message_published_right_after_auth_ok_is_always_delivered) {
   start_gateway({"--threads", "2"});
   for (int i = 0; i < 300; ++i) {
      auto const user = "fresh-" + std::to_string(i);
      auto client = connect_as(user);
      publish("user:" + user + ":notifications", R"({"i":)" + std::to_string(i) + "}");
      ASSERT_EQ(client->read_message(2s), R"({"i":)" + std::to_string(i) + "}") << "user " << user;
   }
}

} // namespace
} // namespace notify::test
