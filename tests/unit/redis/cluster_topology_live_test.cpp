// The topology parser against a real Redis Cluster (scripts/redis-cluster: 3 masters, 3
// replicas on loopback): the map it builds must agree with where the cluster really sends keys.
#include "notify/redis/cluster_topology.hpp"
#include "notify/redis/command_client.hpp"
#include "notify/redis/connection.hpp"
#include "notify/redis/error.hpp"
#include "notify/redis/shard_channel_plan.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>
#include <map>
#include <string>
#include <vector>

namespace notify::redis {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;
using test::run_until;

/// One cluster for all tests of the suite: starting one takes seconds (replicas must be announced).
class cluster_live : public ::testing::Test {
protected:
   static void SetUpTestSuite() {
      if (test::redis_server::available()) {
         cluster_ = std::make_unique<test::redis_cluster>();
         ports_ = cluster_->ports();
      }
   }

   static void TearDownTestSuite() { cluster_.reset(); }

   void SetUp() override {
      NOTIFY_REQUIRE_REDIS_SERVER();
      ASSERT_TRUE(cluster_ && cluster_->started()) << "scripts/redis-cluster start failed";
      ASSERT_EQ(ports_.size(), 6U);
   }

   /// An open link to the node on `port`, as a subscriber link of the gateway will be.
   std::shared_ptr<connection> open_link(std::uint16_t port) {
      settings target;
      target.port = port;
      auto link = connection::create(io_.get_executor(), target);
      std::optional<error_code> connected;
      link->async_connect([&](error_code ec) { connected = ec; });
      EXPECT_TRUE(run_until(
          io_, [&] { return connected.has_value(); }, 3s));
      EXPECT_FALSE(connected.value_or(errc::connect_timeout))
          << connected.value_or(errc::connect_timeout).message();
      return link;
   }

   reply ask(std::uint16_t port, std::vector<std::string> args) {
      settings target;
      target.port = port;
      command_client client(io_.get_executor(), target);
      std::optional<reply> answer;
      client.command(std::move(args), [&](error_code ec, reply r) {
         EXPECT_FALSE(ec) << ec.message();
         answer = std::move(r);
      });
      EXPECT_TRUE(run_until(
          io_, [&] { return answer.has_value(); }, 5s));
      return answer.value_or(reply{});
   }

