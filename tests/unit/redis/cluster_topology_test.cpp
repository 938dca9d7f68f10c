#include "notify/redis/cluster_topology.hpp"
#include "reply_builders.hpp"

#include <gtest/gtest.h>
#include <string>
#include <utility>
#include <vector>

namespace notify::redis {
namespace {

using namespace test_replies;

reply node(std::string host, long long port) {
   return array({text(std::move(host)), integer(port), text("0123456789abcdef")});
}

reply range(long long first, long long last, std::vector<reply> nodes) {
   std::vector<reply> elements{integer(first), integer(last)};
   for (auto& n : nodes) {
      elements.push_back(std::move(n));
   }
   return array(std::move(elements));
}

/// Three masters splitting the slots as `redis-cli --cluster create` does, one replica each.
reply three_masters() {
   return array({range(0, 5460, {node("127.0.0.1", 7000), node("127.0.0.1", 7003)}),
                 range(5461, 10922, {node("127.0.0.1", 7001), node("127.0.0.1", 7004)}),
                 range(10923, 16383, {node("127.0.0.1", 7002), node("127.0.0.1", 7005)})});
}

TEST(cluster_topology, every_slot_has_the_master_the_cluster_named) {
   std::string why;
   auto topology = cluster_topology::from_cluster_slots(three_masters(), "127.0.0.1", why);
   ASSERT_TRUE(topology) << why;
   ASSERT_EQ(topology->masters().size(), 3U);
   EXPECT_EQ(topology->uncovered_slots(), 0U);
   EXPECT_EQ(topology->master_of_slot(0), 0U);
   EXPECT_EQ(topology->master_of_slot(5461), 1U);
   EXPECT_EQ(topology->master_of_slot(16383), 2U);
   EXPECT_EQ(to_string(topology->masters()[2]), "127.0.0.1:7002");
   ASSERT_EQ(topology->replicas_of(1).size(), 1U);
   EXPECT_EQ(topology->replicas_of(1)[0].port, 7004);
}

TEST(cluster_topology, a_users_stream_and_channel_are_served_by_one_master) {
   std::string why;
   auto topology = cluster_topology::from_cluster_slots(three_masters(), "127.0.0.1", why);
   ASSERT_TRUE(topology) << why;
   // Both names carry the same hash tag, so they share a slot and therefore an owner.
   auto const* stream_owner = topology->master_of_key("{user:42}:stream");
   auto const* channel_owner = topology->master_of_key("{user:42}:notifications");
   ASSERT_NE(stream_owner, nullptr);
   EXPECT_EQ(stream_owner, channel_owner);
}

TEST(cluster_topology, a_master_with_several_ranges_is_one_master) {
   std::string why;
   auto const answer =
       array({range(0, 99, {node("10.0.0.1", 6379)}), range(100, 16383, {node("10.0.0.2", 6379)}),
              range(200, 199, {node("10.0.0.1", 6379)})});
   EXPECT_FALSE(cluster_topology::from_cluster_slots(answer, "x", why)) << "last < first";
   auto const split =
       array({range(0, 99, {node("10.0.0.1", 6379)}), range(100, 8000, {node("10.0.0.2", 6379)}),
              range(8001, 16383, {node("10.0.0.1", 6379)})});
   auto topology = cluster_topology::from_cluster_slots(split, "x", why);
   ASSERT_TRUE(topology) << why;
   EXPECT_EQ(topology->masters().size(), 2U);
   EXPECT_EQ(topology->master_of_slot(9000), 0U);
}

TEST(cluster_topology, slots_no_master_serves_are_reported_not_guessed) {
   std::string why;
   auto topology = cluster_topology::from_cluster_slots(
       array({range(0, 5460, {node("127.0.0.1", 7000)})}), "127.0.0.1", why);
   ASSERT_TRUE(topology) << why;
   EXPECT_EQ(topology->uncovered_slots(), 16384U - 5461U);
   EXPECT_FALSE(topology->master_of_slot(5461));
   auto const* owner = topology->master_of_key("{user:1}");
   EXPECT_EQ(owner, hash_slot("{user:1}") <= 5460 ? &topology->masters()[0] : nullptr);
}

TEST(cluster_topology, a_node_that_does_not_know_its_address_is_the_seed) {
   std::string why;
   auto topology = cluster_topology::from_cluster_slots(array({range(0, 16383, {node("", 7000)})}),
                                                        "127.0.0.9", why);
   ASSERT_TRUE(topology) << why;
   EXPECT_EQ(to_string(topology->masters()[0]), "127.0.0.9:7000");
}

TEST(cluster_topology, hostile_replies_are_refused_whole) {
   std::string why;
   reply error;
   error.type = reply::kind::error;
   error.str = "ERR This instance has cluster support disabled";
   EXPECT_FALSE(cluster_topology::from_cluster_slots(error, "h", why));
   EXPECT_NE(why.find("cluster support disabled"), std::string::npos) << why;

   std::vector<reply> hostile;
   hostile.push_back(array({range(0, 16384, {node("h", 1)})}));         // past the last slot
   hostile.push_back(array({range(-1, 10, {node("h", 1)})}));           // negative slot
   hostile.push_back(array({range(0, 10, {node("h", 0)})}));            // port 0
   hostile.push_back(array({range(0, 10, {node("h", 70000)})}));        // port too large
   hostile.push_back(array({range(0, 10, {node("bad host\r\n", 1)})})); // not a host name
   hostile.push_back(array({range(0, 10, {})}));                        // no master
   hostile.push_back(array({range(0, 10, {node("h", 1)}), range(10, 20, {node("g", 1)})})); // twice
   hostile.push_back(array({text("0-16383")}));                              // not a range
   hostile.push_back(array({array({text("0"), integer(5), node("h", 1)})})); // slot as text
   for (std::size_t i = 0; i < hostile.size(); ++i) {
      why.clear();
      EXPECT_FALSE(cluster_topology::from_cluster_slots(hostile[i], "h", why)) << "case " << i;
      EXPECT_FALSE(why.empty()) << "case " << i;
   }
}

TEST(cluster_redirection, moved_and_ask_name_the_slot_and_the_new_owner) {
   auto moved = parse_redirection("MOVED 3999 127.0.0.1:6381");
   ASSERT_TRUE(moved);
   EXPECT_EQ(moved->type, redirection::kind::moved);
   EXPECT_EQ(moved->slot, 3999);
   EXPECT_EQ(moved->target, (node_address{"127.0.0.1", 6381}));

   auto ask = parse_redirection("ASK 16383 [::1]:7000");
   ASSERT_TRUE(ask);
   EXPECT_EQ(ask->type, redirection::kind::ask);
   EXPECT_EQ(ask->target, (node_address{"::1", 7000}));
   EXPECT_EQ(to_string(ask->target), "[::1]:7000");
}

TEST(cluster_redirection, anything_else_is_not_a_redirection) {
   for (std::string_view const text :
        {"ERR unknown command", "MOVED", "MOVED 3999", "MOVED 16384 h:1", "MOVED -1 h:1",
         "MOVED 12 h:0", "MOVED 12 h:65536", "MOVED 12 :7000", "MOVED 12 h:", "ASK 1x h:1",
         "MOVED 12 bad\nhost:1", "moved 12 h:1"}) {
      EXPECT_FALSE(parse_redirection(text)) << text;
   }
}

} // namespace
} // namespace notify::redis
