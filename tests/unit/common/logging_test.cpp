#include "notify/common/logging.hpp"

#include <gtest/gtest.h>

namespace notify {
namespace {

TEST(parse_log_level, knows_every_level_the_config_accepts) {
   EXPECT_EQ(parse_log_level("trace"), spdlog::level::trace);
   EXPECT_EQ(parse_log_level("debug"), spdlog::level::debug);
   EXPECT_EQ(parse_log_level("info"), spdlog::level::info);
   EXPECT_EQ(parse_log_level("warn"), spdlog::level::warn);
   EXPECT_EQ(parse_log_level("warning"), spdlog::level::warn);
   EXPECT_EQ(parse_log_level("error"), spdlog::level::err);
   EXPECT_EQ(parse_log_level("critical"), spdlog::level::critical);
   EXPECT_EQ(parse_log_level("off"), spdlog::level::off);
   EXPECT_EQ(parse_log_level("loud"), std::nullopt);
}

TEST(log_rate_limiter, lets_one_event_through_per_interval_and_counts_the_rest) {
   log_rate_limiter limiter(std::chrono::hours(1));
   EXPECT_EQ(limiter.allow(), 0U);
   EXPECT_EQ(limiter.allow(), std::nullopt);
   EXPECT_EQ(limiter.allow(), std::nullopt);
}

} // namespace
} // namespace notify
