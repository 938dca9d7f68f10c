// The status page, its JSON (/stats) and the browser client the gateway serves.

#include "gateway_fixture.hpp"

namespace notify::test {
namespace {

using namespace std::chrono_literals;

class status_page_test : public gateway_test {};

TEST_F(status_page_test, serves_the_page_the_client_and_live_stats) {
   start_gateway();
   auto const page = http_get(port(), "/");
   EXPECT_EQ(page.status, 200);
   EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
   EXPECT_NE(page.body.find("import { NotifyClient } from './notify-client.js'"),
             std::string::npos);
   auto const script = http_get(port(), "/notify-client.js");
   EXPECT_EQ(script.status, 200);
   EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
   EXPECT_NE(script.body.find("export class NotifyClient"), std::string::npos);

   auto a = connect_as("a");
   auto b = connect_as("b");
   auto b2 = connect_as("b");
   auto const first = nlohmann::json::parse(http_get(port(), "/stats").body);
   EXPECT_EQ(first["connections"], 3);
   EXPECT_EQ(first["users"], 2);
   EXPECT_EQ(first["redis"]["ready"], true);
   EXPECT_EQ(first["websocket_path"], "/ws");
   EXPECT_GE(first["uptime_s"].get<double>(), 0.0);
   for (int i = 0; i < 10; ++i) {
      publish("global_notifications", "{}");
   }
   ASSERT_TRUE(eventually([&] { return metric_value(port(), "notify_deliveries_total") == 30; }));
   std::this_thread::sleep_for(1s);
   auto const second = nlohmann::json::parse(http_get(port(), "/stats").body);
   EXPECT_EQ(second["messages_in_total"], 10);
   EXPECT_EQ(second["deliveries_total"], 30);
   // 10 in and 30 out over the second or so between the two readings.
   EXPECT_GT(second["messages_in_per_s"].get<double>(), 3.0);
   EXPECT_LT(second["messages_in_per_s"].get<double>(), 11.0);
   EXPECT_GT(second["deliveries_per_s"].get<double>(), 9.0);
}

TEST_F(status_page_test, can_be_turned_off) {
   start_gateway({"--set", "server.status_page=false"});
   EXPECT_EQ(http_get(port(), "/").status, 404);
   EXPECT_EQ(http_get(port(), "/stats").status, 404);
   EXPECT_EQ(http_get(port(), "/notify-client.js").status, 404);
   EXPECT_EQ(http_get(port(), "/healthz").status, 200);
}

TEST_F(status_page_test, stats_show_redis_down_with_the_reason) {
   start_gateway();
   redis_->stop();
   ASSERT_TRUE(eventually([&] {
      auto const stats = nlohmann::json::parse(http_get(port(), "/stats").body, nullptr, false);
      return !stats.is_discarded() && stats["redis"]["ready"] == false;
   }));
   auto const stats = nlohmann::json::parse(http_get(port(), "/stats").body);
   EXPECT_FALSE(stats["redis"]["reason"].get<std::string>().empty());
}

TEST_F(status_page_test, stats_and_metrics_sum_every_event_loop) {
   // Connections are dealt to the loops in turn, so six of them land on all three; each loop
   // counts into its own block and a scrape must add them all up.
   start_gateway({"--set", "server.threads=3"});
   std::vector<std::unique_ptr<ws_client>> clients;
   for (int i = 0; i < 6; ++i) {
      clients.push_back(connect_as("user-" + std::to_string(i)));
   }
   for (auto& client : clients) {
      ASSERT_TRUE(client->send_text("not json"));
      auto const reply = client->read_message();
      ASSERT_TRUE(reply.has_value());
      EXPECT_NE(reply->find("bad_json"), std::string::npos) << *reply;
   }
   publish("global_notifications", "{}");
   publish("global_notifications", "{}");
   for (auto& client : clients) {
      EXPECT_TRUE(client->read_message().has_value());
      EXPECT_TRUE(client->read_message().has_value());
   }
   ASSERT_TRUE(eventually([&] { return metric_value(port(), "notify_deliveries_total") == 12; }));
   EXPECT_EQ(metric_value(port(), "notify_connections"), 6);
   EXPECT_EQ(metric_value(port(), "notify_authenticated_connections"), 6);
   EXPECT_EQ(metric_value(port(), "notify_protocol_errors_total"), 6);
   auto const stats = nlohmann::json::parse(http_get(port(), "/stats").body);
   EXPECT_EQ(stats["connections"], 6);
   EXPECT_EQ(stats["authenticated_connections"], 6);
   EXPECT_EQ(stats["deliveries_total"], 12);

   // A connection leaves on the loop it arrived on, so the summed gauges come back down exactly.
   clients.resize(2);
   ASSERT_TRUE(eventually([&] { return metric_value(port(), "notify_connections") == 2; }));
   EXPECT_EQ(metric_value(port(), "notify_authenticated_connections"), 2);
   auto const after = nlohmann::json::parse(http_get(port(), "/stats").body);
   EXPECT_EQ(after["connections"], 2);
   EXPECT_EQ(after["authenticated_connections"], 2);
}

} // namespace
} // namespace notify::test
