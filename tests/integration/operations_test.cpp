// Health, readiness, metrics, Redis outages, shutdown and start-up errors.

#include "gateway_fixture.hpp"

#include <csignal>

namespace notify::test {
namespace {

using namespace std::chrono_literals;

class operations_test : public gateway_test {};

TEST_F(operations_test, http_endpoints) {
   start_gateway();
   auto const health = http_get(port(), "/healthz");
   EXPECT_EQ(health.status, 200);
   auto const ready = http_get(port(), "/readyz");
   EXPECT_EQ(ready.status, 200);
   auto const metrics = http_get(port(), "/metrics");
   EXPECT_EQ(metrics.status, 200);
   EXPECT_NE(metrics.content_type.find("text/plain"), std::string::npos);
   for (auto const* name : {"notify_connections ", "notify_authenticated_users ",
                            "notify_redis_messages_total{", "notify_deliveries_total ",
                            "notify_dropped_messages_total{", "notify_auth_failures_total{",
                            "notify_redis_connected 1", "notify_redis_reconnects_total "}) {
      EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
   }
   EXPECT_EQ(http_get(port(), "/nope").status, 404);
   EXPECT_EQ(http_request(port(), "POST", "/healthz").status, 405);
   EXPECT_EQ(http_request(port(), "DELETE", "/metrics").status, 405);
   EXPECT_EQ(http_get(port(), "/ws").status, 426); // plain GET on the WebSocket path
}

TEST_F(operations_test, gauges_follow_connections) {
   start_gateway();
   {
      auto a1 = connect_as("a");
      auto a2 = connect_as("a");
      auto b = connect_as("b");
      auto anonymous = connect_anonymous();
      EXPECT_TRUE(eventually([&] { return metric_value(port(), "notify_connections") == 4; }));
      EXPECT_EQ(metric_value(port(), "notify_authenticated_users"), 2);
      EXPECT_EQ(metric_value(port(), "notify_authenticated_connections"), 3);
   }
   EXPECT_TRUE(eventually([&] { return metric_value(port(), "notify_connections") == 0; }));
   EXPECT_EQ(metric_value(port(), "notify_authenticated_users"), 0);
}

TEST_F(operations_test, redis_restart_keeps_clients_and_delivery_resumes) {
   start_gateway();
   auto client = connect_as("42");
   publish("user:42:notifications", R"({"before":1})");
   EXPECT_EQ(client->read_message(), R"({"before":1})");

   redis_->stop();
   EXPECT_TRUE(eventually([&] { return http_get(port(), "/readyz").status == 503; }));
   auto const not_ready = http_get(port(), "/readyz");
   EXPECT_NE(not_ready.body.find("reason"), std::string::npos) << not_ready.body;
   EXPECT_EQ(metric_value(port(), "notify_redis_connected"), 0);
   EXPECT_TRUE(client->is_open());

   redis_->restart();
   EXPECT_TRUE(eventually([&] { return http_get(port(), "/readyz").status == 200; }));
   publish("user:42:notifications", R"({"after":1})");
   EXPECT_EQ(client->read_message(), R"({"after":1})");
   EXPECT_TRUE(client->is_open());
   EXPECT_GE(metric_value(port(), "notify_redis_reconnects_total"), 1);
}

TEST_F(operations_test, killed_subscriber_connection_is_reestablished) {
   start_gateway();
   auto client = connect_as("42");
   EXPECT_EQ(redis_->kill_clients_of_type_pubsub(), 1);
   EXPECT_TRUE(eventually([&] { return redis_->publish("user:42:notifications", "{}") == 1; }));
   EXPECT_EQ(client->read_message(), "{}");
}

TEST_F(operations_test, starts_without_redis_and_becomes_ready_when_it_appears) {
   auto const redis_port = redis_->port();
   redis_->stop();
   gateway_ = std::make_unique<gateway_process>(
       std::vector<std::string>{},
       env_list{{"NOTIFY_JWT_SECRET", std::string(test_jwt_secret)},
                {"REDIS_URL", "redis://127.0.0.1:" + std::to_string(redis_port)}});
   EXPECT_EQ(http_get(port(), "/healthz").status, 200);
   EXPECT_EQ(http_get(port(), "/readyz").status, 503);
   redis_->restart();
   EXPECT_TRUE(eventually([&] { return http_get(port(), "/readyz").status == 200; }));
}

TEST_F(operations_test, sigterm_closes_clients_with_1001_and_exits_zero) {
   start_gateway();
   auto a = connect_as("1");
   auto b = connect_as("2");
   auto anonymous = connect_anonymous();
   ASSERT_TRUE(gateway_->signal(SIGTERM));
   EXPECT_EQ(a->expect_close().code, 1001);
   EXPECT_EQ(b->expect_close().code, 1001);
   EXPECT_EQ(anonymous->expect_close().code, 1001);
   EXPECT_EQ(gateway_->wait_exit(10s), 0);
}

TEST_F(operations_test, sigterm_exits_within_the_shutdown_timeout_even_if_clients_stall) {
   start_gateway({"--set", "server.shutdown_timeout_ms=500"});
   silent_client stalled(port(), "/ws?token=" + token_for("1"));
   ASSERT_TRUE(stalled.upgraded());
   ASSERT_TRUE(gateway_->signal(SIGTERM));
   EXPECT_EQ(gateway_->wait_exit(5s), 0);
}

TEST_F(operations_test, server_pings_keep_live_clients_and_silent_ones_are_closed) {
   start_gateway({"--set", "server.ping_interval_ms=200", "--set", "server.idle_timeout_ms=700"});
   auto live = connect_as("1");
   // Completes the handshake, then never reads, answers pings or sends anything.
   silent_client silent(port(), "/ws?token=" + token_for("2"));
   ASSERT_TRUE(silent.upgraded());
   EXPECT_TRUE(eventually([&] { return metric_value(port(), "notify_connections") == 2; }));
   EXPECT_EQ(live->read_message(2500ms), std::nullopt); // answers pings while it waits
   EXPECT_GE(live->pings_received(), 2U);
   EXPECT_TRUE(live->is_open());
   // The live client keeps reading (and so answering pings) while the silent one times out.
   EXPECT_TRUE(eventually(
       [&] {
          live->read_message(100ms);
          return metric_value(port(), "notify_connections") == 1;
       },
       6s));
   EXPECT_TRUE(live->is_open());
   publish("user:1:notifications", "{}");
   EXPECT_EQ(live->read_message(), "{}");
}

TEST(command_line, bad_settings_exit_with_2_and_name_the_key) {
   auto const bad_port = run_gateway_command({"--port", "99999"});
   EXPECT_EQ(bad_port.exit_code, 2);
   EXPECT_NE(bad_port.err.find("server.port"), std::string::npos) << bad_port.err;
   auto const bad_env = run_gateway_command({}, {{"NOTIFY_SERVER_PING_INTERVAL_MS", "soon"}});
   EXPECT_EQ(bad_env.exit_code, 2);
   EXPECT_NE(bad_env.err.find("server.ping_interval_ms"), std::string::npos) << bad_env.err;
}

TEST(command_line, version_help_and_token) {
   auto const version = run_gateway_command({"--version"});
   EXPECT_EQ(version.exit_code, 0);
   EXPECT_NE(version.out.find("notify-gateway"), std::string::npos);
   auto const help = run_gateway_command({"--help"});
   EXPECT_EQ(help.exit_code, 0);
   EXPECT_NE(help.out.find("--port"), std::string::npos);
   auto const token = run_gateway_command({"token", "--user", "42", "--ttl", "60"},
                                          {{"NOTIFY_JWT_SECRET", std::string(test_jwt_secret)}});
   EXPECT_EQ(token.exit_code, 0);
   auth::jwt_verifier verifier(std::string(test_jwt_secret), std::chrono::seconds(0));
   auto const verified = verifier.verify(token.out.substr(0, token.out.find('\n')));
   EXPECT_TRUE(verified.ok());
   EXPECT_EQ(verified.user_id, "42");
}

} // namespace
} // namespace notify::test
