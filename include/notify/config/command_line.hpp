#pragma once

#include "notify/config/loader.hpp"
#include "notify/config/settings.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace notify::config {

enum class command { serve, token, redis_functions, help, version };

/// `notify-gateway token --user ID [--ttl SECONDS]`
struct token_request {
   std::string user_id;
   std::optional<std::chrono::seconds> ttl; ///< nullopt: a token without "exp"
};

struct invocation {
   command what = command::serve;
   settings config;     ///< fully merged and validated (defaults for help/version)
   token_request token; ///< for command::token
   std::optional<std::string> config_path; ///< the file that was loaded, if any
};

/// Parses the command line and merges defaults < config file (--config or NOTIFY_CONFIG) <
/// environment < flags. argv[0] is the program name. --help and --version win over everything
/// after them and load no configuration. Throws config_error (the caller prints it and exits 2).
invocation parse_invocation(int argc, char const* const* argv, env_lookup const& env);

/// What --help prints.
std::string usage_text();

/// What --version prints: "notify-gateway 0.1.0".
std::string version_text();

} // namespace notify::config
