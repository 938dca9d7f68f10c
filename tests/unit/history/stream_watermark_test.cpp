#include "notify/history/stream_watermark.hpp"

#include <gtest/gtest.h>

namespace notify::history {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds day = 24h;
const auto now = std::chrono::system_clock::time_point(1'800'000'000'000ms);
constexpr std::uint64_t now_ms = 1'800'000'000'000;

TEST(stream_watermark, knows_nothing_until_it_sees_the_stream) {
   stream_watermark watermark;
   EXPECT_EQ(watermark.start_position(day, now), std::nullopt);
   watermark.observe(stream_id{});
   EXPECT_EQ(watermark.start_position(day, now), stream_id{}) << "an empty stream is a position";
}

TEST(stream_watermark, keeps_the_newest_it_saw_in_any_order) {
   stream_watermark watermark;
   watermark.observe({now_ms - 10, 0});
   watermark.observe({now_ms - 5, 1});
   watermark.observe({now_ms - 8, 0}); // a read's answer overtaken by live messages
   EXPECT_EQ(watermark.start_position(day, now), (stream_id{now_ms - 5, 1}));
}

TEST(stream_watermark, forgets_when_the_link_is_lost) {
   stream_watermark watermark;
   watermark.observe({now_ms, 0});
   watermark.forget();
   EXPECT_EQ(watermark.start_position(day, now), std::nullopt);
}

TEST(stream_watermark, a_stream_that_may_have_expired_needs_a_read) {
   stream_watermark watermark;
   watermark.observe({now_ms - std::uint64_t{23} * 3'600'000, 0});
   EXPECT_TRUE(watermark.start_position(day, now).has_value());
   watermark.observe({now_ms - day.count() + 30'000, 0}); // within the clock margin
   EXPECT_TRUE(watermark.start_position(day, now).has_value()) << "newer one counts";
   stream_watermark old;
   old.observe({now_ms - day.count() + 30'000, 0});
   EXPECT_EQ(old.start_position(day, now), std::nullopt);
   old.observe({now_ms - day.count() - 1, 0});
   EXPECT_EQ(old.start_position(day, now), std::nullopt);
}

TEST(stream_watermark, ids_from_a_clock_ahead_of_ours_are_current) {
   EXPECT_TRUE(still_current({now_ms + 5'000, 0}, day, now));
   EXPECT_TRUE(still_current({UINT64_MAX, UINT64_MAX}, day, now));
}

TEST(stream_watermark, an_age_bound_within_the_clock_margin_always_reads) {
   EXPECT_FALSE(still_current({now_ms, 0}, 60s, now));
   EXPECT_TRUE(still_current(stream_id{}, 60s, now));
}

} // namespace
} // namespace notify::history
