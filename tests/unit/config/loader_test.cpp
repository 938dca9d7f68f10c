#include "notify/config/loader.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <unistd.h>

namespace notify::config {
namespace {

env_lookup fake_env(std::map<std::string, std::string> variables) {
   return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
      auto const found = variables.find(std::string(name));
      if (found == variables.end()) {
         return std::nullopt;
      }
      return found->second;
   };
}

class temp_file {
public:
   explicit temp_file(std::string_view content) {
      static std::atomic<int> counter{0};
      path_ = std::filesystem::temp_directory_path() /
              ("notify-loader-test-" + std::to_string(::getpid()) + "-" +
               std::to_string(counter++) + ".json");
      std::ofstream(path_) << content;
   }
   ~temp_file() {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
   }
   temp_file(temp_file const&) = delete;
   temp_file& operator=(temp_file const&) = delete;

   std::string path() const { return path_.string(); }

private:
   std::filesystem::path path_;
};

/// The config_error a call throws, or a failure when it throws none.
template <class F> config_error error_of(F&& call) {
   try {
      call();
   } catch (config_error const& error) {
      return error;
   }
   ADD_FAILURE() << "expected a config_error";
   return config_error("<none>", "no error");
}

settings load_json(std::string_view text) {
   settings_loader loader;
   loader.apply_json_text(text, "test.json");
   return loader.finish();
}

settings load_env(std::map<std::string, std::string> variables) {
   settings_loader loader;
   loader.apply_environment(fake_env(std::move(variables)));
   return loader.finish();
}

std::string const secret_a(32, 'a');
std::string const secret_b(40, 'b');

TEST(settings_loader, starts_from_the_defaults_of_settings_hpp) {
   auto const loaded = settings_loader().finish();
   settings const defaults;
   EXPECT_EQ(loaded.server.port, defaults.server.port);
   EXPECT_EQ(loaded.server.host, "0.0.0.0");
   EXPECT_EQ(loaded.auth.session_prefix, "session:");
   EXPECT_EQ(loaded.redis.host, "127.0.0.1");
   EXPECT_EQ(loaded.routing.user_channel_pattern, "user:*:notifications");
   EXPECT_FALSE(loaded.redis_configured);
}

TEST(settings_loader, file_overrides_defaults_and_leaves_the_rest_alone) {
   auto const loaded = load_json(R"({
      "server": {"port": 9001, "ping_interval_ms": 1000, "idle_timeout_ms": 3000},
      "auth": {"jwt_secret": ")" +
                                 secret_a + R"(", "allow_insecure_user_id": true,
               "jwt_leeway_s": 5},
      "limits": {"max_inbound_bytes": 128},
      "routing": {"global_channel": "all"},
      "log": {"level": "debug"}
   })");
   EXPECT_EQ(loaded.server.port, 9001);
   EXPECT_EQ(loaded.server.ping_interval, std::chrono::milliseconds(1000));
   EXPECT_EQ(loaded.server.idle_timeout, std::chrono::milliseconds(3000));
   EXPECT_EQ(loaded.auth.jwt_secret, secret_a);
   EXPECT_TRUE(loaded.auth.allow_insecure_user_id);
   EXPECT_EQ(loaded.auth.jwt_leeway, std::chrono::seconds(5));
   EXPECT_EQ(loaded.limits.max_inbound_bytes, 128U);
   EXPECT_EQ(loaded.routing.global_channel, "all");
   EXPECT_EQ(loaded.log.level, "debug");
   EXPECT_EQ(loaded.server.host, "0.0.0.0");
   EXPECT_EQ(loaded.server.threads, 0U);
   EXPECT_FALSE(loaded.redis_configured);
}

TEST(settings_loader, reads_a_file_from_disk) {
   temp_file const file(R"({"server": {"port": 7070}})");
   settings_loader loader;
   loader.apply_file(file.path());
   EXPECT_EQ(loader.finish().server.port, 7070);
   EXPECT_EQ(loader.origins().at("server.port"), file.path());
}

