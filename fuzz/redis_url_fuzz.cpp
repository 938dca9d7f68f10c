// REDIS_URL comes from the environment or the config file. apply_redis_url may only throw
// config_error (any other exception escapes and is reported as a crash), must leave the settings
// untouched when it does, and on success must leave usable settings.

#include "fuzz_support.hpp"
#include "notify/config/loader.hpp"
#include "notify/config/redis_url.hpp"

#include <string>

namespace {

bool same(notify::redis::settings const& a, notify::redis::settings const& b) {
   return a.host == b.host && a.port == b.port && a.username == b.username &&
          a.password == b.password && a.db == b.db;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
   notify::redis::settings before;
   before.host = "before.example";
   before.port = 6380;
   before.username = "before-user";
   before.password = "before-password";
   before.db = 3;
   auto after = before;
   try {
      notify::config::apply_redis_url(notify::fuzz::as_text(data, size), after);
   } catch (notify::config::config_error const& error) {
      FUZZ_CHECK(error.key == "redis.url");
      FUZZ_CHECK(same(before, after)); // a bad URL changes nothing
      return 0;
   }
   FUZZ_CHECK(!after.host.empty() && after.port >= 1 && after.db >= 0);
   FUZZ_CHECK(after.username.find('\0') == std::string::npos);
   FUZZ_CHECK(after.password.find('\0') == std::string::npos);
   return 0;
}
