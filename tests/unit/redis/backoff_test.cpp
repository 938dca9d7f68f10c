#include "notify/redis/backoff.hpp"

#include <gtest/gtest.h>
#include <set>

namespace notify::redis {
namespace {

using namespace std::chrono_literals;

TEST(backoff, first_delay_is_about_the_initial_delay) {
   for (std::uint64_t seed = 0; seed < 50; ++seed) {
      backoff policy(50ms, 2000ms, seed);
      auto const first = policy.next();
      EXPECT_GE(first, 25ms);
      EXPECT_LE(first, 50ms);
   }
}

TEST(backoff, doubles_within_jitter_until_the_cap) {
   backoff policy(50ms, 2000ms, 7);
   auto base = 50ms;
   for (int attempt = 0; attempt < 20; ++attempt) {
      auto const delay = policy.next();
      EXPECT_GE(delay, base - base / 2) << "attempt " << attempt;
      EXPECT_LE(delay, base) << "attempt " << attempt;
      EXPECT_LE(delay, 2000ms);
      base = std::min(base * 2, std::chrono::milliseconds(2000ms));
   }
}

TEST(backoff, reaches_the_cap_and_stays_below_it) {
   backoff policy(50ms, 2000ms, 11);
   for (int i = 0; i < 6; ++i) {
      policy.next();
   }
   for (int i = 0; i < 1000; ++i) {
      auto const delay = policy.next();
      EXPECT_GE(delay, 1000ms);
      EXPECT_LE(delay, 2000ms);
   }
}

TEST(backoff, is_jittered_and_reproducible_per_seed) {
   std::set<long long> firsts;
   for (std::uint64_t seed = 0; seed < 100; ++seed) {
      firsts.insert(backoff(1000ms, 2000ms, seed).next().count());
   }
   EXPECT_GT(firsts.size(), 20u) << "delays must be spread, not synchronised";

   backoff a(50ms, 2000ms, 42);
   backoff b(50ms, 2000ms, 42);
   for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(a.next(), b.next());
   }
}

TEST(backoff, reset_starts_over_from_the_initial_delay) {
   backoff policy(50ms, 2000ms, 3);
   for (int i = 0; i < 10; ++i) {
      policy.next();
   }
   policy.reset();
   auto const delay = policy.next();
   EXPECT_GE(delay, 25ms);
   EXPECT_LE(delay, 50ms);
}

TEST(backoff, survives_a_very_long_outage_without_overflow) {
   backoff policy(1ms, std::chrono::hours(24), 5);
   for (int i = 0; i < 10000; ++i) {
      auto const delay = policy.next();
      ASSERT_GE(delay, 1ms);
      ASSERT_LE(delay, std::chrono::hours(24));
   }
}

TEST(backoff, clamps_nonsensical_settings) {
   backoff zero(0ms, 0ms, 1);
   EXPECT_EQ(zero.next(), 1ms) << "never a zero delay: that would spin";
   backoff inverted(100ms, 10ms, 1);
   EXPECT_LE(inverted.next(), 100ms);
   EXPECT_EQ(inverted.cap(), 100ms);
}

} // namespace
} // namespace notify::redis