TEST(settings_loader, environment_overrides_the_file) {
   settings_loader loader;
   loader.apply_json_text(R"({"server": {"port": 9001, "threads": 3}})", "test.json");
   loader.apply_environment(fake_env({{"NOTIFY_SERVER_PORT", "9002"}}));
   auto const loaded = loader.finish();
   EXPECT_EQ(loaded.server.port, 9002);
   EXPECT_EQ(loaded.server.threads, 3U);
}

TEST(settings_loader, every_key_has_a_working_environment_variable) {
   // Set each key through its variable to a valid non-default value, and see it land.
   std::map<std::string, std::string> const values{
       {"server.host", "127.0.0.2"},
       {"server.port", "1234"},
       {"server.threads", "7"},
       {"server.websocket_path", "/live"},
       {"server.ping_interval_ms", "1000"},
       {"server.idle_timeout_ms", "2000"},
       {"server.request_timeout_ms", "2500"},
       {"server.header_timeout_ms", "2600"},
       {"server.handshake_timeout_ms", "3000"},
       {"server.allowed_origins", "https://a.example, http://localhost:3000"},
       {"server.trusted_proxies", "10.0.0.0/8, ::1"},
       {"server.proxy_protocol", "true"},
       {"server.status_page", "false"},
       {"server.tls.cert_file", "/etc/gw/cert.pem"},
       {"server.tls.key_file", "/etc/gw/key.pem"},
       {"server.shutdown_timeout_ms", "4000"},
       {"auth.jwt_secret", secret_b},
       {"auth.session_prefix", "sess/"},
       {"auth.allow_insecure_user_id", "yes"},
       {"auth.timeout_ms", "5000"},
       {"auth.jwt_leeway_s", "6"},
       {"auth.max_failures", "8"},
       {"auth.lockout_s", "60"},
       {"auth.cookie_name", "app.sid"},
       {"auth.cookie_secrets", "s1,s2"},
       {"auth.cookie_session_prefix", "app:sess:"},
       {"auth.cookie_user_field", "uid"},
       {"limits.max_inbound_bytes", "100"},
       {"limits.max_protocol_errors", "9"},
       {"limits.max_queued_bytes", "65536"},
       {"limits.max_queued_messages", "77"},
       {"limits.max_connections", "1000"},
       {"limits.max_connections_per_user", "3"},
       {"limits.max_connections_per_ip", "50"},
       {"limits.handshake_rate_per_ip", "10"},
       {"limits.handshake_burst_per_ip", "30"},
       {"routing.user_channel_pattern", "u.*.n"},
       {"routing.global_channel", "everyone"},
       {"routing.max_payload_bytes", "2048"},
       {"routing.max_user_id_bytes", "64"},
       {"history.enabled", "false"},
       {"history.prefix", "app7:"},
       {"history.user_max_entries", "11"},
       {"history.global_max_entries", "12"},
       {"history.max_age_s", "13"},
       {"history.idempotency_ttl_s", "14"},
       {"history.max_replay", "15"},
       {"redis.url", "redis://other:6000/2"},
       {"redis.host", "redis.internal"},
       {"redis.port", "6390"},
       {"redis.username", "gw"},
       {"redis.password", "pw"},
       {"redis.db", "3"},
       {"redis.connect_timeout_ms", "111"},
       {"redis.health_check_interval_ms", "222"},
       {"redis.reconnect_initial_delay_ms", "10"},
       {"redis.reconnect_max_delay_ms", "20"},
       {"server.reuse_port", "true"},
       {"redis.mode", "standalone"},
       {"redis.cluster_nodes", "10.0.0.1:7000,[::1]:7001"},
       {"redis.topology_refresh_interval_ms", "333"},
       {"redis.unsubscribe_delay_ms", "444"},
       {"redis.classic_pubsub", "false"},
       {"limits.max_connections_per_user_scope", "all_instances"},
       {"presence.enabled", "true"},
       {"presence.ttl_ms", "5555"},
       {"log.level", "warn"},
   };
   ASSERT_EQ(values.size(), setting_keys().size());
   std::map<std::string, std::string> variables;
   for (auto const& key : setting_keys()) {
      ASSERT_TRUE(values.contains(key)) << key;
      variables[environment_name(key)] = values.at(key);
   }
   auto const loaded = load_env(variables);
   EXPECT_EQ(loaded.server.host, "127.0.0.2");
   EXPECT_EQ(loaded.server.port, 1234);
   EXPECT_EQ(loaded.server.threads, 7U);
   EXPECT_EQ(loaded.server.websocket_path, "/live");
   EXPECT_EQ(loaded.server.ping_interval.count(), 1000);
   EXPECT_EQ(loaded.server.idle_timeout.count(), 2000);
   EXPECT_EQ(loaded.server.request_timeout.count(), 2500);
   EXPECT_EQ(loaded.server.header_timeout.count(), 2600);
   EXPECT_EQ(loaded.server.handshake_timeout.count(), 3000);
   EXPECT_EQ(loaded.server.shutdown_timeout.count(), 4000);
   EXPECT_EQ(loaded.server.allowed_origins,
             (std::vector<std::string>{"https://a.example", "http://localhost:3000"}));
   EXPECT_EQ(loaded.server.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
   EXPECT_TRUE(loaded.server.proxy_protocol);
   EXPECT_FALSE(loaded.server.status_page);
   EXPECT_FALSE(loaded.history.enabled);
   EXPECT_EQ(loaded.history.prefix, "app7:");
   EXPECT_EQ(loaded.history.user_max_entries, 11U);
   EXPECT_EQ(loaded.history.global_max_entries, 12U);
   EXPECT_EQ(loaded.history.max_age.count(), 13);
   EXPECT_EQ(loaded.history.idempotency_ttl.count(), 14);
   EXPECT_EQ(loaded.history.max_replay, 15U);
   EXPECT_EQ(loaded.server.tls_cert_file, "/etc/gw/cert.pem");
   EXPECT_EQ(loaded.server.tls_key_file, "/etc/gw/key.pem");
   EXPECT_EQ(loaded.auth.jwt_secret, secret_b);
   EXPECT_EQ(loaded.auth.session_prefix, "sess/");
   EXPECT_TRUE(loaded.auth.allow_insecure_user_id);
   EXPECT_EQ(loaded.auth.timeout.count(), 5000);
   EXPECT_EQ(loaded.auth.jwt_leeway.count(), 6);
   EXPECT_EQ(loaded.auth.max_failures, 8U);
   EXPECT_EQ(loaded.auth.cookie_name, "app.sid");
   EXPECT_EQ(loaded.auth.cookie_secrets, (std::vector<std::string>{"s1", "s2"}));
   EXPECT_EQ(loaded.auth.cookie_session_prefix, "app:sess:");
   EXPECT_EQ(loaded.auth.cookie_user_field, "uid");
   EXPECT_EQ(loaded.auth.lockout.count(), 60);
   EXPECT_EQ(loaded.limits.handshake_rate_per_ip, 10U);
   EXPECT_EQ(loaded.limits.handshake_burst_per_ip, 30U);
   EXPECT_EQ(loaded.limits.max_queued_bytes, 65536U);
   EXPECT_EQ(loaded.limits.max_queued_messages, 77U);
   EXPECT_EQ(loaded.limits.max_connections, 1000U);
   EXPECT_EQ(loaded.limits.max_connections_per_user, 3U);
   EXPECT_EQ(loaded.limits.max_connections_per_user_scope, "all_instances");
   EXPECT_TRUE(loaded.presence.enabled);
   EXPECT_EQ(loaded.presence.ttl.count(), 5555);
   EXPECT_EQ(loaded.limits.max_connections_per_ip, 50U);
   EXPECT_EQ(loaded.limits.max_inbound_bytes, 100U);
   EXPECT_EQ(loaded.limits.max_protocol_errors, 9U);
   EXPECT_EQ(loaded.routing.user_channel_pattern, "u.*.n");
   EXPECT_EQ(loaded.routing.global_channel, "everyone");
   EXPECT_EQ(loaded.routing.max_payload_bytes, 2048U);
   EXPECT_EQ(loaded.routing.max_user_id_bytes, 64U);
   EXPECT_EQ(loaded.redis.host, "redis.internal"); // the host key beats the URL's host
   EXPECT_EQ(loaded.redis.port, 6390);
   EXPECT_EQ(loaded.redis.username, "gw");
   EXPECT_EQ(loaded.redis.password, "pw");
   EXPECT_EQ(loaded.redis.db, 3);
   EXPECT_EQ(loaded.redis.connect_timeout.count(), 111);
   EXPECT_EQ(loaded.redis.health_check_interval.count(), 222);
   EXPECT_EQ(loaded.redis.reconnect_initial_delay.count(), 10);
   EXPECT_EQ(loaded.redis.reconnect_max_delay.count(), 20);
   EXPECT_TRUE(loaded.server.reuse_port);
   EXPECT_EQ(loaded.redis.mode, "standalone");
   EXPECT_EQ(loaded.redis.cluster_nodes, (std::vector<std::string>{"10.0.0.1:7000", "[::1]:7001"}));
   EXPECT_EQ(loaded.redis.topology_refresh_interval.count(), 333);
   EXPECT_EQ(loaded.redis.unsubscribe_delay.count(), 444);
   EXPECT_FALSE(loaded.redis.classic_pubsub);
   EXPECT_EQ(loaded.log.level, "warn");
   EXPECT_TRUE(loaded.redis_configured);
}

TEST(settings_loader, lists_come_from_json_arrays_and_nested_groups) {
   settings_loader loader;
   loader.apply_json_text(R"({"server": {"allowed_origins": ["https://a.example"],
                                          "tls": {"cert_file": "c.pem", "key_file": "k.pem"}}})",
                          "test.json");
   auto const& loaded = loader.current();
   EXPECT_EQ(loaded.server.allowed_origins, std::vector<std::string>{"https://a.example"});
   EXPECT_EQ(loaded.server.tls_cert_file, "c.pem");
   EXPECT_EQ(loaded.server.tls_key_file, "k.pem");
   EXPECT_THROW(loader.apply_json_text(R"({"server": {"allowed_origins": [1]}})", "t"),
                config_error);
   EXPECT_THROW(loader.apply_json_text(R"({"server": {"tls": {"nope": "x"}}})", "t"), config_error);
}

