// The config file body, through the in-memory entry point the file loader itself uses
// (settings_loader::apply_json_text), then the full validation. Only config_error may come out,
// naming a key, with no control bytes (messages go to a terminal; values are escaped for that
// reason); settings that pass validation must keep the rules other modules rely on.

#include "fuzz_support.hpp"
#include "notify/config/loader.hpp"

#include <algorithm>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
   using namespace notify::config;
   settings result;
   try {
      settings_loader loader;
      loader.apply_json_text(notify::fuzz::as_text(data, size), "fuzz.json");
      result = loader.finish();
   } catch (config_error const& error) {
      FUZZ_CHECK(!error.key.empty());
      std::string_view const message = error.what();
      FUZZ_CHECK(std::none_of(message.begin(), message.end(),
                              [](unsigned char c) { return c < 0x20; })); // ESC, CR, ...
      return 0;
   }
   auto const& pattern = result.routing.user_channel_pattern;
   FUZZ_CHECK(std::count(pattern.begin(), pattern.end(), '*') == 1);
   FUZZ_CHECK(result.server.idle_timeout > result.server.ping_interval);
   FUZZ_CHECK(result.server.port >= 1 && result.redis.port >= 1);
   return 0;
}
