#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <spdlog/spdlog.h>
#include <string_view>

namespace notify {

/// Parses a level name ("info", "debug", ...); nullopt when unknown.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// Sets up the process-wide logger: one line per event on stderr, at the given level.
void init_logging(spdlog::level::level_enum level);

/// Lets at most one line per interval through, and tells how many were held back meanwhile, so
/// a flood of bad input cannot flood the log. Safe to share between threads.
class log_rate_limiter {
public:
   explicit log_rate_limiter(std::chrono::milliseconds interval = std::chrono::seconds(1))
       : interval_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(interval).count()) {}

   /// Returns the number of suppressed events since the last allowed one, or nullopt when this
   /// event should not be logged.
   std::optional<std::uint64_t> allow();

private:
   std::int64_t interval_ns_;
   std::atomic<std::int64_t> next_allowed_ns_{0};
   std::atomic<std::uint64_t> suppressed_{0};
};

} // namespace notify
