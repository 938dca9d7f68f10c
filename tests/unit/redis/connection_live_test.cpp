#include "notify/redis/connection.hpp"
#include "notify/redis/error.hpp"
#include "support/redis_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <optional>

namespace notify::redis {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;
using test::redis_server;
using test::run_until;

/// Records what one async call delivered.
template <class T> struct outcome {
   std::optional<error_code> ec;
   T value{};
   bool done() const { return ec.has_value(); }
};

struct connection_live : ::testing::Test {
   boost::asio::io_context io;

   std::shared_ptr<connection> connect(settings const& config, error_code expected = {}) {
      auto link = connection::create(io.get_executor(), config);
      std::optional<error_code> result;
      link->async_connect([&](error_code ec) { result = ec; });
      EXPECT_TRUE(run_until(
          io, [&] { return result.has_value(); }, 3s));
      EXPECT_EQ(result.value_or(errc::connect_timeout), expected)
          << result.value_or(errc::connect_timeout).message() << " / " << link->last_error();
      return link;
   }

   reply call(connection& link, std::vector<std::string> args) {
      outcome<reply> got;
      link.send(std::move(args), [&](error_code ec, reply r) {
         got.ec = ec;
         got.value = std::move(r);
      });
      EXPECT_TRUE(run_until(
          io, [&] { return got.done(); }, 3s));
      EXPECT_EQ(got.ec.value_or(errc::connect_timeout), error_code());
      return std::move(got.value);
   }
};

TEST_F(connection_live, set_and_get) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto link = connect(server.settings());
   EXPECT_TRUE(link->is_open());

   auto const set = call(*link, {"SET", "greeting", std::string("hi\0there", 8)});
   EXPECT_EQ(set.type, reply::kind::status);
   EXPECT_EQ(set.str, "OK");

   auto const value = call(*link, {"GET", "greeting"});
   EXPECT_EQ(value.type, reply::kind::string);
   EXPECT_EQ(value.str, std::string("hi\0there", 8));

   EXPECT_EQ(call(*link, {"GET", "missing"}).type, reply::kind::nil);
   EXPECT_EQ(call(*link, {"NOSUCHCOMMAND"}).type, reply::kind::error);
   link->close();
}

TEST_F(connection_live, pipelined_commands_complete_in_order) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto link = connect(server.settings());
   std::vector<long long> answers;
   for (int i = 0; i < 500; ++i) {
      link->send({"INCR", "counter"}, [&](error_code ec, reply r) {
         EXPECT_FALSE(ec);
         answers.push_back(r.integer);
      });
   }
   ASSERT_TRUE(run_until(
       io, [&] { return answers.size() == 500; }, 3s));
   for (int i = 0; i < 500; ++i) {
      ASSERT_EQ(answers[i], i + 1);
   }
}

TEST_F(connection_live, authenticates_with_password_and_with_username) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server({.password = "s3cret pass"});
   auto config = server.settings();
   auto link = connect(config);
   EXPECT_EQ(call(*link, {"PING"}).str, "PONG");

   config.username = "default";
   auto with_user = connect(config);
   EXPECT_EQ(call(*with_user, {"PING"}).str, "PONG");
}

TEST_F(connection_live, wrong_password_is_auth_failed_and_never_logged_back) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server({.password = "right"});
   auto config = server.settings();
   config.password = "wrong-and-secret";
   auto link = connect(config, errc::auth_failed);
   EXPECT_FALSE(link->is_open());
   EXPECT_NE(link->last_error().find("AUTH"), std::string::npos) << link->last_error();
   EXPECT_EQ(link->last_error().find("wrong-and-secret"), std::string::npos);
}

TEST_F(connection_live, no_password_on_a_protected_server_gets_error_replies) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server({.password = "right"});
   auto config = server.settings();
   config.password.clear();
   auto link = connect(config);
   auto const answer = call(*link, {"GET", "x"});
   EXPECT_TRUE(answer.is_error());
   EXPECT_NE(answer.str.find("NOAUTH"), std::string::npos) << answer.str;
}

