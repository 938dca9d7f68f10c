#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace notify::redis {

/// Where and how to reach Redis. Filled from config, REDIS_URL and the seed's REDIS_* variables.
struct settings {
   std::string host = "127.0.0.1";
   std::uint16_t port = 6379;
   std::string username; ///< ACL user; empty means AUTH with the password alone
   std::string password; ///< empty means no AUTH
   int db = 0;
   std::chrono::milliseconds connect_timeout{2000};
   /// PING after this long without bytes from Redis; the link is dead after twice this.
   std::chrono::milliseconds health_check_interval{5000};
   std::chrono::milliseconds reconnect_initial_delay{50};
   std::chrono::milliseconds reconnect_max_delay{2000};
};

} // namespace notify::redis
