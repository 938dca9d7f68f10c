#include "notify/redis/subscriber.hpp"
#include "support/redis_server.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <utility>

namespace notify::redis {
namespace {

using namespace std::chrono_literals;
using test::redis_server;
using test::run_until;

struct subscriber_live : ::testing::Test {
   boost::asio::io_context io;
   std::vector<std::pair<std::string, std::string>> messages;
   std::vector<std::pair<subscriber_state, std::string>> states;

   subscriber::handlers handlers() {
      return {
          .on_message = [this](std::string&& channel,
                               std::string&& payload) { messages.emplace_back(channel, payload); },
          .on_state = [this](subscriber_state state,
                             std::string_view reason) { states.emplace_back(state, reason); },
      };
   }

   static subscription_set gateway_subscriptions() {
      subscription_set set;
      set.add_pattern("user:*:notifications");
      set.add_channel("global_notifications");
      return set;
   }

   bool wait_for_state(subscriber const& sub, subscriber_state wanted,
                       std::chrono::milliseconds timeout = 3s) {
      return run_until(
          io, [&] { return sub.state() == wanted; }, timeout);
   }

   bool wait_for_messages(std::size_t count, std::chrono::milliseconds timeout = 3s) {
      return run_until(
          io, [&] { return messages.size() >= count; }, timeout);
   }

   bool saw_state(subscriber_state wanted, std::size_t from = 0) const {
      return std::any_of(states.begin() + static_cast<std::ptrdiff_t>(from), states.end(),
                         [&](auto const& entry) { return entry.first == wanted; });
   }

   /// Publishes until someone receives it: right after (re)subscribing, Redis may not have
   /// registered us yet from the fixture's point of view.
   void publish_until_received(redis_server& server, std::string const& channel,
                               std::string const& payload) {
      ASSERT_TRUE(run_until(
          io, [&] { return server.publish(channel, payload) > 0; }, 3s));
   }
};

TEST_F(subscriber_live, delivers_message_and_pmessage_byte_for_byte) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   subscriber sub(io.get_executor(), server.settings(), gateway_subscriptions(), handlers());
   sub.start();
   ASSERT_TRUE(wait_for_state(sub, subscriber_state::subscribed));
   std::vector<subscriber_state> seen;
   for (auto const& entry : states) {
      seen.push_back(entry.first);
   }
   EXPECT_EQ(seen, (std::vector{subscriber_state::connecting, subscriber_state::subscribing,
                                subscriber_state::subscribed}));

   std::string const binary("{\"a\":\"\0\xff\xfe\r\n\"}", 13);
   EXPECT_EQ(server.publish("global_notifications", binary), 1);
   EXPECT_EQ(server.publish("user:42:notifications", "\xc3\x28 not utf-8"), 1);
   EXPECT_EQ(server.publish("unrelated", "ignored"), 0);
   ASSERT_TRUE(wait_for_messages(2));
   EXPECT_EQ(messages[0], (std::pair<std::string, std::string>("global_notifications", binary)));
   EXPECT_EQ(messages[1],
             (std::pair<std::string, std::string>("user:42:notifications", "\xc3\x28 not utf-8")));
   test::run_for(io, 50ms);
   EXPECT_EQ(messages.size(), 2u);
}

TEST_F(subscriber_live, thousand_messages_arrive_in_order) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   subscriber sub(io.get_executor(), server.settings(), gateway_subscriptions(), handlers());
   sub.start();
   ASSERT_TRUE(wait_for_state(sub, subscriber_state::subscribed));
   for (int i = 0; i < 1000; ++i) {
      auto const channel = i % 2 ? "global_notifications" : "user:7:notifications";
      ASSERT_EQ(server.publish(channel, std::to_string(i)), 1);
   }
   ASSERT_TRUE(wait_for_messages(1000));
   for (int i = 0; i < 1000; ++i) {
      ASSERT_EQ(messages[i].second, std::to_string(i));
   }
}

TEST_F(subscriber_live, resubscribes_after_client_kill) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   subscriber sub(io.get_executor(), server.settings(), gateway_subscriptions(), handlers());
   sub.start();
   ASSERT_TRUE(wait_for_state(sub, subscriber_state::subscribed));
   auto const before = states.size();

   EXPECT_EQ(server.kill_clients_of_type_pubsub(), 1);
   ASSERT_TRUE(run_until(
       io, [&] { return saw_state(subscriber_state::backoff, before); }, 2s));
   ASSERT_TRUE(wait_for_state(sub, subscriber_state::subscribed));
   EXPECT_TRUE(saw_state(subscriber_state::connecting, before));
   EXPECT_GE(sub.reconnects(), 1u);

   publish_until_received(server, "user:1:notifications", "after kill");
   ASSERT_TRUE(wait_for_messages(1));
   EXPECT_EQ(messages.back().second, "after kill");
}

TEST_F(subscriber_live, recovers_after_a_server_restart) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   subscriber sub(io.get_executor(), server.settings(), gateway_subscriptions(), handlers());
   sub.start();
   ASSERT_TRUE(wait_for_state(sub, subscriber_state::subscribed));
   auto const before = states.size();

   server.stop();
   ASSERT_TRUE(run_until(
       io, [&] { return saw_state(subscriber_state::backoff, before); }, 2s));
   test::run_for(io, 300ms); // a few refused attempts while it is down
   EXPECT_NE(sub.state(), subscriber_state::subscribed);
   server.restart();
   ASSERT_TRUE(wait_for_state(sub, subscriber_state::subscribed));

   publish_until_received(server, "global_notifications", "back");
   ASSERT_TRUE(wait_for_messages(1));
   EXPECT_EQ(messages.back(),
             (std::pair<std::string, std::string>("global_notifications", "back")));
}

