#include "notify/config/loader.hpp"

#include <functional>
#include <gtest/gtest.h>

namespace notify::config {
namespace {

/// The key of the config_error that validate throws for defaults changed by `change`.
std::string failing_key(std::function<void(settings&)> const& change) {
   settings config;
   change(config);
   try {
      validate(config);
   } catch (config_error const& error) {
      EXPECT_TRUE(std::string(error.what()).starts_with(error.key + ": ")) << error.what();
      return error.key;
   }
   return "<valid>";
}

TEST(validate, defaults_are_valid) {
   EXPECT_NO_THROW(validate(settings{}));
}

TEST(validate, ports) {
   EXPECT_EQ(failing_key([](settings& c) { c.server.port = 0; }), "server.port");
   EXPECT_EQ(failing_key([](settings& c) { c.redis.port = 0; }), "redis.port");
   EXPECT_EQ(failing_key([](settings& c) { c.server.port = 65535; }), "<valid>");
}

TEST(validate, threads) {
   EXPECT_EQ(failing_key([](settings& c) { c.server.threads = 1024; }), "<valid>");
   EXPECT_EQ(failing_key([](settings& c) { c.server.threads = 1025; }), "server.threads");
}

TEST(validate, presence_and_the_per_user_limit_scope) {
   using std::chrono::milliseconds;
   EXPECT_EQ(failing_key([](settings& c) { c.limits.max_connections_per_user_scope = "cluster"; }),
             "limits.max_connections_per_user_scope");
   EXPECT_EQ(failing_key([](settings& c) {
                c.limits.max_connections_per_user_scope = "all_instances";
                c.presence.enabled = false;
             }),
             "limits.max_connections_per_user_scope");
   EXPECT_EQ(
       failing_key([](settings& c) { c.limits.max_connections_per_user_scope = "all_instances"; }),
       "<valid>");
   EXPECT_EQ(failing_key([](settings& c) { c.presence.ttl = milliseconds(2999); }),
             "presence.ttl_ms");
   EXPECT_EQ(failing_key([](settings& c) { c.presence.ttl = milliseconds(3000); }), "<valid>");
}

TEST(validate, durations_must_be_positive) {
   using std::chrono::milliseconds;
   EXPECT_EQ(failing_key([](settings& c) { c.server.ping_interval = milliseconds(0); }),
             "server.ping_interval_ms");
   EXPECT_EQ(failing_key([](settings& c) { c.server.handshake_timeout = milliseconds(-1); }),
             "server.handshake_timeout_ms");
   EXPECT_EQ(failing_key([](settings& c) { c.server.shutdown_timeout = milliseconds(0); }),
             "server.shutdown_timeout_ms");
   EXPECT_EQ(failing_key([](settings& c) { c.auth.timeout = milliseconds(0); }), "auth.timeout_ms");
   EXPECT_EQ(failing_key([](settings& c) { c.auth.jwt_leeway = std::chrono::seconds(-1); }),
             "auth.jwt_leeway_s");
   EXPECT_EQ(failing_key([](settings& c) { c.redis.health_check_interval = milliseconds(0); }),
             "redis.health_check_interval_ms");
}

TEST(validate, idle_timeout_must_exceed_ping_interval) {
   using std::chrono::milliseconds;
   EXPECT_EQ(failing_key([](settings& c) { c.server.idle_timeout = c.server.ping_interval; }),
             "server.idle_timeout_ms");
   EXPECT_EQ(failing_key([](settings& c) {
                c.server.ping_interval = milliseconds(1000);
                c.server.idle_timeout = milliseconds(1001);
             }),
             "<valid>");
}

TEST(validate, allowed_origins_are_bare_origins) {
   auto with = [](std::string origin) {
      return failing_key([&](settings& c) { c.server.allowed_origins = {origin}; });
   };
   EXPECT_EQ(with("https://app.example.com"), "<valid>");
   EXPECT_EQ(with("http://localhost:3000"), "<valid>");
   EXPECT_EQ(with("*"), "<valid>");
   EXPECT_EQ(with("https://app.example.com/"), "server.allowed_origins");
   EXPECT_EQ(with("app.example.com"), "server.allowed_origins");
   EXPECT_EQ(with("https://"), "server.allowed_origins");
   EXPECT_EQ(with("https://a.example\x01"), "server.allowed_origins");
}

TEST(validate, trusted_proxies_are_addresses_or_cidr_blocks) {
   auto with = [](std::string entry) {
      return failing_key([&](settings& c) { c.server.trusted_proxies = {entry}; });
   };
   for (const char* good : {"10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8", "::ffff:10.0.0.0/104"}) {
      EXPECT_EQ(with(good), "<valid>") << good;
   }
   for (const char* bad : {"", "10.0.0", "10.0.0.0/33", "::/129", "10.0.0.0/", "localhost",
                           "fe80::1%eth0", " 10.0.0.1", "10.0.0.0/-1", "1.2.3.4:80", "*"}) {
      EXPECT_EQ(with(bad), "server.trusted_proxies") << bad;
   }
}

TEST(validate, tls_needs_both_files) {
   EXPECT_EQ(failing_key([](settings& c) { c.server.tls_cert_file = "c.pem"; }),
             "server.tls.key_file");
   EXPECT_EQ(failing_key([](settings& c) { c.server.tls_key_file = "k.pem"; }),
             "server.tls.cert_file");
   EXPECT_EQ(failing_key([](settings& c) {
                c.server.tls_cert_file = "c.pem";
                c.server.tls_key_file = "k.pem";
             }),
             "<valid>");
}

TEST(validate, lockout_and_handshake_rate) {
   EXPECT_EQ(failing_key([](settings& c) { c.auth.lockout = std::chrono::seconds(0); }),
             "auth.lockout_s");
   EXPECT_EQ(failing_key([](settings& c) { c.auth.max_failures = 0; }), "<valid>");
   EXPECT_EQ(failing_key([](settings& c) { c.limits.handshake_burst_per_ip = 0; }),
             "limits.handshake_burst_per_ip");
}

TEST(validate, websocket_path_starts_with_a_slash) {
   EXPECT_EQ(failing_key([](settings& c) { c.server.websocket_path = "ws"; }),
             "server.websocket_path");
   EXPECT_EQ(failing_key([](settings& c) { c.server.websocket_path = ""; }),
             "server.websocket_path");
   EXPECT_EQ(failing_key([](settings& c) { c.server.websocket_path = "/ws?x"; }),
             "server.websocket_path");
   EXPECT_EQ(failing_key([](settings& c) { c.server.websocket_path = "/"; }), "<valid>");
}

TEST(validate, user_channel_pattern) {
   auto const with = [](std::string pattern) {
      return failing_key([&](settings& c) { c.routing.user_channel_pattern = pattern; });
   };
   EXPECT_EQ(with("user:notifications"), "routing.user_channel_pattern");
   EXPECT_EQ(with("user:*:*"), "routing.user_channel_pattern");
   EXPECT_EQ(with("*"), "routing.user_channel_pattern");
   EXPECT_EQ(with("user:?:*"), "routing.user_channel_pattern");
   EXPECT_EQ(with("user:[a]:*"), "routing.user_channel_pattern");
   EXPECT_EQ(with("user:\\*"), "routing.user_channel_pattern");
   EXPECT_EQ(with("user:*"), "<valid>");
   EXPECT_EQ(with("*:inbox"), "<valid>");
}

TEST(validate, global_channel) {
   auto const with = [](std::string channel) {
      return failing_key([&](settings& c) { c.routing.global_channel = channel; });
   };
   EXPECT_EQ(with(""), "routing.global_channel");
   EXPECT_EQ(with("global*"), "routing.global_channel");
   EXPECT_EQ(with("glob?l"), "routing.global_channel");
   // It would also match the user pattern: every broadcast would go to a user "all".
   EXPECT_EQ(with("user:all:notifications"), "routing.global_channel");
   EXPECT_EQ(with("broadcast"), "<valid>");
}

TEST(validate, size_limits) {
   EXPECT_EQ(failing_key([](settings& c) { c.routing.max_payload_bytes = 0; }),
             "routing.max_payload_bytes");
   EXPECT_EQ(failing_key([](settings& c) { c.routing.max_payload_bytes = 536870913; }),
             "routing.max_payload_bytes");
   EXPECT_EQ(failing_key([](settings& c) { c.routing.max_payload_bytes = 536870912; }), "<valid>");
   EXPECT_EQ(failing_key([](settings& c) { c.limits.max_inbound_bytes = 63; }),
             "limits.max_inbound_bytes");
   EXPECT_EQ(failing_key([](settings& c) { c.limits.max_inbound_bytes = 1048577; }),
             "limits.max_inbound_bytes");
   EXPECT_EQ(failing_key([](settings& c) { c.routing.max_user_id_bytes = 0; }),
             "routing.max_user_id_bytes");
   EXPECT_EQ(failing_key([](settings& c) { c.routing.max_user_id_bytes = 4097; }),
             "routing.max_user_id_bytes");
}

TEST(validate, log_level) {
   for (auto const* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
      EXPECT_EQ(failing_key([&](settings& c) { c.log.level = level; }), "<valid>") << level;
   }
   EXPECT_EQ(failing_key([](settings& c) { c.log.level = "verbose"; }), "log.level");
   EXPECT_EQ(failing_key([](settings& c) { c.log.level = "INFO"; }), "log.level");
}

TEST(validate, redis_cluster) {
   EXPECT_EQ(failing_key([](settings& c) { c.redis.mode = "sentinel"; }), "redis.mode");
   EXPECT_EQ(failing_key([](settings& c) {
                c.redis.mode = "cluster";
                c.redis.cluster_nodes = {"10.0.0.1:7000", "[fd00::1]:7001", "redis-0.svc:6379"};
             }),
             "<valid>");
   for (auto const* bad : {"10.0.0.1", "10.0.0.1:0", "h:70000", "a b:1", "[::1:1", "h:1x", ":1"}) {
      EXPECT_EQ(failing_key([&](settings& c) {
                   c.redis.mode = "cluster";
                   c.redis.cluster_nodes = {bad};
                }),
                "redis.cluster_nodes")
          << bad;
   }
   EXPECT_EQ(failing_key([](settings& c) {
                c.redis.mode = "cluster";
                c.redis.db = 1;
             }),
             "redis.db");
   EXPECT_EQ(failing_key([](settings& c) {
                c.redis.mode = "cluster";
                c.server.threads = 65;
             }),
             "server.threads");
}

TEST(validate, redis) {
   using std::chrono::milliseconds;
   EXPECT_EQ(failing_key([](settings& c) { c.redis.db = -1; }), "redis.db");
   EXPECT_EQ(failing_key([](settings& c) { c.redis.host = ""; }), "redis.host");
   EXPECT_EQ(failing_key([](settings& c) {
                c.redis.reconnect_initial_delay = milliseconds(3000);
                c.redis.reconnect_max_delay = milliseconds(2000);
             }),
             "redis.reconnect_initial_delay_ms");
   EXPECT_EQ(failing_key([](settings& c) {
                c.redis.reconnect_initial_delay = milliseconds(2000);
                c.redis.reconnect_max_delay = milliseconds(2000);
             }),
             "<valid>");
}

TEST(validate, clients_need_some_way_to_authenticate) {
   EXPECT_EQ(failing_key([](settings& c) { c.auth.session_prefix.clear(); }), "auth.jwt_secret");
   EXPECT_EQ(failing_key([](settings& c) {
                c.auth.session_prefix.clear();
                c.auth.allow_insecure_user_id = true;
             }),
             "<valid>");
   EXPECT_EQ(failing_key([](settings& c) {
                c.auth.session_prefix.clear();
                c.auth.jwt_secret = std::string(32, 's');
             }),
             "<valid>");
}

TEST(validate, short_jwt_secret_is_rejected_and_not_shown) {
   settings config;
   config.auth.jwt_secret = "too-short-secret";
   origin_map const origins{{"auth.jwt_secret", "NOTIFY_JWT_SECRET"}};
   try {
      validate(config, origins);
      FAIL() << "accepted a 16-byte secret";
   } catch (config_error const& error) {
      std::string const message = error.what();
      EXPECT_EQ(error.key, "auth.jwt_secret");
      EXPECT_NE(message.find("32 bytes"), std::string::npos) << message;
      EXPECT_NE(message.find("HS256"), std::string::npos) << message;
      EXPECT_NE(message.find("16 bytes from NOTIFY_JWT_SECRET"), std::string::npos) << message;
      EXPECT_EQ(message.find("too-short-secret"), std::string::npos) << message;
   }
   config.auth.jwt_secret = std::string(31, 'x');
   EXPECT_THROW(validate(config), config_error);
   config.auth.jwt_secret = std::string(32, 'x');
   EXPECT_NO_THROW(validate(config));
}

TEST(validate, messages_say_where_the_value_came_from) {
   settings config;
   config.server.port = 0;
   try {
      validate(config, {{"server.port", "--port"}});
      FAIL() << "accepted port 0";
   } catch (config_error const& error) {
      EXPECT_STREQ(error.what(),
                   "server.port: must be an integer between 1 and 65535 (got 0 from --port)");
   }
}

} // namespace
} // namespace notify::config

