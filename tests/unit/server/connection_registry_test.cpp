#include "notify/server/connection_registry.hpp"
#include "notify/ws/frame.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace notify::server {
namespace {

/// Records what the registry hands it, so tests can see who got which frame.
class recording_member final : public registry_member {
public:
   void deliver(const routing::notification& message) override {
      received.push_back(message.frame);
   }
   std::vector<ws::shared_frame> received;
};

routing::notification some_frame(std::string_view text = "x") {
   return {{}, ws::make_frame(ws::opcode::text, text), nullptr, std::nullopt};
}

TEST(connection_registry, starts_empty) {
   connection_registry registry;
   EXPECT_EQ(registry.size(), 0u);
   EXPECT_EQ(registry.authenticated_size(), 0u);
   EXPECT_EQ(registry.users(), 0u);
   EXPECT_EQ(registry.deliver_to_all(some_frame()), 0u);
   EXPECT_EQ(registry.deliver_to_user("42", some_frame()), 0u);
}

TEST(connection_registry, added_members_get_nothing_until_authenticated) {
   connection_registry registry;
   recording_member member;
   registry.add(member);
   EXPECT_EQ(registry.size(), 1u);
   EXPECT_FALSE(member.authenticated());
   EXPECT_EQ(registry.deliver_to_all(some_frame()), 0u);
   EXPECT_EQ(registry.deliver_to_user("", some_frame()), 0u);
   EXPECT_TRUE(member.received.empty());

   registry.authenticate(member, "42");
   EXPECT_TRUE(member.authenticated());
   EXPECT_EQ(member.user_id(), "42");
   EXPECT_EQ(registry.size(), 1u);
   EXPECT_EQ(registry.authenticated_size(), 1u);
   auto const frame = some_frame();
   EXPECT_EQ(registry.deliver_to_user("42", frame), 1u);
   EXPECT_EQ(registry.deliver_to_all(frame), 1u);
   ASSERT_EQ(member.received.size(), 2u);
   EXPECT_EQ(member.received[0], frame.frame) << "the same shared frame, not a copy";
   EXPECT_EQ(member.received[1], frame.frame);
}

TEST(connection_registry, add_twice_is_harmless) {
   connection_registry registry;
   recording_member member;
   registry.add(member);
   registry.add(member);
   EXPECT_EQ(registry.size(), 1u);
   registry.authenticate(member, "a");
   registry.add(member);
   EXPECT_EQ(registry.size(), 1u);
   EXPECT_EQ(registry.deliver_to_all(some_frame()), 1u);
   EXPECT_EQ(member.received.size(), 1u);
}

TEST(connection_registry, authenticate_without_add_registers_the_member) {
   connection_registry registry;
   recording_member member;
   registry.authenticate(member, "a");
   EXPECT_EQ(registry.size(), 1u);
   EXPECT_EQ(registry.deliver_to_user("a", some_frame()), 1u);
   registry.remove(member);
   EXPECT_EQ(registry.size(), 0u);
   EXPECT_EQ(registry.users(), 0u);
}

TEST(connection_registry, authenticate_twice_keeps_the_first_user) {
   connection_registry registry;
   recording_member member;
   registry.add(member);
   registry.authenticate(member, "a");
   registry.authenticate(member, "b");
   EXPECT_EQ(member.user_id(), "a");
   EXPECT_EQ(registry.authenticated_size(), 1u);
   EXPECT_EQ(registry.users(), 1u);
   EXPECT_EQ(registry.deliver_to_user("a", some_frame()), 1u);
   EXPECT_EQ(registry.deliver_to_user("b", some_frame()), 0u);
   EXPECT_EQ(member.received.size(), 1u) << "delivered once, not twice";
}

TEST(connection_registry, remove_twice_is_safe) {
   connection_registry registry;
   recording_member a, b;
   registry.authenticate(a, "a");
   registry.authenticate(b, "b");
   registry.remove(a);
   registry.remove(a);
   EXPECT_EQ(registry.size(), 1u);
   EXPECT_EQ(registry.authenticated_size(), 1u);
   EXPECT_EQ(registry.users(), 1u);
   EXPECT_EQ(registry.deliver_to_all(some_frame()), 1u);
   EXPECT_TRUE(a.received.empty());
   EXPECT_EQ(b.received.size(), 1u);
}

TEST(connection_registry, remove_of_a_member_never_added_is_safe) {
   connection_registry registry;
   recording_member stranger, member;
   registry.authenticate(member, "m");
   registry.remove(stranger);
   registry.revoke(stranger);
   EXPECT_EQ(registry.size(), 1u);
   EXPECT_EQ(registry.deliver_to_all(some_frame()), 1u);
}

TEST(connection_registry, remove_before_authenticate_then_authenticate_again) {
   connection_registry registry;
   recording_member member;
   registry.add(member);
   registry.remove(member);
   EXPECT_EQ(registry.size(), 0u);
   registry.authenticate(member, "late");
   EXPECT_EQ(registry.size(), 1u);
   EXPECT_EQ(registry.deliver_to_user("late", some_frame()), 1u);
}

TEST(connection_registry, revoke_keeps_the_member_but_stops_delivery) {
   connection_registry registry;
   recording_member closing, staying;
   registry.authenticate(closing, "u");
   registry.authenticate(staying, "u");
   registry.revoke(closing);
   EXPECT_EQ(registry.size(), 2u) << "still registered until it is removed";
   EXPECT_EQ(registry.authenticated_size(), 1u);
   EXPECT_FALSE(closing.authenticated());
   EXPECT_EQ(registry.users(), 1u);
   EXPECT_EQ(registry.deliver_to_user("u", some_frame()), 1u);
   EXPECT_EQ(registry.deliver_to_all(some_frame()), 1u);
   EXPECT_TRUE(closing.received.empty());
   EXPECT_EQ(staying.received.size(), 2u);

   registry.revoke(closing);
   registry.remove(closing);
   EXPECT_EQ(registry.size(), 1u);
   registry.revoke(staying);
   EXPECT_EQ(registry.users(), 0u) << "the user's last session was revoked";
   EXPECT_EQ(registry.deliver_to_user("u", some_frame()), 0u);
}

TEST(connection_registry, delivers_to_every_session_of_a_user_and_nobody_else) {
   connection_registry registry;
   recording_member alice_phone, alice_laptop, bob, pending;
   registry.authenticate(alice_phone, "alice");
   registry.authenticate(bob, "bob");
   registry.add(pending);
   registry.authenticate(alice_laptop, "alice");
   EXPECT_EQ(registry.users(), 2u);

   auto const frame = some_frame("for alice");
   EXPECT_EQ(registry.deliver_to_user("alice", frame), 2u);
   ASSERT_EQ(alice_phone.received.size(), 1u);
   ASSERT_EQ(alice_laptop.received.size(), 1u);
   EXPECT_EQ(alice_phone.received[0], frame.frame);
   EXPECT_TRUE(bob.received.empty());
   EXPECT_TRUE(pending.received.empty());

   EXPECT_EQ(registry.deliver_to_user("ALICE", frame), 0u) << "ids are case-sensitive";
   EXPECT_EQ(registry.deliver_to_user("alic", frame), 0u);
}

TEST(connection_registry, delivers_to_all_only_authenticated_members) {
   connection_registry registry;
   recording_member a, b, pending1, pending2;
   registry.add(pending1);
   registry.authenticate(a, "a");
   registry.add(pending2);
   registry.authenticate(b, "b");
   EXPECT_EQ(registry.deliver_to_all(some_frame()), 2u);
   EXPECT_EQ(a.received.size(), 1u);
   EXPECT_EQ(b.received.size(), 1u);
   EXPECT_TRUE(pending1.received.empty());
   EXPECT_TRUE(pending2.received.empty());
}

TEST(connection_registry, removal_from_the_middle_keeps_the_others_reachable) {
   connection_registry registry;
   std::vector<std::unique_ptr<recording_member>> members;
   for (int i = 0; i < 5; ++i) {
      members.push_back(std::make_unique<recording_member>());
      registry.authenticate(*members.back(), "user" + std::to_string(i % 2));
   }
   registry.remove(*members[2]);
   registry.remove(*members[0]);
   EXPECT_EQ(registry.size(), 3u);
   EXPECT_EQ(registry.deliver_to_all(some_frame()), 3u);
   EXPECT_EQ(registry.deliver_to_user("user0", some_frame()), 1u); // member 4
   EXPECT_EQ(registry.deliver_to_user("user1", some_frame()), 2u); // members 1, 3
   EXPECT_EQ(members[0]->received.size(), 0u);
   EXPECT_EQ(members[1]->received.size(), 2u);
   EXPECT_EQ(members[2]->received.size(), 0u);
   EXPECT_EQ(members[3]->received.size(), 2u);
   EXPECT_EQ(members[4]->received.size(), 2u);
}

TEST(connection_registry, walk_from_the_back_may_remove_the_current_member) {
   connection_registry registry;
   std::vector<std::unique_ptr<recording_member>> members;
   for (int i = 0; i < 6; ++i) {
      members.push_back(std::make_unique<recording_member>());
      registry.add(*members.back());
   }
   std::set<registry_member*> visited;
   for (std::size_t i = registry.size(); i-- > 0;) {
      auto* member = registry.at(i);
      EXPECT_TRUE(visited.insert(member).second) << "visited twice";
      registry.remove(*member);
   }
   EXPECT_EQ(visited.size(), 6u);
   EXPECT_EQ(registry.size(), 0u);
}

/// The registry must agree with a naive model after any sequence of operations.
TEST(connection_registry, matches_a_simple_model_under_random_operations) {
   constexpr int member_count = 40;
   constexpr int user_count = 6;
   std::mt19937 random(12345);
   connection_registry registry;
   std::vector<std::unique_ptr<recording_member>> members;
   for (int i = 0; i < member_count; ++i) {
      members.push_back(std::make_unique<recording_member>());
   }
   // Model: per member, whether it is added and which user it is authenticated as (if any).
   std::vector<bool> added(member_count, false);
   std::vector<std::string> user_of(member_count);

   for (int step = 0; step < 1000; ++step) {
      int const index = static_cast<int>(random() % member_count);
      auto& member = *members[index];
      switch (random() % 5) {
      case 0:
         registry.add(member);
         added[index] = true;
         break;
      case 1: {
         auto user = "u" + std::to_string(random() % user_count);
         registry.authenticate(member, user);
         added[index] = true;
         if (user_of[index].empty()) {
            user_of[index] = user;
         }
         break;
      }
      case 2:
         registry.revoke(member);
         user_of[index].clear();
         break;
      default:
         registry.remove(member);
         added[index] = false;
         user_of[index].clear();
         break;
      }

      std::size_t expected_size = 0, expected_authenticated = 0;
      std::set<std::string> expected_users;
      for (int i = 0; i < member_count; ++i) {
         expected_size += added[i] ? 1 : 0;
         if (!user_of[i].empty()) {
            ++expected_authenticated;
            expected_users.insert(user_of[i]);
         }
      }
      ASSERT_EQ(registry.size(), expected_size) << "step " << step;
      ASSERT_EQ(registry.authenticated_size(), expected_authenticated) << "step " << step;
      ASSERT_EQ(registry.users(), expected_users.size()) << "step " << step;

      if (step % 10 != 0) {
         continue;
      }
      // Every registered member appears exactly once in the index walk.
      std::set<registry_member*> walked;
      for (std::size_t i = 0; i < registry.size(); ++i) {
         ASSERT_TRUE(walked.insert(registry.at(i)).second) << "step " << step;
      }
      for (int i = 0; i < member_count; ++i) {
         ASSERT_EQ(walked.contains(members[i].get()), added[i]) << "step " << step;
      }
      // Each delivery reaches exactly the model's recipients, once each.
      for (auto& m : members) {
         m->received.clear();
      }
      auto const frame = some_frame();
      ASSERT_EQ(registry.deliver_to_all(frame), expected_authenticated);
      for (int u = 0; u < user_count; ++u) {
         auto const user = "u" + std::to_string(u);
         auto const expected = std::count(user_of.begin(), user_of.end(), user);
         ASSERT_EQ(registry.deliver_to_user(user, frame), static_cast<std::size_t>(expected));
      }
      for (int i = 0; i < member_count; ++i) {
         std::size_t const expected = user_of[i].empty() ? 0 : 2;
         ASSERT_EQ(members[i]->received.size(), expected) << "member " << i << " step " << step;
         ASSERT_EQ(members[i]->authenticated(), !user_of[i].empty());
         if (!user_of[i].empty()) {
            ASSERT_EQ(members[i]->user_id(), user_of[i]);
         }
      }
   }
}

} // namespace
} // namespace notify::server

namespace notify::server {
namespace {

TEST(connection_registry, reports_a_users_first_and_last_connection_on_the_shard) {
   connection_registry registry;
   recording_member first;
   recording_member second;
   recording_member other;
   EXPECT_TRUE(registry.authenticate(first, "42"));
   EXPECT_FALSE(registry.authenticate(second, "42"));
   EXPECT_TRUE(registry.authenticate(other, "7"));
   EXPECT_FALSE(registry.authenticate(first, "42")) << "already authenticated";
   EXPECT_FALSE(registry.revoke(first));
   EXPECT_TRUE(registry.revoke(second));
   EXPECT_FALSE(registry.revoke(second)) << "revoking twice reports nothing";
   registry.remove(other);
   EXPECT_EQ(registry.users(), 0U);
}

} // namespace
} // namespace notify::server