TEST_F(subscriber_live, health_check_drops_a_frozen_server_and_recovers_after_it_thaws) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto config = server.settings();
   config.health_check_interval = 100ms;
   subscriber sub(io.get_executor(), config, gateway_subscriptions(), handlers());
   sub.start();
   ASSERT_TRUE(wait_for_state(sub, subscriber_state::subscribed));
   auto const before = states.size();

   server.pause();
   ASSERT_TRUE(run_until(
       io, [&] { return saw_state(subscriber_state::backoff, before); }, 2s));
   auto const lost =
       std::find_if(states.begin() + static_cast<std::ptrdiff_t>(before), states.end(),
                    [](auto const& entry) { return entry.first == subscriber_state::backoff; });
   EXPECT_NE(lost->second.find("health check"), std::string::npos) << lost->second;

   server.resume();
   ASSERT_TRUE(wait_for_state(sub, subscriber_state::subscribed));
   publish_until_received(server, "user:9:notifications", "thawed");
   ASSERT_TRUE(wait_for_messages(1));
   EXPECT_EQ(messages.back().second, "thawed");
}

TEST_F(subscriber_live, keeps_an_idle_healthy_link_with_pings) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto config = server.settings();
   config.health_check_interval = 50ms;
   subscriber sub(io.get_executor(), config, gateway_subscriptions(), handlers());
   sub.start();
   ASSERT_TRUE(wait_for_state(sub, subscriber_state::subscribed));
   auto const before = states.size();
   test::run_for(io, 600ms); // a dozen intervals without a message
   EXPECT_EQ(states.size(), before) << "PING answers keep the idle link alive";
   EXPECT_EQ(sub.reconnects(), 0u);
}

TEST_F(subscriber_live, refused_subscription_keeps_retrying_with_the_reason) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server({.password = "pw"});
   auto config = server.settings();
   config.password.clear();
   subscriber sub(io.get_executor(), config, gateway_subscriptions(), handlers());
   sub.start();
   ASSERT_TRUE(run_until(
       io, [&] { return sub.reconnects() >= 2; }, 3s));
   EXPECT_FALSE(saw_state(subscriber_state::subscribed));
   auto const refused = std::find_if(states.begin(), states.end(), [](auto const& entry) {
      return entry.first == subscriber_state::backoff;
   });
   ASSERT_NE(refused, states.end());
   EXPECT_NE(refused->second.find("NOAUTH"), std::string::npos) << refused->second;
}

TEST_F(subscriber_live, unreachable_server_backs_off_between_attempts) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto config = server.settings();
   server.stop();
   config.reconnect_initial_delay = 50ms;
   config.reconnect_max_delay = 100ms;
   subscriber sub(io.get_executor(), config, gateway_subscriptions(), handlers());
   sub.start();
   test::run_for(io, 500ms);
   EXPECT_EQ(sub.state() == subscriber_state::backoff ||
                 sub.state() == subscriber_state::connecting,
             true);
   // 500 ms at 25..100 ms per attempt: a handful, not a storm.
   EXPECT_GE(sub.reconnects(), 3u);
   EXPECT_LE(sub.reconnects(), 20u);
}

TEST_F(subscriber_live, stop_is_final_and_silent) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   subscriber sub(io.get_executor(), server.settings(), gateway_subscriptions(), handlers());
   sub.start();
   ASSERT_TRUE(wait_for_state(sub, subscriber_state::subscribed));
   auto const states_before = states.size();
   sub.stop();
   EXPECT_EQ(sub.state(), subscriber_state::stopped);
   EXPECT_TRUE(run_until(
       io, [&] { return server.publish("global_notifications", "late") == 0; }, 2s))
       << "the link is closed";
   sub.start();
   test::run_for(io, 200ms);
   EXPECT_TRUE(messages.empty());
   EXPECT_EQ(states.size(), states_before);
   EXPECT_EQ(sub.state(), subscriber_state::stopped);
}

TEST_F(subscriber_live, stop_from_inside_on_message_drops_the_rest) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   std::unique_ptr<subscriber> sub;
   int received = 0;
   subscriber::handlers callbacks;
   callbacks.on_message = [&](std::string&&, std::string&&) {
      ++received;
      sub->stop();
   };
   sub = std::make_unique<subscriber>(io.get_executor(), server.settings(), gateway_subscriptions(),
                                      std::move(callbacks));
   sub->start();
   ASSERT_TRUE(wait_for_state(*sub, subscriber_state::subscribed));
   for (int i = 0; i < 10; ++i) {
      server.publish("global_notifications", "x");
   }
   ASSERT_TRUE(run_until(
       io, [&] { return received > 0; }, 2s));
   test::run_for(io, 100ms);
   EXPECT_EQ(received, 1);
}

TEST_F(subscriber_live, destroying_a_running_subscriber_is_safe) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   {
      subscriber sub(io.get_executor(), server.settings(), gateway_subscriptions(), handlers());
      sub.start();
      test::run_for(io, 5ms); // mid-connect
   }
   test::run_for(io, 100ms);
   server.publish("global_notifications", "nobody");
   test::run_for(io, 50ms);
   EXPECT_TRUE(messages.empty());
}

} // namespace
} // namespace notify::redis
