#include "notify/config/command_line.hpp"

#include "notify/common/user_id.hpp"

#include <array>
#include <charconv>
#include <utility>

#ifndef NOTIFY_VERSION
#define NOTIFY_VERSION "unknown"
#endif

namespace notify::config {

namespace {

/// Flags that are shorthands for one setting.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> setting_flags{{
    {"--host", "server.host"},
    {"--port", "server.port"},
    {"--threads", "server.threads"},
    {"--log-level", "log.level"},
    {"--redis-url", "redis.url"},
}};

/// A token of ten years is already a bad idea; the cap keeps iat + ttl far from overflow.
constexpr std::int64_t max_ttl_seconds = 10LL * 365 * 24 * 60 * 60;

/// What the command line says, before any configuration is loaded.
struct arguments {
   command what = command::serve;
   bool command_named = false;
   std::optional<std::string> config_path;
   std::vector<assignment> settings;
   std::optional<std::string> user;
   std::optional<std::string> ttl;
};

std::optional<std::string_view> setting_of_flag(std::string_view flag) {
   for (auto const& [name, key] : setting_flags) {
      if (name == flag) {
         return key;
      }
   }
   return std::nullopt;
}

assignment parse_set(std::string_view text) {
   auto const equals = text.find('=');
   if (equals == text.npos || equals == 0) {
      throw config_error("--set",
                         "expected section.key=value (got " + detail::quote_value(text) + ")");
   }
   auto key = std::string(text.substr(0, equals));
   auto origin = "--set " + key;
   return {std::move(key), std::string(text.substr(equals + 1)), std::move(origin)};
}

class argument_parser {
public:
   argument_parser(int argc, char const* const* argv)
       : argc_(argc)
       , argv_(argv) {}

   /// The arguments, or the informational command (help, version) that ends parsing early.
   arguments parse() {
      arguments result;
      for (index_ = 1; index_ < argc_; ++index_) {
         if (argv_[index_] == nullptr) {
            continue;
         }
         std::string_view const arg = argv_[index_];
         if (arg == "-h" || arg == "--help") {
            result.what = command::help;
            return result;
         }
         if (arg == "-V" || arg == "--version") {
            result.what = command::version;
            return result;
         }
         if (arg.starts_with("-") && arg.size() > 1) {
            take_option(arg, result);
         } else {
            take_word(arg, result);
         }
      }
      return result;
   }

private:
   void take_option(std::string_view arg, arguments& result) {
      auto const equals = arg.find('=');
      auto const name = arg.substr(0, equals);
      std::optional<std::string_view> inline_value;
      if (equals != arg.npos) {
         inline_value = arg.substr(equals + 1);
      }
      auto const value = [&]() -> std::string {
         if (inline_value) {
            return std::string(*inline_value);
         }
         if (index_ + 1 >= argc_ || argv_[index_ + 1] == nullptr) {
            throw config_error(std::string(name), "needs a value (see --help)");
         }
         return argv_[++index_];
      };

      if (auto const key = setting_of_flag(name)) {
         result.settings.push_back({std::string(*key), value(), std::string(name)});
      } else if (name == "--set") {
         result.settings.push_back(parse_set(value()));
      } else if (name == "--config") {
         result.config_path = value();
      } else if (name == "--user") {
         result.user = value();
      } else if (name == "--ttl") {
         result.ttl = value();
      } else {
         throw config_error(std::string(name), "unknown option (see --help)");
      }
   }

   static void take_word(std::string_view word, arguments& result) {
      if (!result.command_named &&
          (word == "serve" || word == "token" || word == "redis-functions")) {
         result.what = word == "token"             ? command::token
                       : word == "redis-functions" ? command::redis_functions
                                                   : command::serve;
         result.command_named = true;
         return;
      }
      throw config_error(std::string(word), "unexpected argument; the commands are serve, token "
                                            "and redis-functions (see --help)");
   }

   int argc_;
   char const* const* argv_;
   int index_ = 1;
};