TEST_F(connection_live, selects_the_configured_database) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   server.command({"SELECT", "0"});
   auto config = server.settings();
   config.db = 3;
   auto link = connect(config);
   call(*link, {"SET", "where", "db3"});
   EXPECT_EQ(server.command({"GET", "where"}).type, reply::kind::nil) << "db 0 stays empty";

   config.db = 100000;
   connect(config, errc::protocol_error);
}

TEST_F(connection_live, closed_port_fails_fast) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto config = server.settings();
   server.stop();
   auto const start = std::chrono::steady_clock::now();
   connect(config, boost::asio::error::connection_refused);
   EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
}

TEST_F(connection_live, unresponsive_server_is_a_connect_timeout) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server({.password = "pw"});
   server.pause(); // the kernel still accepts the TCP connection; AUTH gets no answer
   auto config = server.settings();
   config.connect_timeout = 200ms;
   auto const start = std::chrono::steady_clock::now();
   connect(config, errc::connect_timeout);
   auto const took = std::chrono::steady_clock::now() - start;
   EXPECT_GE(took, 190ms);
   EXPECT_LT(took, 1s);
   server.resume();
}

TEST_F(connection_live, link_loss_fails_pending_commands_and_calls_the_close_handler_once) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto link = connect(server.settings());
   int closes = 0;
   error_code close_reason;
   link->set_close_handler([&](error_code ec) {
      ++closes;
      close_reason = ec;
   });
   outcome<reply> blocked;
   link->send({"BLPOP", "never", "0"}, [&](error_code ec, reply) { blocked.ec = ec; });
   test::run_for(io, 50ms);
   server.command({"CLIENT", "KILL", "TYPE", "normal"});
   ASSERT_TRUE(run_until(
       io, [&] { return blocked.done() && closes > 0; }, 3s));
   EXPECT_EQ(*blocked.ec, errc::connection_lost);
   EXPECT_TRUE(close_reason);
   EXPECT_FALSE(link->is_open());

   outcome<reply> late;
   link->send({"PING"}, [&](error_code ec, reply) { late.ec = ec; });
   ASSERT_TRUE(run_until(
       io, [&] { return late.done(); }, 1s));
   EXPECT_EQ(*late.ec, errc::not_connected);
   EXPECT_EQ(closes, 1);
}

TEST_F(connection_live, owner_close_fails_pending_with_stopped_and_stays_quiet) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto link = connect(server.settings());
   bool closed_called = false;
   link->set_close_handler([&](error_code) { closed_called = true; });
   outcome<reply> blocked;
   link->send({"BLPOP", "never", "0"}, [&](error_code ec, reply) { blocked.ec = ec; });
   link->close();
   EXPECT_FALSE(blocked.done()) << "never called from inside close()";
   ASSERT_TRUE(run_until(
       io, [&] { return blocked.done(); }, 1s));
   EXPECT_EQ(*blocked.ec, errc::stopped);
   test::run_for(io, 50ms);
   EXPECT_FALSE(closed_called);
}

TEST_F(connection_live, close_during_connect_reports_stopped) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto link = connection::create(io.get_executor(), server.settings());
   std::optional<error_code> result;
   link->async_connect([&](error_code ec) { result = ec; });
   link->close();
   ASSERT_TRUE(run_until(
       io, [&] { return result.has_value(); }, 1s));
   EXPECT_EQ(*result, errc::stopped);
}

