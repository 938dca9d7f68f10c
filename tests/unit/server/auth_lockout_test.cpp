#include "notify/server/auth_lockout.hpp"

#include <gtest/gtest.h>

namespace notify::server {
namespace {

using namespace std::chrono_literals;
using clock = auth_lockout::clock;

TEST(auth_lockout, locks_after_max_failures_for_the_lockout_time) {
   auth_lockout lockout(3, 900s);
   auto const t0 = clock::now();
   EXPECT_FALSE(lockout.tracking_any());
   EXPECT_FALSE(lockout.record_failure("10.0.0.1", t0));
   EXPECT_FALSE(lockout.record_failure("10.0.0.1", t0 + 1s));
   EXPECT_TRUE(lockout.tracking_any());
   EXPECT_EQ(lockout.locked_for("10.0.0.1", t0 + 2s), 0s);
   EXPECT_TRUE(lockout.record_failure("10.0.0.1", t0 + 2s));
   EXPECT_EQ(lockout.locked_for("10.0.0.1", t0 + 2s), 900s);
   EXPECT_EQ(lockout.locked_for("10.0.0.1", t0 + 2s + 899s), 1s);
   EXPECT_EQ(lockout.locked_for("10.0.0.1", t0 + 2s + 900s), 0s);
   EXPECT_EQ(lockout.locked_for("10.0.0.2", t0 + 2s), 0s);
}

TEST(auth_lockout, failures_older_than_the_window_are_forgotten) {
   auth_lockout lockout(2, 60s);
   auto const t0 = clock::now();
   EXPECT_FALSE(lockout.record_failure("a", t0));
   EXPECT_FALSE(lockout.record_failure("a", t0 + 61s)); // a new window
   EXPECT_TRUE(lockout.record_failure("a", t0 + 62s));
}

TEST(auth_lockout, a_success_forgets_the_failures) {
   auth_lockout lockout(2, 60s);
   auto const t0 = clock::now();
   EXPECT_FALSE(lockout.record_failure("a", t0));
   lockout.record_success("a");
   EXPECT_FALSE(lockout.tracking_any());
   EXPECT_FALSE(lockout.record_failure("a", t0 + 1s));
}

TEST(auth_lockout, zero_max_failures_disables_it) {
   auth_lockout lockout(0, 60s);
   auto const t0 = clock::now();
   for (int i = 0; i < 20; ++i) {
      EXPECT_FALSE(lockout.record_failure("a", t0));
   }
   EXPECT_EQ(lockout.locked_for("a", t0), 0s);
   EXPECT_EQ(lockout.tracked_addresses(), 0U);
}

TEST(auth_lockout, the_table_is_bounded) {
   auth_lockout lockout(5, 60s, 2);
   auto const t0 = clock::now();
   lockout.record_failure("a", t0);
   lockout.record_failure("b", t0);
   lockout.record_failure("c", t0); // not tracked: the table is full of live entries
   EXPECT_EQ(lockout.tracked_addresses(), 2U);
   lockout.record_failure("c", t0 + 61s); // the old entries expired and make room
   EXPECT_EQ(lockout.tracked_addresses(), 1U);
}

} // namespace
} // namespace notify::server
