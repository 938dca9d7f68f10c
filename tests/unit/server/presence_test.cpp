#include "notify/server/presence.hpp"

#include <atomic>
#include <gtest/gtest.h>
#include <string>
#include <thread>
#include <vector>

namespace notify::server {
namespace {

TEST(presence, first_join_and_last_leave_are_transitions) {
   presence users;
   EXPECT_TRUE(users.join("alice"));
   EXPECT_FALSE(users.join("alice"));
   EXPECT_TRUE(users.join("bob"));
   EXPECT_EQ(users.users(), 2u);
   EXPECT_EQ(users.connections_of("alice"), 2u);
   EXPECT_EQ(users.connections_of("bob"), 1u);

   EXPECT_FALSE(users.leave("alice"));
   EXPECT_EQ(users.connections_of("alice"), 1u);
   EXPECT_TRUE(users.leave("alice"));
   EXPECT_EQ(users.connections_of("alice"), 0u);
   EXPECT_EQ(users.users(), 1u);

   EXPECT_TRUE(users.join("alice")) << "a user who came back is new again";
}

TEST(presence, leave_of_an_unknown_user_changes_nothing) {
   presence users;
   EXPECT_FALSE(users.leave("ghost"));
   EXPECT_EQ(users.users(), 0u);
   EXPECT_EQ(users.connections_of("ghost"), 0u);
   users.join("alice");
   EXPECT_TRUE(users.leave("alice"));
   EXPECT_FALSE(users.leave("alice")) << "one leave too many";
   EXPECT_TRUE(users.join("alice")) << "the extra leave did not leave a negative count";
}

TEST(presence, keeps_ids_apart_exactly) {
   presence users;
   users.join("a");
   users.join("A");
   users.join(std::string("a\0b", 3));
   EXPECT_EQ(users.users(), 3u);
   EXPECT_EQ(users.connections_of("a"), 1u);
   EXPECT_EQ(users.connections_of(std::string_view("a\0b", 3)), 1u);
   EXPECT_EQ(users.connections_of("b"), 0u);
}

TEST(presence, counts_right_under_concurrent_join_and_leave) {
   presence users;
   constexpr int thread_count = 4;
   constexpr int rounds = 10000;
   std::atomic<int> firsts{0};
   std::atomic<int> lasts{0};
   std::vector<std::thread> threads;
   for (int t = 0; t < thread_count; ++t) {
      threads.emplace_back([&, t] {
         // Each thread churns a shared user and one of its own.
         std::string const own = "own" + std::to_string(t);
         for (int i = 0; i < rounds; ++i) {
            firsts += users.join("shared") ? 1 : 0;
            firsts += users.join(own) ? 1 : 0;
            lasts += users.leave(own) ? 1 : 0;
            lasts += users.leave("shared") ? 1 : 0;
         }
      });
   }
   for (auto& thread : threads) {
      thread.join();
   }
   EXPECT_EQ(users.users(), 0u);
   EXPECT_EQ(users.connections_of("shared"), 0u);
   EXPECT_EQ(firsts.load(), lasts.load()) << "every first join is matched by one last leave";
   EXPECT_GE(firsts.load(), thread_count * rounds) << "each own user joins fresh every round";
}

TEST(presence, keeps_connections_that_were_never_left) {
   presence users;
   std::vector<std::thread> threads;
   for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&users] {
         for (int i = 0; i < 10000; ++i) {
            users.join("u" + std::to_string(i % 100));
         }
      });
   }
   for (auto& thread : threads) {
      thread.join();
   }
   EXPECT_EQ(users.users(), 100u);
   EXPECT_EQ(users.connections_of("u7"), 400u);
}

} // namespace
} // namespace notify::server
