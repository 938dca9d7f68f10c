// Connection limits: total and per address refuse the upgrade; per user closes with 4003.

#include "gateway_fixture.hpp"

namespace notify::test {
namespace {

using namespace std::chrono_literals;

class limits_test : public gateway_test {};

TEST_F(limits_test, total_limit_refuses_the_upgrade_with_503) {
   start_gateway({"--set", "limits.max_connections=2"});
   auto a = connect_as("a");
   auto b = connect_as("b");
   auto const refused = http_upgrade(port(), "/ws?token=" + token_for("c"));
   EXPECT_EQ(refused.status, 503);
   EXPECT_EQ(metric_value(port(), R"(notify_refused_connections_total{limit="total"})"), 1);
   a->close();
   EXPECT_TRUE(eventually([&] { return metric_value(port(), "notify_connections") == 1; }));
   auto c = connect_as("c"); // room again
   EXPECT_TRUE(c->is_open());
}

TEST_F(limits_test, per_address_limit_refuses_the_upgrade_with_429) {
   start_gateway({"--set", "limits.max_connections_per_ip=2"});
   auto a = connect_as("a");
   auto b = connect_as("b");
   auto const refused = http_upgrade(port(), "/ws?token=" + token_for("c"));
   EXPECT_EQ(refused.status, 429);
   EXPECT_EQ(metric_value(port(), R"(notify_refused_connections_total{limit="per_ip"})"), 1);
   b->close();
   EXPECT_TRUE(eventually(
       [&] { return http_upgrade(port(), "/ws?token=" + token_for("c")).status == 101; }));
}

TEST_F(limits_test, per_user_limit_closes_the_extra_connection_with_4003) {
   start_gateway({"--set", "limits.max_connections_per_user=2"});
   auto first = connect_as("42");
   auto second = connect_as("42");
   ws_client third;
   ASSERT_TRUE(third.connect("127.0.0.1", port(), "/ws?token=" + token_for("42")));
   EXPECT_EQ(third.expect_close().code, 4003);
   auto other = connect_as("7"); // other users are not affected
   publish("user:42:notifications", "{}");
   EXPECT_EQ(first->read_message(), "{}");
   EXPECT_EQ(second->read_message(), "{}");
   EXPECT_EQ(metric_value(port(), R"(notify_refused_connections_total{limit="per_user"})"), 1);
   first->close();
   EXPECT_TRUE(
       eventually([&] { return metric_value(port(), "notify_authenticated_connections") == 2; }));
   auto again = connect_as("42"); // the slot was released
   EXPECT_TRUE(again->is_open());
}

} // namespace
} // namespace notify::test