TEST(settings_loader, hostile_file_contents_give_config_errors) {
   // Found by fuzz/config_json: an overflowing number used to escape as another exception type
   // and abort the process; odd names went into messages unescaped.
   for (auto const* text : {R"({"server":{"port":1e999}})", R"({"":{}})",
                            "{\"server\":{\"\\u001b[2J\":1}}", R"({"server":{"":1}})"}) {
      settings_loader loader;
      try {
         loader.apply_json_text(text, "t.json");
         ADD_FAILURE() << "accepted " << text;
      } catch (config_error const& error) {
         EXPECT_EQ(error.key, "config") << text;
         std::string_view const message = error.what();
         EXPECT_TRUE(std::none_of(message.begin(), message.end(), [](unsigned char c) {
            return c < 0x20;
         })) << message;
      }
   }
}

TEST(settings_loader, short_environment_forms) {
   auto const loaded = load_env({{"NOTIFY_PORT", "8181"},
                                 {"NOTIFY_THREADS", "2"},
                                 {"NOTIFY_LOG_LEVEL", "error"},
                                 {"NOTIFY_JWT_SECRET", secret_a}});
   EXPECT_EQ(loaded.server.port, 8181);
   EXPECT_EQ(loaded.server.threads, 2U);
   EXPECT_EQ(loaded.log.level, "error");
   EXPECT_EQ(loaded.auth.jwt_secret, secret_a);
}

