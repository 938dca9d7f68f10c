// Environment variables. Within the environment, from lowest to highest precedence:
// REDIS_URL < NOTIFY_REDIS_URL < the seed's REDIS_* and the short NOTIFY_* forms <
// NOTIFY_<SECTION>_<KEY>.

#include "notify/config/loader.hpp"

#include <array>
#include <cstdlib>
#include <utility>

namespace notify::config {

namespace {

/// Names kept from the seed service and short forms, each standing for one key.
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> aliases{{
    {"REDIS_HOST", "redis.host"},
    {"REDIS_PORT", "redis.port"},
    {"REDIS_PASSWORD", "redis.password"},
    {"REDIS_USERNAME", "redis.username"},
    {"REDIS_DB", "redis.db"},
    {"REDIS_CLUSTER_NODES", "redis.cluster_nodes"},
    {"NOTIFY_PORT", "server.port"},
    {"NOTIFY_THREADS", "server.threads"},
    {"NOTIFY_LOG_LEVEL", "log.level"},
    {"NOTIFY_JWT_SECRET", "auth.jwt_secret"},
}};

constexpr std::array<std::string_view, 2> url_variables{"REDIS_URL", "NOTIFY_REDIS_URL"};

} // namespace

env_lookup process_environment() {
   return [](std::string_view name) -> std::optional<std::string> {
      char const* const value = std::getenv(std::string(name).c_str());
      if (value == nullptr) {
         return std::nullopt;
      }
      return std::string(value);
   };
}

void settings_loader::apply_environment(env_lookup const& env) {
   std::vector<assignment> values;
   auto const add = [&](std::string_view name, std::string_view key) {
      if (auto value = env(name)) {
         values.push_back({std::string(key), std::move(*value), std::string(name)});
      }
   };
   for (auto const name : url_variables) {
      add(name, "redis.url"); // an empty URL is ignored, like an unset one
   }
   for (auto const& [name, key] : aliases) {
      add(name, key);
   }
   for (auto const& key : setting_keys()) {
      if (key != "redis.url") {
         add(environment_name(key), key);
      }
   }
   apply_assignments(values);
}

} // namespace notify::config