std::string checked_user_id(std::string const& user, std::size_t max_bytes) {
   if (user.empty()) {
      throw config_error("--user", "must not be empty");
   }
   if (user.size() > max_bytes) {
      throw config_error("--user", "is " + std::to_string(user.size()) +
                                       " bytes long; routing.max_user_id_bytes allows " +
                                       std::to_string(max_bytes));
   }
   if (!valid_user_id(user, max_bytes)) {
      throw config_error("--user", "must be UTF-8 without control characters (got " +
                                       detail::quote_value(user) + ")");
   }
   return user;
}

std::chrono::seconds checked_ttl(std::string const& text) {
   std::int64_t seconds = 0;
   auto const* const end = text.data() + text.size();
   auto const [stop, error] = std::from_chars(text.data(), end, seconds);
   if (text.empty() || error != std::errc{} || stop != end || seconds < 1 ||
       seconds > max_ttl_seconds) {
      throw config_error("--ttl", "must be a whole number of seconds between 1 and " +
                                      std::to_string(max_ttl_seconds) + " (got " +
                                      detail::quote_value(text) + ")");
   }
   return std::chrono::seconds(seconds);
}

void check_token_arguments(arguments const& args) {
   if (args.what != command::token) {
      if (args.user) {
         throw config_error("--user", "only applies to the token command");
      }
      if (args.ttl) {
         throw config_error("--ttl", "only applies to the token command");
      }
   } else if (!args.user) {
      throw config_error("--user", "the token command needs --user ID");
   }
}

} // namespace

invocation parse_invocation(int argc, char const* const* argv, env_lookup const& env) {
   auto const args = argument_parser(argc, argv).parse();
   invocation result;
   result.what = args.what;
   if (args.what == command::help || args.what == command::version) {
      return result;
   }
   check_token_arguments(args);

   settings_loader loader;
   result.config_path = args.config_path;
   if (!result.config_path) {
      if (auto from_env = env("NOTIFY_CONFIG"); from_env && !from_env->empty()) {
         result.config_path = std::move(from_env);
      }
   }
   if (result.config_path) {
      loader.apply_file(*result.config_path);
   }
   loader.apply_environment(env);
   loader.apply_assignments(args.settings);
   result.config = loader.finish();

   if (args.what == command::token) {
      if (result.config.auth.jwt_secret.empty()) {
         throw config_error("auth.jwt_secret",
                            "the token command needs a JWT secret: set NOTIFY_JWT_SECRET, "
                            "auth.jwt_secret in the config file, or --set auth.jwt_secret=...");
      }
      result.token.user_id = checked_user_id(*args.user, result.config.routing.max_user_id_bytes);
      if (args.ttl) {
         result.token.ttl = checked_ttl(*args.ttl);
      }
   }
   return result;
}

std::string usage_text() {
   return R"(Usage:
  notify-gateway [serve] [options]       run the gateway (Redis pub/sub -> WebSocket)
  notify-gateway token --user ID [--ttl SECONDS] [options]
                                         print an HS256 JWT for user ID (needs auth.jwt_secret)
  notify-gateway redis-functions [options]
                                         print the Redis Function library for history (for
                                         operators who load it themselves; the gateway loads it
                                         on every connect unless history.enabled is false)
  notify-gateway --help | --version

Options:
  --config PATH            JSON config file (default: none, or $NOTIFY_CONFIG)
  --host HOST              listen address                     (server.host, default 0.0.0.0)
  --port N                 listen port                        (server.port, default 8080)
  --threads N              event loops, 0 = one per core      (server.threads, default 0)
  --log-level LEVEL        trace debug info warn error critical off  (log.level, default info)
  --redis-url URL          redis://[user:password@]host[:port][/db]  (redis.url)
  --set SECTION.KEY=VALUE  any setting, e.g. --set auth.timeout_ms=5000 (repeatable)
  --user ID                token: the user id to put in "sub" (required)
  --ttl SECONDS            token: lifetime; without it the token has no "exp"
  -h, --help               print this help and exit
  -V, --version            print the version and exit

Settings come from, lowest to highest precedence: built-in defaults < config file <
environment (NOTIFY_<SECTION>_<KEY>, NOTIFY_PORT, NOTIFY_JWT_SECRET, REDIS_URL, REDIS_HOST, ...)
< flags. Every key, variable and default: docs/configuration.md. A bad setting exits with code 2.
)";
}

std::string version_text() {
   return std::string("notify-gateway ") + NOTIFY_VERSION;
}

} // namespace notify::config
