#pragma once

#include "notify/config/settings.hpp"

#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace notify::config {

/// Thrown for any bad setting. what() is a full sentence that starts with the key, e.g.
/// "server.port: must be an integer between 1 and 65535 (got \"abc\" from NOTIFY_SERVER_PORT)".
/// Secrets (auth.jwt_secret, auth.cookie_secrets, redis.password, redis.url) are never quoted back.
struct config_error : std::runtime_error {
   config_error(std::string key, std::string_view problem);

   /// "server.port", "config" (the file itself), "--bogus" (a command-line flag), ...
   std::string key;
};

/// Looks up one environment variable; nullopt when it is not set.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The real process environment (getenv).
env_lookup process_environment();

/// Where each value came from, by key: "NOTIFY_SERVER_PORT", "--port", a file path, ...
using origin_map = std::map<std::string, std::string, std::less<>>;

/// Every key a config file, a NOTIFY_* variable or --set accepts ("server.port", "redis.url"),
/// in the order of settings.hpp.
std::vector<std::string> const& setting_keys();

/// The environment variable of a key: "server.port" -> "NOTIFY_SERVER_PORT".
std::string environment_name(std::string_view key);

/// One value as a string, the way environment variables and flags give it.
struct assignment {
   std::string key;    ///< "server.port"
   std::string value;  ///< "8080"
   std::string origin; ///< "--port", for error messages
};

/// Merges sources into settings, starting from the built-in defaults. Each apply_* call is one
/// source and overrides what earlier calls set. Within one source redis.url is applied before
/// the other redis keys, so they can override parts of the URL. Throws config_error on the
/// first bad value, naming its key and where it came from.
class settings_loader {
public:
   /// Reads a JSON file (see config/gateway.json). Errors about the file itself use key "config".
   void apply_file(std::string const& path);

   /// The same for JSON text already in memory; origin names it in messages.
   void apply_json_text(std::string_view text, std::string_view origin);

   /// NOTIFY_<SECTION>_<KEY>, the short forms and the seed's REDIS_* variables.
   void apply_environment(env_lookup const& env);

   /// String values, as from --set; applied in order, except redis.url first.
   void apply_assignments(std::vector<assignment> const& values);

   settings const& current() const { return settings_; }
   origin_map const& origins() const { return origins_; }

   /// Validates the merged settings (see validate) and returns them.
   settings finish() const;

private:
   void apply_json_value(std::string_view key, nlohmann::json const& value,
                         std::string_view origin);
   void apply_string_value(std::string_view key, std::string_view value, std::string_view origin);
   void note_origin(std::string_view key, std::string_view origin);

   settings settings_;
   origin_map origins_;
};

/// Checks every rule on merged settings (ranges, patterns, cross-field rules such as
/// idle_timeout > ping_interval, and that clients have some way to authenticate). Throws
/// config_error naming the key; origins, when known, say where the bad value came from.
void validate(settings const& config, origin_map const& origins = {});

namespace detail {

/// A value made safe to quote in a message: in double quotes, control bytes escaped, long
/// values shortened.
std::string quote_value(std::string_view value);

/// " (got <shown> from <origin>)", or " (from <origin>)" when shown is empty (secrets).
std::string got_from(origin_map const& origins, std::string_view key, std::string_view shown);

/// Range checks of every numeric setting, from the table of keys.
void check_numeric_ranges(settings const& config, origin_map const& origins);

} // namespace detail

} // namespace notify::config
