#include "notify/auth/jwt.hpp"
#include "notify/common/logging.hpp"
#include "notify/config/command_line.hpp"
#include "notify/config/loader.hpp"
#include "notify/history/function_library.hpp"
#include "notify/server/gateway.hpp"

#include <csignal>
#include <exception>
#include <iostream>

namespace {

constexpr int exit_bad_config = 2;

int serve(const notify::config::settings& settings) {
   auto const level = notify::parse_log_level(settings.log.level);
   notify::init_logging(level.value_or(spdlog::level::info));
   // Writes to a socket whose peer vanished must fail with EPIPE, not kill the process.
   std::signal(SIGPIPE, SIG_IGN);
   try {
      notify::server::gateway gateway(settings);
      return gateway.run();
   } catch (const notify::config::config_error& e) {
      spdlog::critical("cannot start: {}", e.what());
      return exit_bad_config;
   } catch (const std::exception& e) {
      spdlog::critical("cannot start: {}", e.what());
      return 1;
   }
}

int mint_token(const notify::config::invocation& invocation) {
   std::cout << notify::auth::mint_jwt(invocation.config.auth.jwt_secret, invocation.token.user_id,
                                       invocation.token.ttl)
             << '\n';
   return 0;
}

} // namespace

int main(int argc, char** argv) {
   notify::config::invocation invocation;
   try {
      invocation =
          notify::config::parse_invocation(argc, argv, notify::config::process_environment());
   } catch (const notify::config::config_error& e) {
      std::cerr << "notify-gateway: " << e.what() << "\n";
      return exit_bad_config;
   }
   switch (invocation.what) {
   case notify::config::command::help:
      std::cout << notify::config::usage_text();
      return 0;
   case notify::config::command::version:
      std::cout << notify::config::version_text() << '\n';
      return 0;
   case notify::config::command::token:
      return mint_token(invocation);
   case notify::config::command::redis_functions:
      std::cout << notify::history::function_library(
          invocation.config.history, invocation.config.routing.max_payload_bytes,
          invocation.config.routing.max_user_id_bytes, invocation.config.redis.is_cluster());
      return 0;
   case notify::config::command::serve:
      break;
   }
   return serve(invocation.config);
}
