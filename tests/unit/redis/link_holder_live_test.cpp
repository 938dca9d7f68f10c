#include "notify/redis/error.hpp"
#include "notify/redis/link_holder.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <vector>

namespace notify::redis {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;
using test::redis_server;
using test::run_until;

/// An owner as the subscriber and the command client are: shared, holding the link as a member.
struct owner {
   owner(boost::asio::any_io_executor executor, settings redis)
       : config(std::move(redis))
       , link(std::move(executor), config,
              {.connected = [this](error_code ec) { connects.push_back(ec); },
               .lost = [this](error_code ec) { losses.push_back(ec); },
               .push = [this](reply&& message) { pushes.push_back(std::move(message)); }}) {}

   settings config;
   link_holder link;
   std::vector<error_code> connects;
   std::vector<error_code> losses;
   std::vector<reply> pushes;
};

struct link_holder_live : ::testing::Test {
   boost::asio::io_context io;

   std::shared_ptr<owner> make_owner(settings config) {
      return std::make_shared<owner>(io.get_executor(), std::move(config));
   }
   void settle() {
      run_until(
          io, [] { return false; }, 200ms);
   }
};

TEST_F(link_holder_live, connects_delivers_pushes_and_reports_a_lost_link_once) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto const o = make_owner(server.settings());
   auto const before = o->link.generation();
   o->link.open(o);
   EXPECT_GT(o->link.generation(), before);
   ASSERT_TRUE(run_until(
       io, [&] { return !o->connects.empty(); }, 3s));
   ASSERT_EQ(o->connects.size(), 1u);
   EXPECT_FALSE(o->connects.front()) << o->connects.front().message();
   ASSERT_TRUE(o->link);
   EXPECT_TRUE(o->link->is_open());

   bool subscribed = false;
   o->link->send({"SUBSCRIBE", "news"}, [&](error_code, reply) { subscribed = true; });
   ASSERT_TRUE(run_until(
       io, [&] { return subscribed; }, 3s));
   EXPECT_EQ(server.publish("news", "hello"), 1);
   ASSERT_TRUE(run_until(
       io, [&] { return o->pushes.size() >= 2; }, 3s)); // subscribe + message
   EXPECT_EQ(o->pushes.back().elements.at(2).str, "hello");

   server.kill_clients_of_type_pubsub();
   ASSERT_TRUE(run_until(
       io, [&] { return !o->losses.empty(); }, 3s));
   settle();
   EXPECT_EQ(o->losses.size(), 1u);
}

TEST_F(link_holder_live, a_dropped_or_replaced_link_says_nothing_more) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto const o = make_owner(server.settings());
   o->link.open(o);
   o->link.drop(); // while connecting: the stopped connect result must not reach the owner
   EXPECT_FALSE(o->link);
   settle();
   EXPECT_TRUE(o->connects.empty());

   o->link.open(o);
   o->link.open(o); // replaces the first attempt: only the second one reports
   ASSERT_TRUE(run_until(
       io, [&] { return !o->connects.empty(); }, 3s));
   settle();
   ASSERT_EQ(o->connects.size(), 1u);
   EXPECT_FALSE(o->connects.front());

   o->link.drop(); // an owner's own close is not a lost link
   settle();
   EXPECT_TRUE(o->losses.empty());
}

TEST_F(link_holder_live, an_owner_gone_hears_nothing) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto o = make_owner(server.settings());
   std::weak_ptr<owner> watch = o;
   o->link.open(o);
   o.reset(); // destroys the holder too, which closes the link
   EXPECT_TRUE(watch.expired());
   settle(); // nothing runs into freed memory (the sanitizer build would see it)
}

TEST_F(link_holder_live, a_refused_password_is_explained_without_the_password) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server({.password = "right"});
   auto config = server.settings();
   config.password = "wrong-and-secret";
   auto const o = make_owner(config);
   o->link.open(o);
   ASSERT_TRUE(run_until(
       io, [&] { return !o->connects.empty(); }, 3s));
   EXPECT_EQ(o->connects.front(), error_code(errc::auth_failed));
   auto const reason = o->link.failure_reason(o->connects.front());
   EXPECT_EQ(reason.rfind(error_code(errc::auth_failed).message(), 0), 0u) << reason;
   EXPECT_NE(reason.find("AUTH"), std::string::npos) << reason;
   EXPECT_EQ(reason.find("wrong-and-secret"), std::string::npos) << reason;
   o->link.drop();
   EXPECT_EQ(o->link.failure_reason(errc::auth_failed), error_code(errc::auth_failed).message());
}

} // namespace
} // namespace notify::redis
