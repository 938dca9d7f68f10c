#include "options.hpp"

#include <gtest/gtest.h>
#include <vector>

namespace notify::bench {
namespace {

parsed_command_line parse(std::vector<std::string_view> args,
                          std::optional<std::string_view> env_secret = std::nullopt) {
   return parse_command_line(args, env_secret);
}

TEST(Options, PublishesThroughTheHistoryFunctionOnRequest) {
   EXPECT_EQ(parse({"--jwt-secret", "s", "--publish", "fcall"}).options.publish,
             publish_mode::fcall);
   EXPECT_THROW(parse({"--jwt-secret", "s", "--publish", "xadd"}), option_error);
}

TEST(Options, DefaultsNeedOnlyAnAuthMethod) {
   bench_options const o = parse({"--jwt-secret", "s"}).options;
   EXPECT_EQ(o.url.host, "127.0.0.1");
   EXPECT_EQ(o.url.port, 8080);
   EXPECT_EQ(o.url.target, "/ws");
   EXPECT_EQ(o.redis.port, 6379);
   EXPECT_EQ(o.connections, 1000u);
   EXPECT_EQ(o.users, 1000u);
   EXPECT_EQ(o.sources, 50u);
   EXPECT_EQ(o.handshake_concurrency, 256u);
   EXPECT_EQ(o.scenario, scenario_kind::idle);
   EXPECT_EQ(o.rate, 10000);
   EXPECT_EQ(o.duration_s, 15);
   EXPECT_EQ(o.bursts, 50u);
   EXPECT_EQ(o.burst_size, 10u);
   EXPECT_EQ(o.burst_timeout.count(), 10000);
   EXPECT_EQ(o.count, 20u);
   EXPECT_EQ(o.step, 1000u);
   EXPECT_EQ(o.bound_ms, 500);
   EXPECT_EQ(o.warmup.count(), 1000);
   EXPECT_EQ(o.timeout.count(), 600);
   EXPECT_EQ(o.payload_bytes, 64u);
   EXPECT_EQ(o.publish, publish_mode::publish);
   EXPECT_FALSE(o.json);
   EXPECT_FALSE(o.server_pid);
   EXPECT_TRUE(o.uses_tokens());
}

TEST(Options, ReadsEveryOption) {
   bench_options const o = parse({"--url",
                                  "ws://localhost:9000/gw?x=1",
                                  "--redis",
                                  "10.0.0.2:16400",
                                  "--connections=500",
                                  "--users",
                                  "50",
                                  "--sources",
                                  "10",
                                  "--handshake-concurrency",
                                  "64",
                                  "--auth-message",
                                  R"({"type":"auth","userId":"{uid}"})",
                                  "--scenario",
                                  "single-broadcast",
                                  "--rate",
                                  "2500.5",
                                  "--duration",
                                  "3",
                                  "--bursts",
                                  "7",
                                  "--burst-size",
                                  "3",
                                  "--burst-timeout",
                                  "200",
                                  "--count",
                                  "9",
                                  "--step",
                                  "100",
                                  "--max-connections",
                                  "900",
                                  "--bound-ms",
                                  "250",
                                  "--server-pid",
                                  "1234",
                                  "--warmup-ms",
                                  "0",
                                  "--json",
                                  "--progress",
                                  "--timeout-s",
                                  "30",
                                  "--payload-bytes",
                                  "512",
                                  "--label",
                                  "gateway"})
                               .options;
   EXPECT_EQ(o.url.host, "localhost");
   EXPECT_EQ(o.url.port, 9000);
   EXPECT_EQ(o.url.target, "/gw?x=1");
   EXPECT_EQ(o.redis.host, "10.0.0.2");
   EXPECT_EQ(o.redis.port, 16400);
   EXPECT_EQ(o.connections, 500u);
   EXPECT_EQ(o.users, 50u);
   EXPECT_EQ(o.sources, 10u);
   EXPECT_EQ(o.handshake_concurrency, 64u);
   EXPECT_FALSE(o.uses_tokens());
   EXPECT_EQ(o.auth_message, R"({"type":"auth","userId":"{uid}"})");
   EXPECT_EQ(o.scenario, scenario_kind::single_broadcast);
   EXPECT_DOUBLE_EQ(o.rate, 2500.5);
   EXPECT_EQ(o.duration_s, 3);
   EXPECT_EQ(o.bursts, 7u);
   EXPECT_EQ(o.burst_size, 3u);
   EXPECT_EQ(o.burst_timeout.count(), 200);
   EXPECT_EQ(o.count, 9u);
   EXPECT_EQ(o.step, 100u);
   EXPECT_EQ(o.max_connections, 900u);
   EXPECT_EQ(o.bound_ms, 250);
   EXPECT_EQ(o.server_pid, 1234);
   EXPECT_EQ(o.warmup.count(), 0);
   EXPECT_TRUE(o.json);
   EXPECT_TRUE(o.progress);
   EXPECT_EQ(o.timeout.count(), 30);
   EXPECT_EQ(o.payload_bytes, 512u);
   EXPECT_EQ(o.label, "gateway");
}

TEST(Options, EveryScenarioName) {
   for (auto kind : {scenario_kind::idle, scenario_kind::user, scenario_kind::broadcast,
                     scenario_kind::single_broadcast, scenario_kind::max_clients}) {
      std::string const name(scenario_name(kind));
      EXPECT_EQ(parse({"--jwt-secret", "s", "--scenario", name}).options.scenario, kind);
   }
}

TEST(Options, SecretMayComeFromTheEnvironment) {
   EXPECT_EQ(parse({}, "from-env").options.jwt_secret, "from-env");
   EXPECT_EQ(parse({"--jwt-secret", "flag"}, "from-env").options.jwt_secret, "flag");
   EXPECT_FALSE(parse({"--auth-message", "{uid}"}, "from-env").options.uses_tokens());
}

TEST(Options, HelpWins) {
   EXPECT_TRUE(parse({"--connections", "5", "--help"}).help);
   EXPECT_TRUE(parse({"-h"}).help);
   EXPECT_NE(usage_text().find("--handshake-concurrency"), std::string::npos);
}

TEST(Options, MaxClientsGivesEachConnectionItsOwnUser) {
   EXPECT_GE(parse({"--jwt-secret", "s", "--scenario", "max-clients"}).options.users, 1'000'000u);
}

void expect_refused(std::vector<std::string_view> args, std::string_view mentions) {
   try {
      (void)parse(args);
      ADD_FAILURE() << "accepted: " << mentions;
   } catch (const option_error& e) {
      EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
   }
}

TEST(Options, RefusesBadInput) {
   expect_refused({}, "--jwt-secret");
   expect_refused({"--jwt-secret", "s", "--auth-message", "{uid}"}, "not both");
   expect_refused({"--auth-message", "no placeholder"}, "{uid}");
   expect_refused({"--jwt-secret", ""}, "empty");
   expect_refused({"--jwt-secret", "s", "--bogus"}, "unknown option");
   expect_refused({"--jwt-secret", "s", "--connections"}, "needs a value");
   expect_refused({"--jwt-secret", "s", "--connections", "0"}, "--connections");
   expect_refused({"--jwt-secret", "s", "--connections", "12x"}, "whole number");
   expect_refused({"--jwt-secret", "s", "--connections", "-5"}, "whole number");
   expect_refused({"--jwt-secret", "s", "--connections", "10", "--users", "11"}, "--users");
   expect_refused({"--jwt-secret", "s", "--sources", "255"}, "--sources");
   expect_refused({"--jwt-secret", "s", "--rate", "0"}, "--rate");
   expect_refused({"--jwt-secret", "s", "--rate", "nan"}, "--rate");
   expect_refused({"--jwt-secret", "s", "--duration", "inf"}, "--duration");
   expect_refused({"--jwt-secret", "s", "--scenario", "fast"}, "--scenario");
   expect_refused({"--jwt-secret", "s", "--step", "1000", "--max-connections", "10"},
                  "--max-connections");
   expect_refused({"--jwt-secret", "s", "--server-pid", "99999999999"}, "--server-pid");
}

TEST(Options, UrlParsing) {
   ws_url const plain = parse_ws_url("ws://example.org");
   EXPECT_EQ(plain.host, "example.org");
   EXPECT_EQ(plain.port, 80);
   EXPECT_EQ(plain.target, "/");
   EXPECT_EQ(parse_ws_url("ws://h:1?token=x").target, "/?token=x");
   EXPECT_THROW(parse_ws_url("wss://h/ws"), option_error);
   EXPECT_THROW(parse_ws_url("http://h/ws"), option_error);
   EXPECT_THROW(parse_ws_url("ws://:80/ws"), option_error);
   EXPECT_THROW(parse_ws_url("ws://h:0/ws"), option_error);
   EXPECT_THROW(parse_ws_url("ws://h:65536/ws"), option_error);
   EXPECT_THROW(parse_ws_url("ws://h/w s"), option_error);
   EXPECT_THROW(parse_ws_url("ws://h\r\nX: y/ws"), option_error);
   EXPECT_EQ(parse_host_port("redis").port, 6379);
   EXPECT_THROW(parse_host_port("redis:x"), option_error);
   EXPECT_THROW(parse_host_port(":1"), option_error);
}

} // namespace
} // namespace notify::bench
