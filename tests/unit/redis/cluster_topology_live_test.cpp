// The topology parser against a real Redis Cluster (scripts/redis-cluster: 3 masters, 3
// replicas on loopback): the map it builds must agree with where the cluster really sends keys.
#include "notify/redis/cluster_topology.hpp"
#include "notify/redis/command_client.hpp"
#include "support/redis_server.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace notify::redis {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;
using test::run_until;

class cluster_live : public ::testing::Test {
protected:
   void SetUp() override {
      NOTIFY_REQUIRE_REDIS_SERVER();
      dir_ = std::filesystem::temp_directory_path() /
             ("notify-cluster-test-" + std::to_string(::getpid()));
      std::filesystem::remove_all(dir_);
      auto const start = script() + " start " + dir_.string() + " > " + (dir_.string() + ".seeds");
      ASSERT_EQ(std::system(start.c_str()), 0) << "scripts/redis-cluster start failed";
      started_ = true;
      std::ifstream env(dir_ / "cluster.env");
      std::string line;
      while (std::getline(env, line)) {
         if (line.starts_with("NODE_PORTS=\"")) {
            std::istringstream ports(line.substr(12, line.size() - 13));
            for (unsigned port = 0; ports >> port;) {
               ports_.push_back(static_cast<std::uint16_t>(port));
            }
         }
      }
      ASSERT_EQ(ports_.size(), 6U);
   }

   void TearDown() override {
      if (started_) {
         auto const stop = script() + " stop " + dir_.string();
         EXPECT_EQ(std::system(stop.c_str()), 0);
         std::filesystem::remove_all(dir_);
         std::filesystem::remove(dir_.string() + ".seeds");
      }
   }

   static std::string script() { return std::string(NOTIFY_SOURCE_DIR) + "/scripts/redis-cluster"; }

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
   std::filesystem::path dir_;
   bool started_ = false;
   std::vector<std::uint16_t> ports_;
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

} // namespace
} // namespace notify::redis
