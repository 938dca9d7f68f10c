#include "notify/redis/hash_slot.hpp"

#include <gtest/gtest.h>

namespace notify::redis {
namespace {

// Values from CLUSTER KEYSLOT on Redis 7.0 and the cluster specification.
TEST(hash_slot, matches_redis_cluster) {
   EXPECT_EQ(hash_slot("123456789"), 0x31C3 % cluster_slots);
   EXPECT_EQ(hash_slot("foo"), 12182);
   EXPECT_EQ(hash_slot("bar"), 5061);
   EXPECT_EQ(hash_slot("somekey"), 11058);
   EXPECT_EQ(hash_slot("foo{hash_tag}"), 2515);
}

TEST(hash_slot, uses_the_first_non_empty_hash_tag) {
   EXPECT_EQ(hash_slot("{user1000}.following"), hash_slot("{user1000}.followers"));
   EXPECT_EQ(hash_slot("{user1000}.following"), hash_slot("user1000"));
   EXPECT_NE(hash_slot("foo{}{bar}"), hash_slot("bar"));
   EXPECT_EQ(hash_slot("foo{{bar}}zap"), hash_slot("{bar"));
   EXPECT_EQ(hash_slot("foo{bar}{zap}"), hash_slot("bar"));
}

} // namespace
} // namespace notify::redis