TEST(settings_loader, long_environment_form_beats_the_short_one) {
   auto const loaded = load_env({{"NOTIFY_PORT", "8181"}, {"NOTIFY_SERVER_PORT", "8282"}});
   EXPECT_EQ(loaded.server.port, 8282);
}

TEST(settings_loader, empty_session_prefix_from_the_environment_disables_sessions) {
   auto const loaded =
       load_env({{"NOTIFY_AUTH_SESSION_PREFIX", ""}, {"NOTIFY_JWT_SECRET", secret_a}});
   EXPECT_EQ(loaded.auth.session_prefix, "");
}

TEST(settings_loader, booleans_accept_the_usual_spellings) {
   for (auto const& [text, expected] : std::map<std::string, bool>{{"true", true},
                                                                   {"TRUE", true},
                                                                   {"1", true},
                                                                   {"yes", true},
                                                                   {"false", false},
                                                                   {"0", false},
                                                                   {"No", false}}) {
      auto const loaded = load_env({{"NOTIFY_AUTH_ALLOW_INSECURE_USER_ID", text}});
      EXPECT_EQ(loaded.auth.allow_insecure_user_id, expected) << text;
   }
   auto const error = error_of([] { load_env({{"NOTIFY_AUTH_ALLOW_INSECURE_USER_ID", "on"}}); });
   EXPECT_EQ(error.key, "auth.allow_insecure_user_id");
}

