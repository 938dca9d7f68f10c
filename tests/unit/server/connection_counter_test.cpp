#include "notify/server/connection_counter.hpp"

#include <gtest/gtest.h>

namespace notify::server {
namespace {

TEST(connection_counter, allows_up_to_the_limit_per_key_and_frees_on_release) {
   connection_counter counter;
   EXPECT_TRUE(counter.try_acquire("10.0.0.1", 2));
   EXPECT_TRUE(counter.try_acquire("10.0.0.1", 2));
   EXPECT_FALSE(counter.try_acquire("10.0.0.1", 2));
   EXPECT_TRUE(counter.try_acquire("10.0.0.2", 2)) << "keys are counted apart";
   counter.release("10.0.0.1");
   EXPECT_EQ(counter.count("10.0.0.1"), 1U);
   EXPECT_TRUE(counter.try_acquire("10.0.0.1", 2));
   counter.release("unknown"); // harmless
   EXPECT_EQ(counter.count("unknown"), 0U);
}

TEST(connection_counter, a_refused_key_leaves_no_entry_behind) {
   connection_counter counter;
   EXPECT_FALSE(counter.try_acquire("x", 0));
   EXPECT_EQ(counter.count("x"), 0U);
}

} // namespace
} // namespace notify::server