   boost::asio::io_context io_;
   static inline std::unique_ptr<test::redis_cluster> cluster_;
   static inline std::vector<std::uint16_t> ports_;
};

TEST_F(cluster_live, the_map_sends_every_key_where_the_cluster_does) {
   std::string why;
   auto topology =
       cluster_topology::from_cluster_slots(ask(ports_[0], {"CLUSTER", "SLOTS"}), "127.0.0.1", why);
   ASSERT_TRUE(topology) << why;
   EXPECT_EQ(topology->masters().size(), 3U);
   EXPECT_EQ(topology->uncovered_slots(), 0U);
   for (std::size_t m = 0; m < topology->masters().size(); ++m) {
      EXPECT_EQ(topology->replicas_of(m).size(), 1U) << to_string(topology->masters()[m]);
   }

   // Every user's key, asked of every master: the owner the map names answers, every other
   // master redirects with MOVED to exactly that owner.
   int checked = 0;
   for (int user = 0; user < 60; ++user) {
      auto const key = "{user:" + std::to_string(user) + "}:probe";
      auto const* owner = topology->master_of_key(key);
      ASSERT_NE(owner, nullptr) << key;
      for (auto const& master : topology->masters()) {
         auto const answer = ask(master.port, {"GET", key});
         if (master == *owner) {
            EXPECT_EQ(answer.type, reply::kind::nil) << key << " on " << to_string(master);
            continue;
         }
         ASSERT_TRUE(answer.is_error()) << key << " on " << to_string(master);
         auto const moved = parse_redirection(answer.str);
         ASSERT_TRUE(moved) << answer.str;
         EXPECT_EQ(moved->type, redirection::kind::moved);
         EXPECT_EQ(moved->slot, hash_slot(key));
         EXPECT_EQ(moved->target, *owner) << answer.str;
         ++checked;
      }
   }
   EXPECT_EQ(checked, 60 * 2);
}

TEST_F(cluster_live, planned_shard_subscriptions_get_exactly_their_users_messages) {
   std::string why;
   auto topology =
       cluster_topology::from_cluster_slots(ask(ports_[0], {"CLUSTER", "SLOTS"}), "127.0.0.1", why);
   ASSERT_TRUE(topology) << why;
   shard_channel_plan plan(0ms);
   constexpr int users = 90;
   for (int user = 0; user < users; ++user) {
      plan.acquire("{user:" + std::to_string(user) + "}:notifications");
   }
   auto const commands = plan.take_commands(*topology, shard_channel_plan::clock::now());
   ASSERT_EQ(commands.size(), 3U) << "90 users spread over all three masters";

   // One subscriber link per master, as the gateway will hold them.
   std::map<std::size_t, std::shared_ptr<connection>> links;
   std::map<std::string, std::vector<std::string>> received; // channel -> payloads
   std::size_t confirmations_pending = 0;
   for (auto const& [master, list] : commands) {
      auto link = open_link(topology->masters()[master].port);
      ASSERT_TRUE(link->is_open());
      link->set_push_handler([&](reply&& push) {
         if (push.is_array() && push.elements.size() == 3 && push.elements[0].str == "smessage") {
            received[push.elements[1].str].push_back(push.elements[2].str);
         }
      });
      for (auto const& cmd : list) {
         ++confirmations_pending;
         link->send(cmd, [&, cmd](error_code ec, reply answer) {
            EXPECT_FALSE(ec) << ec.message();
            EXPECT_FALSE(answer.is_error())
                << answer.str << " for " << cmd.front() << " " << cmd[1];
            --confirmations_pending;
         });
      }
      links[master] = std::move(link);
   }
   ASSERT_TRUE(run_until(
       io_, [&] { return confirmations_pending == 0; }, 5s));

   // Two messages per user, each SPUBLISHed on the master of its slot: one receiver each.
   for (int round = 0; round < 2; ++round) {
      for (int user = 0; user < users; ++user) {
         auto const channel = "{user:" + std::to_string(user) + "}:notifications";
         auto const answer =
             ask(topology->master_of_key(channel)->port,
                 {"SPUBLISH", channel, std::to_string(user) + "/" + std::to_string(round)});
         EXPECT_EQ(answer.integer, 1) << channel << " " << answer.str;
      }
   }
   auto const all_arrived = [&] {
      std::size_t count = 0;
      for (auto const& [channel, payloads] : received) {
         count += payloads.size();
      }
      return count >= 2 * users;
   };
   EXPECT_TRUE(run_until(io_, all_arrived, 5s));
   ASSERT_EQ(received.size(), static_cast<std::size_t>(users));
   for (int user = 0; user < users; ++user) {
      auto const channel = "{user:" + std::to_string(user) + "}:notifications";
      EXPECT_EQ(received[channel], (std::vector<std::string>{std::to_string(user) + "/0",
                                                             std::to_string(user) + "/1"}))
          << channel;
   }
   for (auto& [master, link] : links) {
      link->close();
   }
}

TEST_F(cluster_live, a_slot_moved_away_is_pushed_as_sunsubscribe_and_followed_to_its_new_owner) {
   std::string why;
   auto before =
       cluster_topology::from_cluster_slots(ask(ports_[0], {"CLUSTER", "SLOTS"}), "127.0.0.1", why);
   ASSERT_TRUE(before) << why;
   std::string const channel = "{user:migrating}:notifications";
   auto const slot = hash_slot(channel);
   auto const old_owner = *before->master_of_key(channel);
   auto const new_owner = before->masters()[(*before->master_of_slot(slot) + 1) % 3];

   shard_channel_plan plan(0ms);
   plan.acquire(channel);
   auto const first = plan.take_commands(*before, shard_channel_plan::clock::now());
   ASSERT_EQ(first.size(), 1U);
   auto link = open_link(old_owner.port);
   ASSERT_TRUE(link->is_open());
   std::vector<reply> pushes;
   link->set_push_handler([&](reply&& push) { pushes.push_back(std::move(push)); });
   bool subscribed = false;
   link->send(first.begin()->second.front(), [&](error_code, reply) { subscribed = true; });
   ASSERT_TRUE(run_until(
       io_, [&] { return subscribed; }, 3s));

   // Move the (empty) slot the way redis-cli --cluster reshard does, minus the keys.
   auto const old_id = ask(old_owner.port, {"CLUSTER", "MYID"}).str;
   auto const new_id = ask(new_owner.port, {"CLUSTER", "MYID"}).str;
   auto const slot_text = std::to_string(slot);
   EXPECT_EQ(ask(new_owner.port, {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", old_id}).str, "OK");
   EXPECT_EQ(ask(old_owner.port, {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", new_id}).str, "OK");
   EXPECT_EQ(ask(new_owner.port, {"CLUSTER", "SETSLOT", slot_text, "NODE", new_id}).str, "OK");
   EXPECT_EQ(ask(old_owner.port, {"CLUSTER", "SETSLOT", slot_text, "NODE", new_id}).str, "OK");

   auto const dropped = [&] {
      for (auto const& push : pushes) {
         if (push.is_array() && !push.elements.empty() && push.elements[0].str == "sunsubscribe" &&
             push.elements.size() > 1 && push.elements[1].str == channel) {
            return true;
         }
      }
      return false;
   };
   ASSERT_TRUE(run_until(io_, dropped, 5s)) << "Redis did not push sunsubscribe";
   plan.lost(channel);

   std::optional<cluster_topology> after;
   ASSERT_TRUE(run_until(
       io_,
       [&] {
          after = cluster_topology::from_cluster_slots(ask(ports_[0], {"CLUSTER", "SLOTS"}),
                                                       "127.0.0.1", why);
          return after && after->master_of_key(channel) &&
                 *after->master_of_key(channel) == new_owner;
       },
       10s))
       << "the seed never saw the slot's new owner";
   plan.adopt(*after);
   auto const again = plan.take_commands(*after, shard_channel_plan::clock::now());
   ASSERT_EQ(again.size(), 1U);
   EXPECT_EQ(after->masters()[again.begin()->first], new_owner);
   EXPECT_EQ(again.begin()->second.front(), (shard_channel_plan::command{"SSUBSCRIBE", channel}));
   link->close();
}

} // namespace
} // namespace notify::redis