TEST(settings_loader, seed_redis_variables_override_redis_url) {
   auto const loaded = load_env({{"REDIS_URL", "redis://alice:secret@cache:6380/4"},
                                 {"REDIS_HOST", "redis-b"},
                                 {"REDIS_PORT", "6381"}});
   EXPECT_EQ(loaded.redis.host, "redis-b");
   EXPECT_EQ(loaded.redis.port, 6381);
   EXPECT_EQ(loaded.redis.username, "alice");
   EXPECT_EQ(loaded.redis.password, "secret");
   EXPECT_EQ(loaded.redis.db, 4);
   EXPECT_TRUE(loaded.redis_configured);

   auto const more = load_env({{"REDIS_URL", "redis://alice:secret@cache:6380/4"},
                               {"REDIS_PASSWORD", "other"},
                               {"REDIS_USERNAME", "bob"},
                               {"REDIS_DB", "1"}});
   EXPECT_EQ(more.redis.host, "cache");
   EXPECT_EQ(more.redis.username, "bob");
   EXPECT_EQ(more.redis.password, "other");
   EXPECT_EQ(more.redis.db, 1);
}

TEST(settings_loader, empty_redis_url_is_ignored) {
   auto const loaded = load_env({{"REDIS_URL", ""}});
   EXPECT_EQ(loaded.redis.host, "127.0.0.1");
   EXPECT_FALSE(loaded.redis_configured);
}

