#include "notify/server/handshake_rate_limiter.hpp"

#include <gtest/gtest.h>

namespace notify::server {
namespace {

using namespace std::chrono_literals;
using clock = handshake_rate_limiter::clock;

TEST(handshake_rate_limiter, allows_a_burst_then_refuses_until_refilled) {
   handshake_rate_limiter limiter(2, 3);
   auto const t0 = clock::now();
   EXPECT_TRUE(limiter.try_take("10.0.0.1", t0));
   EXPECT_TRUE(limiter.try_take("10.0.0.1", t0));
   EXPECT_TRUE(limiter.try_take("10.0.0.1", t0));
   EXPECT_FALSE(limiter.try_take("10.0.0.1", t0));
   EXPECT_EQ(limiter.seconds_until_next("10.0.0.1", t0), 1U);
   // Two per second: half a second later there is one token again, and only one.
   EXPECT_TRUE(limiter.try_take("10.0.0.1", t0 + 500ms));
   EXPECT_FALSE(limiter.try_take("10.0.0.1", t0 + 500ms));
}

TEST(handshake_rate_limiter, addresses_have_their_own_buckets) {
   handshake_rate_limiter limiter(1, 1);
   auto const t0 = clock::now();
   EXPECT_TRUE(limiter.try_take("10.0.0.1", t0));
   EXPECT_FALSE(limiter.try_take("10.0.0.1", t0));
   EXPECT_TRUE(limiter.try_take("10.0.0.2", t0));
}

TEST(handshake_rate_limiter, refill_never_exceeds_the_burst) {
   handshake_rate_limiter limiter(100, 2);
   auto const t0 = clock::now();
   EXPECT_TRUE(limiter.try_take("a", t0));
   auto const later = t0 + 1h;
   EXPECT_TRUE(limiter.try_take("a", later));
   EXPECT_TRUE(limiter.try_take("a", later));
   EXPECT_FALSE(limiter.try_take("a", later));
}

TEST(handshake_rate_limiter, zero_rate_disables_it) {
   handshake_rate_limiter limiter(0, 1);
   EXPECT_FALSE(limiter.enabled());
   for (int i = 0; i < 100; ++i) {
      EXPECT_TRUE(limiter.try_take("a", clock::now()));
   }
   EXPECT_EQ(limiter.tracked_addresses(), 0U);
}

TEST(handshake_rate_limiter, a_full_table_forgets_refilled_buckets_and_stays_bounded) {
   handshake_rate_limiter limiter(1, 1, 3);
   auto const t0 = clock::now();
   for (auto const* address : {"a", "b", "c"}) {
      EXPECT_TRUE(limiter.try_take(address, t0));
   }
   // Full of active buckets: a new address is let through untracked.
   EXPECT_TRUE(limiter.try_take("d", t0));
   EXPECT_TRUE(limiter.try_take("d", t0));
   EXPECT_EQ(limiter.tracked_addresses(), 3U);
   // Later the old buckets have refilled, carry nothing, and make room.
   EXPECT_TRUE(limiter.try_take("d", t0 + 5s));
   EXPECT_EQ(limiter.tracked_addresses(), 1U);
   EXPECT_FALSE(limiter.try_take("d", t0 + 5s));
}

} // namespace
} // namespace notify::server