TEST_F(connection_live, subscribe_mode_routes_pushes_and_answers_ping_in_order) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto link = connect(server.settings());
   std::vector<reply> pushes;
   link->set_push_handler([&](reply&& r) { pushes.push_back(std::move(r)); });

   outcome<reply> subscribed;
   link->send({"SUBSCRIBE", "a", "b"}, [&](error_code ec, reply r) {
      subscribed.ec = ec;
      subscribed.value = std::move(r);
   });
   ASSERT_TRUE(run_until(
       io, [&] { return subscribed.done(); }, 2s));
   EXPECT_TRUE(link->in_subscribe_mode());
   ASSERT_TRUE(subscribed.value.is_array());
   EXPECT_EQ(subscribed.value.elements[1].str, "b") << "completes on the last confirmation";
   ASSERT_EQ(pushes.size(), 2u);
   EXPECT_EQ(pushes[0].elements[0].str, "subscribe");

   EXPECT_EQ(server.publish("a", "payload"), 1);
   ASSERT_TRUE(run_until(
       io, [&] { return pushes.size() == 3; }, 2s));
   EXPECT_EQ(pushes[2].elements[0].str, "message");
   EXPECT_EQ(pushes[2].elements[2].str, "payload");

   auto const pong = call(*link, {"PING"});
   ASSERT_TRUE(pong.is_array());
   EXPECT_EQ(pong.elements[0].str, "pong");
   EXPECT_EQ(pushes.size(), 3u) << "the PING answer is not a push";
}

TEST_F(connection_live, refused_subscribe_completes_with_the_error_reply) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server({.password = "pw"});
   auto config = server.settings();
   config.password.clear();
   auto link = connect(config);
   auto const answer = call(*link, {"SUBSCRIBE", "a"});
   EXPECT_TRUE(answer.is_error());
   EXPECT_EQ(link->pending_replies(), 0u);
}

/// A fake "Redis" that answers whatever it is sent with `response`.
struct fake_server {
   boost::asio::ip::tcp::acceptor acceptor;
   boost::asio::ip::tcp::socket peer;
   std::string response;
   char scratch[256];

   fake_server(boost::asio::io_context& io, std::string canned)
       : acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0})
       , peer(io)
       , response(std::move(canned)) {
      acceptor.async_accept(peer, [this](error_code ec) {
         if (!ec) {
            peer.async_read_some(boost::asio::buffer(scratch), [this](error_code ec, std::size_t) {
               if (!ec) {
                  boost::asio::async_write(peer, boost::asio::buffer(response),
                                           [](error_code, std::size_t) {});
               }
            });
         }
      });
   }

   settings config() const {
      settings s;
      s.host = "127.0.0.1";
      s.port = acceptor.local_endpoint().port();
      return s;
   }
};

TEST_F(connection_live, garbage_from_the_server_is_a_protocol_error) {
   std::vector<std::string> const samples{"?not resp\r\n", "+PONG\r\n+EXTRA\r\n", "*-7\r\n",
                                          "$99999999999\r\n" + std::string(200000, 'x')};
   for (auto const& garbage : samples) {
      fake_server fake(io, garbage);
      auto link = connection::create(io.get_executor(), fake.config(),
                                     reply_limits{.max_bytes = 100000, .max_elements = 100});
      std::optional<error_code> connected;
      link->async_connect([&](error_code ec) { connected = ec; });
      ASSERT_TRUE(run_until(
          io, [&] { return connected.has_value(); }, 2s));
      ASSERT_FALSE(*connected);
      std::optional<error_code> closed;
      link->set_close_handler([&](error_code ec) { closed = ec; });
      outcome<reply> ping;
      link->send({"PING"}, [&](error_code ec, reply) { ping.ec = ec; });
      ASSERT_TRUE(run_until(
          io, [&] { return closed.has_value() && ping.done(); }, 2s))
          << garbage.substr(0, 20);
      EXPECT_EQ(*closed, errc::protocol_error) << garbage.substr(0, 20);
      EXPECT_FALSE(link->last_error().empty());
      if (garbage.rfind("+PONG", 0) == 0) {
         EXPECT_FALSE(*ping.ec) << "the expected reply still arrives";
      }
   }
}

} // namespace
} // namespace notify::redis