namespace notify::config {
namespace {

/// Cookie authentication as the docs set it up.
void with_cookie_auth(settings& c) {
   c.auth.cookie_name = "connect.sid";
   c.auth.cookie_secrets = {"keyboard cat"};
   c.server.allowed_origins = {"https://app.example.com"};
}

std::string failure_message(std::function<void(settings&)> const& change) {
   settings config;
   change(config);
   try {
      validate(config, origin_map{{"auth.cookie_secrets", "NOTIFY_AUTH_COOKIE_SECRETS"}});
   } catch (config_error const& error) {
      return error.what();
   }
   return "<valid>";
}

TEST(validate, cookie_auth_is_off_by_default_and_valid_when_complete) {
   EXPECT_TRUE(settings{}.auth.cookie_name.empty());
   EXPECT_EQ(failing_key(with_cookie_auth), "<valid>");
   EXPECT_EQ(failing_key([](settings& c) {
                with_cookie_auth(c);
                c.auth.jwt_secret.clear();
                c.auth.session_prefix.clear(); // the cookie alone is a way to authenticate
             }),
             "<valid>");
}

TEST(validate, cookie_auth_needs_a_secret) {
   EXPECT_EQ(failing_key([](settings& c) {
                with_cookie_auth(c);
                c.auth.cookie_secrets.clear();
             }),
             "auth.cookie_secrets");
   EXPECT_EQ(failing_key([](settings& c) {
                with_cookie_auth(c);
                c.auth.cookie_secrets = {"new", ""};
             }),
             "auth.cookie_secrets");
}

TEST(validate, cookie_secrets_are_never_shown) {
   auto const message = failure_message([](settings& c) {
      with_cookie_auth(c);
      c.auth.cookie_secrets = {"the-real-secret-value", ""};
   });
   EXPECT_NE(message.find("NOTIFY_AUTH_COOKIE_SECRETS"), std::string::npos) << message;
   EXPECT_EQ(message.find("the-real-secret-value"), std::string::npos) << message;
}

TEST(validate, cookie_auth_needs_an_origin_list_and_says_why) {
   auto const message = failure_message([](settings& c) {
      with_cookie_auth(c);
      c.server.allowed_origins.clear();
   });
   EXPECT_TRUE(message.starts_with("server.allowed_origins: ")) << message;
   EXPECT_NE(message.find("cross-site WebSocket hijacking"), std::string::npos) << message;
   EXPECT_NE(message.find("auth.cookie_name"), std::string::npos) << message;
}

TEST(validate, cookie_auth_refuses_an_origin_wildcard) {
   auto const message = failure_message([](settings& c) {
      with_cookie_auth(c);
      c.server.allowed_origins = {"https://app.example.com", "*"};
   });
   EXPECT_TRUE(message.starts_with("server.allowed_origins: ")) << message;
   EXPECT_NE(message.find("must not contain *"), std::string::npos) << message;
   EXPECT_NE(message.find("cross-site WebSocket hijacking"), std::string::npos) << message;
   // Without cookies "*" stays what it was: any origin.
   EXPECT_EQ(failing_key([](settings& c) { c.server.allowed_origins = {"*"}; }), "<valid>");
}

TEST(validate, cookie_name_prefix_and_field) {
   auto const with = [](std::function<void(settings&)> const& change) {
      return failing_key([&](settings& c) {
         with_cookie_auth(c);
         change(c);
      });
   };
   EXPECT_EQ(with([](settings& c) { c.auth.cookie_name = "my session"; }), "auth.cookie_name");
   EXPECT_EQ(with([](settings& c) { c.auth.cookie_name = "a;b"; }), "auth.cookie_name");
   EXPECT_EQ(with([](settings& c) { c.auth.cookie_name = "a=b"; }), "auth.cookie_name");
   EXPECT_EQ(with([](settings& c) { c.auth.cookie_name = "__Host-sid"; }), "<valid>");
   EXPECT_EQ(with([](settings& c) { c.auth.cookie_session_prefix.clear(); }),
             "auth.cookie_session_prefix");
   EXPECT_EQ(with([](settings& c) { c.auth.cookie_session_prefix = "se\nss:"; }),
             "auth.cookie_session_prefix");
   EXPECT_EQ(with([](settings& c) { c.auth.cookie_user_field.clear(); }), "auth.cookie_user_field");
}

} // namespace
} // namespace notify::config