TEST(settings_loader, url_in_a_file_is_applied_before_the_files_other_redis_keys) {
   auto const loaded =
       load_json(R"({"redis": {"port": 7000, "url": "redis://cache:6380/2", "db": 5}})");
   EXPECT_EQ(loaded.redis.host, "cache");
   EXPECT_EQ(loaded.redis.port, 7000);
   EXPECT_EQ(loaded.redis.db, 5);
}

TEST(settings_loader, redis_configured_by_any_redis_key_from_any_source) {
   EXPECT_FALSE(load_env({{"NOTIFY_PORT", "1234"}}).redis_configured);
   EXPECT_TRUE(load_env({{"REDIS_HOST", "r"}}).redis_configured);
   EXPECT_TRUE(load_env({{"REDIS_PASSWORD", "p"}}).redis_configured);
   EXPECT_TRUE(load_env({{"NOTIFY_REDIS_DB", "1"}}).redis_configured);
   EXPECT_TRUE(load_env({{"REDIS_URL", "redis://r"}}).redis_configured);
   EXPECT_TRUE(load_json(R"({"redis": {"connect_timeout_ms": 100}})").redis_configured);
   EXPECT_FALSE(load_json(R"({"redis": {"_doc": "only a comment"}})").redis_configured);
   settings_loader loader;
   loader.apply_assignments({{"redis.host", "r", "--set redis.host"}});
   EXPECT_TRUE(loader.finish().redis_configured);
}

TEST(settings_loader, doc_keys_are_ignored_at_every_level) {
   auto const loaded =
       load_json(R"({"_doc": "top", "_anything": [1, 2], "server": {"_doc": 5, "port": 8123}})");
   EXPECT_EQ(loaded.server.port, 8123);
}

TEST(settings_loader, errors_name_the_key_and_the_source) {
   auto const port_text = error_of([] { load_env({{"NOTIFY_SERVER_PORT", "abc"}}); });
   EXPECT_EQ(port_text.key, "server.port");
   EXPECT_STREQ(port_text.what(), "server.port: must be an integer between 1 and 65535 (got "
                                  "\"abc\" from NOTIFY_SERVER_PORT)");

   auto const port_zero = error_of([] { load_env({{"NOTIFY_PORT", "0"}}); });
   EXPECT_EQ(port_zero.key, "server.port");
   EXPECT_NE(std::string(port_zero.what()).find("NOTIFY_PORT"), std::string::npos);

   auto const port_big = error_of([] { load_json(R"({"server": {"port": 65536}})"); });
   EXPECT_EQ(port_big.key, "server.port");
   EXPECT_NE(std::string(port_big.what()).find("test.json"), std::string::npos);
}

TEST(settings_loader, negative_or_zero_durations_are_rejected) {
   EXPECT_EQ(error_of([] {
                load_env({{"NOTIFY_SERVER_PING_INTERVAL_MS", "-5"}});
             }).key,
             "server.ping_interval_ms");
   EXPECT_EQ(error_of([] { load_json(R"({"auth": {"timeout_ms": -1}})"); }).key, "auth.timeout_ms");
   EXPECT_EQ(error_of([] { load_json(R"({"redis": {"connect_timeout_ms": 0}})"); }).key,
             "redis.connect_timeout_ms");
}

TEST(settings_loader, wrong_json_types_are_rejected) {
   EXPECT_EQ(error_of([] { load_json(R"({"server": {"port": "8080"}})"); }).key, "server.port");
   EXPECT_EQ(error_of([] { load_json(R"({"server": {"port": 80.5}})"); }).key, "server.port");
   EXPECT_EQ(error_of([] { load_json(R"({"server": {"host": 1}})"); }).key, "server.host");
   EXPECT_EQ(error_of([] { load_json(R"({"auth": {"allow_insecure_user_id": "yes"}})"); }).key,
             "auth.allow_insecure_user_id");
   EXPECT_EQ(error_of([] { load_json(R"({"redis": {"url": 5}})"); }).key, "redis.url");
   EXPECT_EQ(error_of([] { load_json(R"({"server": {"port": null}})"); }).key, "server.port");
   EXPECT_EQ(error_of([] { load_json(R"({"log": "debug"})"); }).key, "log");
   EXPECT_EQ(error_of([] { load_json(R"({"server": {"port": 18446744073709551615}})"); }).key,
             "server.port");
}

TEST(settings_loader, unknown_keys_and_sections_are_rejected) {
   auto const key = error_of([] { load_json(R"({"server": {"prot": 1}})"); });
   EXPECT_EQ(key.key, "server.prot");
   EXPECT_NE(std::string(key.what()).find("unknown setting"), std::string::npos);
   EXPECT_EQ(error_of([] { load_json(R"({"sever": {}})"); }).key, "sever");
   settings_loader loader;
   EXPECT_EQ(error_of([&] {
                loader.apply_assignments({{"auth.secret", "x", "--set"}});
             }).key,
             "auth.secret");
}

TEST(settings_loader, bad_files_are_config_errors) {
   settings_loader loader;
   auto const missing = error_of([&] { loader.apply_file("/nonexistent/notify/gateway.json"); });
   EXPECT_EQ(missing.key, "config");
   EXPECT_NE(std::string(missing.what()).find("/nonexistent/notify/gateway.json"),
             std::string::npos);

   EXPECT_EQ(error_of([&] { loader.apply_file(std::filesystem::temp_directory_path()); }).key,
             "config");

   temp_file const broken(R"({"server": {"port": 1,}})");
   auto const invalid = error_of([&] { loader.apply_file(broken.path()); });
   EXPECT_EQ(invalid.key, "config");
   EXPECT_NE(std::string(invalid.what()).find("not valid JSON"), std::string::npos);

   temp_file const array("[1, 2]");
   EXPECT_EQ(error_of([&] { loader.apply_file(array.path()); }).key, "config");

   temp_file const empty("");
   EXPECT_EQ(error_of([&] { loader.apply_file(empty.path()); }).key, "config");
}

TEST(settings_loader, secrets_are_never_quoted_in_errors) {
   auto const error = error_of([] { load_env({{"REDIS_URL", "redis://u:hunter2@host:99999"}}); });
   EXPECT_EQ(error.key, "redis.url");
   EXPECT_EQ(std::string(error.what()).find("hunter2"), std::string::npos);
   EXPECT_NE(std::string(error.what()).find("REDIS_URL"), std::string::npos);

   auto const secret = error_of([] { load_env({{"NOTIFY_JWT_SECRET", "hunter2"}}); });
   EXPECT_EQ(secret.key, "auth.jwt_secret");
   EXPECT_EQ(std::string(secret.what()).find("hunter2"), std::string::npos);
}

TEST(settings_loader, hostile_values_are_escaped_in_messages) {
   auto const error = error_of([] { load_env({{"NOTIFY_PORT", "1\x1b[31m"}}); });
   EXPECT_EQ(std::string(error.what()).find('\x1b'), std::string::npos);
   EXPECT_NE(std::string(error.what()).find("\\x1b"), std::string::npos);
}

TEST(settings_loader, origins_tell_where_each_value_came_from) {
   settings_loader loader;
   loader.apply_json_text(R"({"server": {"port": 1000}})", "a.json");
   loader.apply_environment(fake_env({{"NOTIFY_PORT", "2000"}}));
   EXPECT_EQ(loader.origins().at("server.port"), "NOTIFY_PORT");
   EXPECT_FALSE(loader.origins().contains("server.host"));
}

TEST(environment_name, is_notify_section_key_in_upper_case) {
   EXPECT_EQ(environment_name("server.port"), "NOTIFY_SERVER_PORT");
   EXPECT_EQ(environment_name("routing.max_payload_bytes"), "NOTIFY_ROUTING_MAX_PAYLOAD_BYTES");
}

TEST(process_environment, reads_getenv) {
   ::setenv("NOTIFY_LOADER_TEST_VARIABLE", "value", 1);
   auto const env = process_environment();
   EXPECT_EQ(env("NOTIFY_LOADER_TEST_VARIABLE"), "value");
   ::unsetenv("NOTIFY_LOADER_TEST_VARIABLE");
   EXPECT_EQ(env("NOTIFY_LOADER_TEST_VARIABLE"), std::nullopt);
}

} // namespace
} // namespace notify::config

