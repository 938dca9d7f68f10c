// config/gateway.json is the documented list of every setting with its default: it must load with
// our loader, equal the built-in defaults and leave no key out.

#include "notify/config/loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace notify::config {
namespace {

std::string shipped_config_path() {
   // From the build system, not __FILE__: a compiler cache may make __FILE__ relative.
   return (std::filesystem::path(NOTIFY_SOURCE_DIR) / "config" / "gateway.json").string();
}

TEST(gateway_json, loads_and_equals_the_built_in_defaults) {
   settings_loader loader;
   loader.apply_file(shipped_config_path());
   auto const loaded = loader.finish();
   settings const defaults;

   EXPECT_EQ(loaded.server.host, defaults.server.host);
   EXPECT_EQ(loaded.server.port, defaults.server.port);
   EXPECT_EQ(loaded.server.threads, defaults.server.threads);
   EXPECT_EQ(loaded.server.websocket_path, defaults.server.websocket_path);
   EXPECT_EQ(loaded.server.ping_interval, defaults.server.ping_interval);
   EXPECT_EQ(loaded.server.idle_timeout, defaults.server.idle_timeout);
   EXPECT_EQ(loaded.server.handshake_timeout, defaults.server.handshake_timeout);
   EXPECT_EQ(loaded.server.shutdown_timeout, defaults.server.shutdown_timeout);
   EXPECT_EQ(loaded.auth.jwt_secret, defaults.auth.jwt_secret);
   EXPECT_EQ(loaded.auth.session_prefix, defaults.auth.session_prefix);
   EXPECT_EQ(loaded.auth.allow_insecure_user_id, defaults.auth.allow_insecure_user_id);
   EXPECT_EQ(loaded.auth.timeout, defaults.auth.timeout);
   EXPECT_EQ(loaded.auth.jwt_leeway, defaults.auth.jwt_leeway);
   EXPECT_EQ(loaded.auth.cookie_name, defaults.auth.cookie_name);
   EXPECT_EQ(loaded.auth.cookie_secrets, defaults.auth.cookie_secrets);
   EXPECT_EQ(loaded.auth.cookie_session_prefix, defaults.auth.cookie_session_prefix);
   EXPECT_EQ(loaded.auth.cookie_user_field, defaults.auth.cookie_user_field);
   EXPECT_EQ(loaded.limits.max_inbound_bytes, defaults.limits.max_inbound_bytes);
   EXPECT_EQ(loaded.limits.max_protocol_errors, defaults.limits.max_protocol_errors);
   EXPECT_EQ(loaded.limits.max_queued_bytes, defaults.limits.max_queued_bytes);
   EXPECT_EQ(loaded.limits.max_queued_messages, defaults.limits.max_queued_messages);
   EXPECT_EQ(loaded.limits.max_connections, defaults.limits.max_connections);
   EXPECT_EQ(loaded.limits.max_connections_per_user, defaults.limits.max_connections_per_user);
   EXPECT_EQ(loaded.limits.max_connections_per_ip, defaults.limits.max_connections_per_ip);
   EXPECT_EQ(loaded.routing.user_channel_pattern, defaults.routing.user_channel_pattern);
   EXPECT_EQ(loaded.routing.global_channel, defaults.routing.global_channel);
   EXPECT_EQ(loaded.routing.max_payload_bytes, defaults.routing.max_payload_bytes);
   EXPECT_EQ(loaded.routing.max_user_id_bytes, defaults.routing.max_user_id_bytes);
   EXPECT_EQ(loaded.history.enabled, defaults.history.enabled);
   EXPECT_EQ(loaded.history.prefix, defaults.history.prefix);
   EXPECT_EQ(loaded.history.user_max_entries, defaults.history.user_max_entries);
   EXPECT_EQ(loaded.history.global_max_entries, defaults.history.global_max_entries);
   EXPECT_EQ(loaded.history.max_age, defaults.history.max_age);
   EXPECT_EQ(loaded.history.idempotency_ttl, defaults.history.idempotency_ttl);
   EXPECT_EQ(loaded.history.max_replay, defaults.history.max_replay);
   EXPECT_EQ(loaded.redis.host, defaults.redis.host);
   EXPECT_EQ(loaded.redis.port, defaults.redis.port);
   EXPECT_EQ(loaded.redis.username, defaults.redis.username);
   EXPECT_EQ(loaded.redis.password, defaults.redis.password);
   EXPECT_EQ(loaded.redis.db, defaults.redis.db);
   EXPECT_EQ(loaded.redis.connect_timeout, defaults.redis.connect_timeout);
   EXPECT_EQ(loaded.redis.health_check_interval, defaults.redis.health_check_interval);
   EXPECT_EQ(loaded.redis.reconnect_initial_delay, defaults.redis.reconnect_initial_delay);
   EXPECT_EQ(loaded.redis.reconnect_max_delay, defaults.redis.reconnect_max_delay);
   EXPECT_EQ(loaded.log.level, defaults.log.level);
   // The file names the redis keys, and a file counts as configuring Redis (settings.hpp).
   EXPECT_TRUE(loaded.redis_configured);
}

TEST(gateway_json, lists_every_setting_and_documents_every_section) {
   std::ifstream file(shipped_config_path());
   ASSERT_TRUE(file) << shipped_config_path();
   auto const document = nlohmann::json::parse(file);
   EXPECT_TRUE(document.contains("_doc"));
   for (auto const& key : setting_keys()) {
      auto const dot = key.find('.');
      auto const section = key.substr(0, dot);
      ASSERT_TRUE(document.contains(section)) << section;
      auto pointer = "/" + key;
      std::replace(pointer.begin(), pointer.end(), '.', '/'); // server.tls.cert_file is nested
      EXPECT_TRUE(document.contains(nlohmann::json::json_pointer(pointer)))
          << key << " is missing from gateway.json";
      EXPECT_TRUE(document[section].contains("_doc")) << section << " has no _doc";
   }
}

} // namespace
} // namespace notify::config
