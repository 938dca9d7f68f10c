#include "notify/config/command_line.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <unistd.h>
#include <vector>

namespace notify::config {
namespace {

using variables = std::map<std::string, std::string>;

env_lookup fake_env(variables values) {
   return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
      auto const found = values.find(std::string(name));
      if (found == values.end()) {
         return std::nullopt;
      }
      return found->second;
   };
}

invocation parse(std::vector<std::string> const& args, variables env = {}) {
   std::vector<char const*> argv{"notify-gateway"};
   for (auto const& arg : args) {
      argv.push_back(arg.c_str());
   }
   argv.push_back(nullptr);
   return parse_invocation(static_cast<int>(argv.size() - 1), argv.data(),
                           fake_env(std::move(env)));
}

/// The key of the config_error that parsing throws.
std::string failing_key(std::vector<std::string> const& args, variables env = {}) {
   try {
      parse(args, std::move(env));
   } catch (config_error const& error) {
      return error.key;
   }
   return "<valid>";
}

class temp_file {
public:
   explicit temp_file(std::string_view content) {
      static std::atomic<int> counter{0};
      path_ = std::filesystem::temp_directory_path() /
              ("notify-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
               ".json");
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

std::string const secret(32, 'z');

TEST(parse_invocation, no_arguments_serves_with_defaults_and_reads_no_file) {
   auto const result = parse({});
   EXPECT_EQ(result.what, command::serve);
   EXPECT_EQ(result.config.server.port, 8080);
   EXPECT_FALSE(result.config_path);
   EXPECT_FALSE(result.config.redis_configured);
}

TEST(parse_invocation, explicit_serve_command) {
   EXPECT_EQ(parse({"serve", "--port", "9000"}).what, command::serve);
}

TEST(parse_invocation, flags_override_environment_which_overrides_the_file) {
   temp_file const file(R"({"server": {"port": 1111, "threads": 1, "host": "10.0.0.1"},
                            "log": {"level": "debug"}})");
   auto const result = parse({"--config", file.path(), "--port", "3333"},
                             {{"NOTIFY_PORT", "2222"}, {"NOTIFY_THREADS", "2"}});
   EXPECT_EQ(result.config.server.port, 3333);       // flag > env > file
   EXPECT_EQ(result.config.server.threads, 2U);      // env > file
   EXPECT_EQ(result.config.server.host, "10.0.0.1"); // file > default
   EXPECT_EQ(result.config.log.level, "debug");
   EXPECT_EQ(result.config_path, file.path());
}

TEST(parse_invocation, config_file_from_notify_config) {
   temp_file const file(R"({"server": {"port": 4444}})");
   auto const result = parse({}, {{"NOTIFY_CONFIG", file.path()}});
   EXPECT_EQ(result.config.server.port, 4444);
   EXPECT_EQ(result.config_path, file.path());
}

TEST(parse_invocation, config_flag_beats_notify_config) {
   temp_file const from_flag(R"({"server": {"port": 5555}})");
   auto const result =
       parse({"--config=" + from_flag.path()}, {{"NOTIFY_CONFIG", "/nonexistent/never-read.json"}});
   EXPECT_EQ(result.config.server.port, 5555);
}

TEST(parse_invocation, every_setting_flag) {
   auto const result = parse({"--host", "127.0.0.1", "--port=9090", "--threads", "4", "--log-level",
                              "trace", "--redis-url", "redis://:pw@cache:7000/1"});
   EXPECT_EQ(result.config.server.host, "127.0.0.1");
   EXPECT_EQ(result.config.server.port, 9090);
   EXPECT_EQ(result.config.server.threads, 4U);
   EXPECT_EQ(result.config.log.level, "trace");
   EXPECT_EQ(result.config.redis.host, "cache");
   EXPECT_EQ(result.config.redis.port, 7000);
   EXPECT_EQ(result.config.redis.password, "pw");
   EXPECT_EQ(result.config.redis.db, 1);
   EXPECT_TRUE(result.config.redis_configured);
}

TEST(parse_invocation, set_reaches_any_key_and_repeats) {
   auto const result =
       parse({"--set", "auth.timeout_ms=1234", "--set=routing.global_channel=all", "--set",
              "auth.jwt_secret=" + secret, "--set", "auth.session_prefix="});
   EXPECT_EQ(result.config.auth.timeout.count(), 1234);
   EXPECT_EQ(result.config.routing.global_channel, "all");
   EXPECT_EQ(result.config.auth.jwt_secret, secret);
   EXPECT_EQ(result.config.auth.session_prefix, "");
}

TEST(parse_invocation, redis_url_flag_is_applied_before_other_redis_flags) {
   auto const result = parse(
       {"--set", "redis.port=7001", "--redis-url", "redis://cache:7000", "--set", "redis.db=2"});
   EXPECT_EQ(result.config.redis.host, "cache");
   EXPECT_EQ(result.config.redis.port, 7001);
   EXPECT_EQ(result.config.redis.db, 2);
}

TEST(parse_invocation, flag_beats_redis_environment) {
   auto const result = parse({"--set", "redis.host=from-flag"},
                             {{"REDIS_HOST", "from-env"}, {"REDIS_URL", "redis://from-url"}});
   EXPECT_EQ(result.config.redis.host, "from-flag");
}

TEST(parse_invocation, bad_values_name_their_key) {
   EXPECT_EQ(failing_key({"--port", "0"}), "server.port");
   EXPECT_EQ(failing_key({"--port", "abc"}), "server.port");
   EXPECT_EQ(failing_key({}, {{"NOTIFY_SERVER_PORT", "abc"}}), "server.port");
   EXPECT_EQ(failing_key({"--threads", "-1"}), "server.threads");
   EXPECT_EQ(failing_key({"--log-level", "loud"}), "log.level");
   EXPECT_EQ(failing_key({"--redis-url", "http://x"}), "redis.url");
   EXPECT_EQ(failing_key({"--set", "routing.user_channel_pattern=user:notifications"}),
             "routing.user_channel_pattern");
   EXPECT_EQ(failing_key({"--set", "routing.user_channel_pattern=*:*"}),
             "routing.user_channel_pattern");
   EXPECT_EQ(failing_key({"--set", "server.idle_timeout_ms=-5"}), "server.idle_timeout_ms");
   EXPECT_EQ(failing_key({"--set", "auth.session_prefix="}), "auth.jwt_secret");
   EXPECT_EQ(failing_key({"--set", "auth.jwt_secret=short"}), "auth.jwt_secret");
}

TEST(parse_invocation, command_line_mistakes) {
   EXPECT_EQ(failing_key({"--bogus"}), "--bogus");
   EXPECT_EQ(failing_key({"--bogus=1"}), "--bogus");
   EXPECT_EQ(failing_key({"-p", "80"}), "-p");
   EXPECT_EQ(failing_key({"--port"}), "--port");
   EXPECT_EQ(failing_key({"--set", "nokey"}), "--set");
   EXPECT_EQ(failing_key({"--set", "=1"}), "--set");
   EXPECT_EQ(failing_key({"--set", "server.nope=1"}), "server.nope");
   EXPECT_EQ(failing_key({"run"}), "run");
   EXPECT_EQ(failing_key({"serve", "token"}), "token");
   EXPECT_EQ(failing_key({"--user", "42"}), "--user");
   EXPECT_EQ(failing_key({"--ttl", "60"}), "--ttl");
}

TEST(parse_invocation, missing_or_broken_config_file) {
   EXPECT_EQ(failing_key({"--config", "/nonexistent/gateway.json"}), "config");
   EXPECT_EQ(failing_key({}, {{"NOTIFY_CONFIG", "/nonexistent/gateway.json"}}), "config");
   EXPECT_EQ(failing_key({"--config", ""}), "config");
   temp_file const broken("{ not json");
   EXPECT_EQ(failing_key({"--config", broken.path()}), "config");
   temp_file const unknown(R"({"server": {"portt": 1}})");
   EXPECT_EQ(failing_key({"--config", unknown.path()}), "server.portt");
}

TEST(parse_invocation, token_command) {
   auto const result =
       parse({"token", "--user", "42", "--ttl", "3600"}, {{"NOTIFY_JWT_SECRET", secret}});
   EXPECT_EQ(result.what, command::token);
   EXPECT_EQ(result.token.user_id, "42");
   ASSERT_TRUE(result.token.ttl);
   EXPECT_EQ(*result.token.ttl, std::chrono::seconds(3600));
   EXPECT_EQ(result.config.auth.jwt_secret, secret);
}

TEST(parse_invocation, token_command_options_in_any_order) {
   temp_file const file(R"({"auth": {"jwt_secret": ")" + secret + R"("}})");
   auto const result =
       parse({"--user=org:7:user:42", "--config", file.path(), "token", "--set", "log.level=warn"});
   EXPECT_EQ(result.what, command::token);
   EXPECT_EQ(result.token.user_id, "org:7:user:42");
   EXPECT_FALSE(result.token.ttl);
   EXPECT_EQ(result.config.log.level, "warn");
}

TEST(parse_invocation, token_command_checks_its_arguments) {
   variables const env{{"NOTIFY_JWT_SECRET", secret}};
   EXPECT_EQ(failing_key({"token"}, env), "--user");
   EXPECT_EQ(failing_key({"token", "--user", ""}, env), "--user");
   EXPECT_EQ(failing_key({"token", "--user", "a\nb"}, env), "--user");
   EXPECT_EQ(failing_key({"token", "--user", "\xff"}, env), "--user");
   EXPECT_EQ(failing_key({"token", "--user", std::string(257, 'u')}, env), "--user");
   EXPECT_EQ(failing_key({"token", "--user", std::string(256, 'u')}, env), "<valid>");
   EXPECT_EQ(failing_key({"token", "--user", "abcd", "--set", "routing.max_user_id_bytes=3"}, env),
             "--user");
   EXPECT_EQ(failing_key({"token", "--user", "42", "--ttl", "0"}, env), "--ttl");
   EXPECT_EQ(failing_key({"token", "--user", "42", "--ttl", "-5"}, env), "--ttl");
   EXPECT_EQ(failing_key({"token", "--user", "42", "--ttl", "1h"}, env), "--ttl");
   EXPECT_EQ(failing_key({"token", "--user", "42", "--ttl", "99999999999999999999"}, env), "--ttl");
}

TEST(parse_invocation, token_command_needs_a_jwt_secret) {
   EXPECT_EQ(failing_key({"token", "--user", "42"}), "auth.jwt_secret");
}

TEST(parse_invocation, help_and_version_load_no_configuration) {
   variables const broken{{"NOTIFY_PORT", "abc"}, {"NOTIFY_CONFIG", "/nonexistent.json"}};
   EXPECT_EQ(parse({"--help"}, broken).what, command::help);
   EXPECT_EQ(parse({"-h"}, broken).what, command::help);
   EXPECT_EQ(parse({"--port", "1", "--help", "--bogus"}, broken).what, command::help);
   EXPECT_EQ(parse({"token", "--help"}, broken).what, command::help);
   EXPECT_EQ(parse({"--version"}, broken).what, command::version);
   EXPECT_EQ(parse({"-V"}, broken).what, command::version);
   // An earlier mistake is still reported.
   EXPECT_EQ(failing_key({"--bogus", "--help"}), "--bogus");
}

TEST(parse_invocation, tolerates_an_empty_argv) {
   EXPECT_EQ(parse_invocation(0, nullptr, fake_env({})).what, command::serve);
   char const* const only_null[] = {nullptr};
   EXPECT_EQ(parse_invocation(1, only_null, fake_env({})).what, command::serve);
}

TEST(usage_text, mentions_every_flag_and_the_token_command) {
   auto const text = usage_text();
   for (auto const* flag :
        {"--config", "--host", "--port", "--threads", "--log-level", "--redis-url", "--set",
         "--user", "--ttl", "--help", "--version", "token"}) {
      EXPECT_NE(text.find(flag), std::string::npos) << flag;
   }
}

TEST(version_text, names_the_program_and_version) {
   EXPECT_TRUE(version_text().starts_with("notify-gateway "));
   EXPECT_GT(version_text().size(), std::string_view("notify-gateway ").size());
}

} // namespace
} // namespace notify::config