namespace notify::config {
namespace {

TEST(settings_loader, cookie_secrets_from_the_environment_and_json_are_lists) {
   auto const from_env = load_env({{"NOTIFY_AUTH_COOKIE_NAME", "connect.sid"},
                                   {"NOTIFY_AUTH_COOKIE_SECRETS", "new secret, old secret"},
                                   {"NOTIFY_SERVER_ALLOWED_ORIGINS", "https://app.example"}});
   EXPECT_EQ(from_env.auth.cookie_name, "connect.sid");
   EXPECT_EQ(from_env.auth.cookie_secrets, (std::vector<std::string>{"new secret", "old secret"}));
   EXPECT_EQ(from_env.auth.cookie_session_prefix, "sess:");
   EXPECT_EQ(from_env.auth.cookie_user_field, "userId");
   auto const from_json = load_json(
       R"({"server": {"allowed_origins": ["https://app.example"]},
           "auth": {"cookie_name": "sid", "cookie_secrets": ["a,b", "c"],
                    "cookie_session_prefix": "myapp:", "cookie_user_field": "uid"}})");
   EXPECT_EQ(from_json.auth.cookie_secrets, (std::vector<std::string>{"a,b", "c"}));
   EXPECT_EQ(from_json.auth.cookie_session_prefix, "myapp:");
   EXPECT_EQ(from_json.auth.cookie_user_field, "uid");
}

TEST(settings_loader, a_bad_cookie_secrets_value_is_not_quoted_back) {
   settings_loader loader;
   try {
      loader.apply_json_text(R"({"auth": {"cookie_secrets": [1, "hidden-secret-text"]}})",
                             "t.json");
      FAIL() << "accepted a number among the secrets";
   } catch (config_error const& error) {
      EXPECT_EQ(error.key, "auth.cookie_secrets");
      EXPECT_EQ(std::string(error.what()).find("hidden-secret-text"), std::string::npos)
          << error.what();
   }
}

} // namespace
} // namespace notify::config
