#include "notify/common/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace notify {

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
   for (int level = spdlog::level::trace; level < spdlog::level::n_levels; ++level) {
      auto const candidate = static_cast<spdlog::level::level_enum>(level);
      auto const view = spdlog::level::to_string_view(candidate);
      if (std::string_view(view.data(), view.size()) == name) {
         return candidate;
      }
   }
   // spdlog spells it "warning"; our settings (and most people) say "warn".
   if (name == "warn" || name == "warning") {
      return spdlog::level::warn;
   }
   return std::nullopt;
}

void init_logging(spdlog::level::level_enum level) {
   auto logger = spdlog::stderr_color_mt("notify");
   logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
   logger->set_level(level);
   logger->flush_on(spdlog::level::info);
   spdlog::set_default_logger(std::move(logger));
}

std::optional<std::uint64_t> log_rate_limiter::allow() {
   auto const now = std::chrono::steady_clock::now().time_since_epoch().count();
   auto next = next_allowed_ns_.load(std::memory_order_relaxed);
   if (now < next || !next_allowed_ns_.compare_exchange_strong(next, now + interval_ns_,
                                                               std::memory_order_relaxed)) {
      suppressed_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
   }
   return suppressed_.exchange(0, std::memory_order_relaxed);
}

} // namespace notify
