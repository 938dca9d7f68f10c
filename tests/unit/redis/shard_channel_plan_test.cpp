#include "notify/redis/shard_channel_plan.hpp"
#include "reply_builders.hpp"

#include <gtest/gtest.h>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace notify::redis {
namespace {

using namespace std::chrono_literals;
using clock_type = shard_channel_plan::clock;

using namespace test_replies;

/// Masters on the given ports, splitting the slots at the given boundaries.
cluster_topology topology_of(std::vector<std::pair<std::uint16_t, long long>> port_and_last_slot) {
   std::vector<reply> ranges;
   long long first = 0;
   for (auto const& [port, last] : port_and_last_slot) {
      ranges.push_back(array(
          {integer(first), integer(last), array({text("127.0.0.1"), integer(port), text("id")})}));
      first = last + 1;
   }
   std::string why;
   auto topology = cluster_topology::from_cluster_slots(array(std::move(ranges)), "127.0.0.1", why);
   EXPECT_TRUE(topology) << why;
   return *topology;
}

cluster_topology three_masters() {
   return topology_of({{7000, 5460}, {7001, 10922}, {7002, 16383}});
}

std::string channel_of(int user) {
   return "{user:" + std::to_string(user) + "}:notifications";
}

/// Every channel named in the commands, checking each command stays within one slot.
std::set<std::string> channels_in(std::vector<shard_channel_plan::command> const& commands,
                                  std::string_view verb) {
   std::set<std::string> out;
   for (auto const& cmd : commands) {
      if (cmd.front() != verb) {
         continue;
      }
      for (std::size_t i = 1; i < cmd.size(); ++i) {
         EXPECT_EQ(hash_slot(cmd[i]), hash_slot(cmd[1])) << "one command spans two slots";
         out.insert(cmd[i]);
      }
   }
   return out;
}

TEST(shard_channel_plan, each_channel_is_subscribed_once_on_the_master_of_its_slot) {
   auto const topology = three_masters();
   shard_channel_plan plan(2s);
   auto const now = clock_type::now();
   for (int user = 0; user < 300; ++user) {
      plan.acquire(channel_of(user));
      plan.acquire(channel_of(user)); // a second tab: no second subscribe
   }
   auto const commands = plan.take_commands(topology, now);
   std::size_t total = 0;
   for (auto const& [master, list] : commands) {
      for (auto const& channel : channels_in(list, "SSUBSCRIBE")) {
         EXPECT_EQ(topology.master_of_slot(hash_slot(channel)), master) << channel;
         ++total;
      }
   }
   EXPECT_EQ(total, 300U);
   EXPECT_TRUE(plan.take_commands(topology, now).empty()) << "nothing new: nothing to send";
}

TEST(shard_channel_plan, flaps_within_the_delay_send_nothing_and_the_last_leave_unsubscribes) {
   auto const topology = three_masters();
   shard_channel_plan plan(2s);
   auto const start = clock_type::now();
   plan.acquire(channel_of(1));
   ASSERT_EQ(plan.take_commands(topology, start).size(), 1U);
   for (int flap = 0; flap < 10; ++flap) {
      plan.release(channel_of(1), start + std::chrono::milliseconds(100 * flap));
      plan.acquire(channel_of(1));
      EXPECT_TRUE(
          plan.take_commands(topology, start + std::chrono::milliseconds(100 * flap + 50)).empty());
   }
   plan.release(channel_of(1), start + 3s);
   EXPECT_TRUE(plan.take_commands(topology, start + 4s).empty()) << "still within the delay";
   auto const later = plan.take_commands(topology, start + 5100ms);
   ASSERT_EQ(later.size(), 1U);
   EXPECT_EQ(channels_in(later.begin()->second, "SUNSUBSCRIBE"),
             std::set<std::string>{channel_of(1)});
   EXPECT_FALSE(plan.wanted(channel_of(1)));
   EXPECT_EQ(plan.channel_count(), 0U) << "forgotten once unsubscribed";
}

TEST(shard_channel_plan, releases_are_unsubscribed_in_the_order_their_delay_ends) {
   auto const topology = three_masters();
   shard_channel_plan plan(2s);
   auto const start = clock_type::now();
   for (int user = 0; user < 3; ++user) {
      plan.acquire(channel_of(user));
   }
   ASSERT_FALSE(plan.take_commands(topology, start).empty());
   plan.release(channel_of(0), start);
   plan.release(channel_of(1), start + 1s);
   plan.release(channel_of(2), start + 1500ms);
   // Dropped by Redis while waiting: looked at now, but still unsubscribed only when due.
   plan.lost(channel_of(2));
   EXPECT_TRUE(plan.take_commands(topology, start + 1600ms).empty());
   auto unsubscribed = [&](clock_type::time_point at) {
      std::set<std::string> out;
      for (auto const& [master, commands] : plan.take_commands(topology, at)) {
         auto const some = channels_in(commands, "SUNSUBSCRIBE");
         out.insert(some.begin(), some.end());
      }
      return out;
   };
   EXPECT_EQ(unsubscribed(start + 2100ms), std::set<std::string>{channel_of(0)});
   EXPECT_EQ(unsubscribed(start + 3100ms), std::set<std::string>{channel_of(1)});
   // Its link dropped it already, so nothing is sent; it is forgotten all the same.
   EXPECT_TRUE(unsubscribed(start + 3600ms).empty());
   EXPECT_EQ(plan.channel_count(), 0U);
   EXPECT_FALSE(plan.has_queued());
}

TEST(shard_channel_plan, a_channel_redis_dropped_is_subscribed_again) {
   auto const topology = three_masters();
   shard_channel_plan plan(0ms);
   auto const now = clock_type::now();
   plan.acquire(channel_of(1));
   plan.acquire(channel_of(2));
   plan.take_commands(topology, now);
   plan.lost(channel_of(1)); // a sunsubscribe pushed by Redis
   auto const again = plan.take_commands(topology, now);
   ASSERT_EQ(again.size(), 1U);
   EXPECT_EQ(channels_in(again.begin()->second, "SSUBSCRIBE"),
             std::set<std::string>{channel_of(1)});
}

TEST(shard_channel_plan, after_a_slot_moves_its_channels_are_subscribed_on_the_new_owner) {
   shard_channel_plan plan(0ms);
   auto const now = clock_type::now();
   for (int user = 0; user < 100; ++user) {
      plan.acquire(channel_of(user));
   }
   plan.take_commands(three_masters(), now);
   // Slots 5000..5460 move from 7000 to 7001; the new topology lists the masters in another order.
   auto const moved_topology =
       topology_of({{7002, 1000}, {7000, 4999}, {7001, 10922}, {7002, 16383}});
   auto const moved = plan.adopt(moved_topology);
   std::set<std::string> expected_moved;
   auto const old = three_masters();
   for (int user = 0; user < 100; ++user) {
      auto const channel = channel_of(user);
      auto const slot = hash_slot(channel);
      if (old.masters()[*old.master_of_slot(slot)] !=
          moved_topology.masters()[*moved_topology.master_of_slot(slot)]) {
         expected_moved.insert(channel);
      }
   }
   ASSERT_FALSE(expected_moved.empty()) << "the test needs users in the moved slots";
   EXPECT_EQ(std::set<std::string>(moved.begin(), moved.end()), expected_moved);
   std::set<std::string> resubscribed;
   for (auto const& [master, list] : plan.take_commands(moved_topology, now)) {
      for (auto const& channel : channels_in(list, "SSUBSCRIBE")) {
         EXPECT_EQ(moved_topology.master_of_slot(hash_slot(channel)), master);
         resubscribed.insert(channel);
      }
   }
   EXPECT_EQ(resubscribed, expected_moved);
}

TEST(shard_channel_plan, a_lost_master_link_loses_only_its_channels) {
   auto const topology = three_masters();
   shard_channel_plan plan(0ms);
   auto const now = clock_type::now();
   for (int user = 0; user < 60; ++user) {
      plan.acquire(channel_of(user));
   }
   plan.take_commands(topology, now);
   plan.lost_node(topology.masters()[1]);
   auto const again = plan.take_commands(topology, now);
   ASSERT_EQ(again.size(), 1U);
   EXPECT_EQ(again.begin()->first, 1U);
   for (int user = 0; user < 60; ++user) {
      EXPECT_TRUE(plan.subscribed(channel_of(user)));
   }
}

TEST(shard_channel_plan, a_slot_without_a_master_waits_for_one) {
   shard_channel_plan plan(0ms);
   auto const now = clock_type::now();
   auto const partial = topology_of({{7000, 100}});
   int outside = 0;
   while (hash_slot(channel_of(outside)) <= 100) {
      ++outside;
   }
   plan.acquire(channel_of(outside));
   EXPECT_TRUE(plan.take_commands(partial, now).empty());
   EXPECT_FALSE(plan.subscribed(channel_of(outside)));
   EXPECT_EQ(plan.take_commands(three_masters(), now).size(), 1U);
   EXPECT_TRUE(plan.subscribed(channel_of(outside)));
}

TEST(shard_channel_plan, releasing_what_was_never_acquired_is_ignored) {
   shard_channel_plan plan(0ms);
   plan.release(channel_of(1), clock_type::now());
   plan.acquire(channel_of(2));
   plan.release(channel_of(2), clock_type::now());
   plan.release(channel_of(2), clock_type::now()); // one too many
   EXPECT_FALSE(plan.wanted(channel_of(2)));
   EXPECT_TRUE(plan.take_commands(three_masters(), clock_type::now()).empty())
       << "never subscribed: nothing to unsubscribe";
}

} // namespace
} // namespace notify::redis
