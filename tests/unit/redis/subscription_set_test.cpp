#include "notify/redis/subscription_set.hpp"

#include <gtest/gtest.h>

namespace notify::redis {
namespace {

using commands = std::vector<std::vector<std::string>>;

TEST(subscription_set, empty_set_has_no_commands) {
   subscription_set set;
   EXPECT_TRUE(set.empty());
   EXPECT_TRUE(set.commands().empty());
   EXPECT_EQ(set.expected_confirmations(), 0u);
}

TEST(subscription_set, builds_one_command_per_kind) {
   subscription_set set;
   EXPECT_TRUE(set.add_pattern("user:*:notifications"));
   EXPECT_TRUE(set.add_channel("global_notifications"));
   EXPECT_TRUE(set.add_channel("other"));
   EXPECT_EQ(set.commands(), (commands{{"SUBSCRIBE", "global_notifications", "other"},
                                       {"PSUBSCRIBE", "user:*:notifications"}}));
   EXPECT_EQ(set.expected_confirmations(), 3u);
}

TEST(subscription_set, ignores_duplicates) {
   subscription_set set;
   EXPECT_TRUE(set.add_channel("a"));
   EXPECT_FALSE(set.add_channel("a"));
   EXPECT_TRUE(set.add_pattern("a")) << "a pattern and a channel are different things";
   EXPECT_EQ(set.expected_confirmations(), 2u);
   EXPECT_EQ(set.commands(), (commands{{"SUBSCRIBE", "a"}, {"PSUBSCRIBE", "a"}}));
}

TEST(subscription_set, removes_names) {
   subscription_set set;
   set.add_channel("a");
   set.add_channel("b");
   set.add_pattern("p*");
   EXPECT_TRUE(set.remove_channel("a"));
   EXPECT_FALSE(set.remove_channel("a"));
   EXPECT_TRUE(set.remove_pattern("p*"));
   EXPECT_FALSE(set.remove_pattern("p*"));
   EXPECT_EQ(set.commands(), (commands{{"SUBSCRIBE", "b"}}));
   EXPECT_EQ(set.expected_confirmations(), 1u);
}

TEST(subscription_set, keeps_binary_names_intact) {
   subscription_set set;
   std::string const name("a\0b c\r\n", 7);
   set.add_channel(name);
   ASSERT_EQ(set.commands().size(), 1u);
   EXPECT_EQ(set.commands()[0][1], name);
}

} // namespace
} // namespace notify::redis
