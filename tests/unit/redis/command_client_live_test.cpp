#include "notify/redis/command_client.hpp"
#include "notify/redis/error.hpp"
#include "support/redis_server.hpp"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <gtest/gtest.h>

namespace notify::redis {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;
using test::redis_server;
using test::run_until;

struct get_result {
   std::optional<error_code> ec;
   std::optional<std::string> value;
   bool done() const { return ec.has_value(); }
};

struct command_client_live : ::testing::Test {
   boost::asio::io_context io;

   get_result get(command_client& client, std::string key, std::chrono::milliseconds timeout = 3s) {
      get_result result;
      client.get(std::move(key), [&](error_code ec, std::optional<std::string> value) {
         result.ec = ec;
         result.value = std::move(value);
      });
      EXPECT_TRUE(run_until(
          io, [&] { return result.done(); }, timeout));
      return result;
   }
};

TEST_F(command_client_live, gets_existing_and_missing_keys) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server({.password = "pw"});
   std::string const record("{\"userId\":\"42\"}\0\xff", 17);
   server.set("session:abc", record, 60s);
   command_client client(io.get_executor(), server.settings());

   auto const found = get(client, "session:abc");
   EXPECT_EQ(found.ec, error_code());
   EXPECT_EQ(found.value, record);

   auto const missing = get(client, "session:nope");
   EXPECT_EQ(missing.ec, error_code());
   EXPECT_EQ(missing.value, std::nullopt);
}

TEST_F(command_client_live, requests_made_while_connecting_are_queued_then_answered) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   for (int i = 0; i < 20; ++i) {
      server.set("k" + std::to_string(i), "v" + std::to_string(i));
   }
   command_client client(io.get_executor(), server.settings());
   std::vector<get_result> results(20);
   for (int i = 0; i < 20; ++i) {
      client.get("k" + std::to_string(i), [&results, i](error_code ec, auto value) {
         results[i] = {ec, std::move(value)};
      });
   }
   EXPECT_FALSE(results[0].done()) << "never called from inside get()";
   ASSERT_TRUE(run_until(
       io,
       [&] {
          return std::all_of(results.begin(), results.end(), [](auto& r) { return r.done(); });
       },
       3s));
   for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(results[i].ec, error_code());
      EXPECT_EQ(results[i].value, "v" + std::to_string(i));
   }
}

TEST_F(command_client_live, queue_is_bounded_while_connecting) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   command_client client(io.get_executor(), server.settings(), 2);
   std::vector<get_result> results(4);
   for (int i = 0; i < 4; ++i) {
      client.get("x", [&results, i](error_code ec, auto value) {
         results[i] = {ec, std::move(value)};
      });
   }
   ASSERT_TRUE(run_until(
       io,
       [&] {
          return std::all_of(results.begin(), results.end(), [](auto& r) { return r.done(); });
       },
       3s));
   EXPECT_EQ(results[0].ec, error_code());
   EXPECT_EQ(results[1].ec, error_code());
   EXPECT_EQ(results[2].ec, errc::queue_full);
   EXPECT_EQ(results[3].ec, errc::queue_full);
}

TEST_F(command_client_live, fails_fast_while_redis_is_down_and_recovers) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   server.set("k", "v");
   auto config = server.settings();
   config.reconnect_initial_delay = 200ms;
   config.reconnect_max_delay = 400ms;
   command_client client(io.get_executor(), config);
   ASSERT_EQ(get(client, "k").value, "v");

   server.stop();
   test::run_for(io, 20ms); // let the client notice the closed link
   auto const refused = get(client, "k");
   EXPECT_EQ(refused.ec, boost::asio::error::connection_refused);
   auto const start = std::chrono::steady_clock::now();
   auto const too_early = get(client, "k");
   EXPECT_EQ(too_early.ec, errc::not_connected) << "no new attempt before the backoff allows";
   EXPECT_LT(std::chrono::steady_clock::now() - start, 50ms);

   server.restart();
   server.set("k", "v2");
   test::run_for(io, 250ms); // beyond the first backoff delay (100..200 ms)
   auto const recovered = get(client, "k");
   EXPECT_EQ(recovered.ec, error_code()) << recovered.ec->message();
   EXPECT_EQ(recovered.value, "v2");
}

TEST_F(command_client_live, an_unanswered_request_times_out_and_drops_the_link) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   server.set("k", "v");
   auto config = server.settings();
   config.connect_timeout = 200ms;
   config.reconnect_initial_delay = 10ms;
   command_client client(io.get_executor(), config);
   ASSERT_EQ(get(client, "k").value, "v");

   server.pause();
   auto const start = std::chrono::steady_clock::now();
   auto const frozen = get(client, "k");
   auto const took = std::chrono::steady_clock::now() - start;
   EXPECT_EQ(frozen.ec, boost::asio::error::timed_out);
   EXPECT_GE(took, 190ms);
   EXPECT_LT(took, 1s);

   server.resume();
   test::run_for(io, 30ms);
   auto const recovered = get(client, "k");
   EXPECT_EQ(recovered.ec, error_code()) << recovered.ec->message();
   EXPECT_EQ(recovered.value, "v");
}

TEST_F(command_client_live, a_long_pipeline_still_being_answered_is_not_a_dead_link) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto config = server.settings();
   config.connect_timeout = 200ms;
   command_client client(io.get_executor(), config);
   ASSERT_EQ(get(client, "k").ec, error_code());
   // Eight BLPOPs in one pipeline, answered one every 60 ms as another client pushes: the last
   // answer comes ~480 ms after they were all sent, well past the timeout, while answers keep
   // arriving.
   std::vector<std::optional<error_code>> results(8);
   for (auto& result : results) {
      client.command({"BLPOP", "queue", "0"},
                     [&result](error_code ec, const reply&) { result = ec; });
   }
   for (std::size_t pushed = 0; pushed < results.size(); ++pushed) {
      test::run_for(io, 60ms);
      server.command({"RPUSH", "queue", std::to_string(pushed)});
   }
   EXPECT_TRUE(run_until(
       io, [&] { return std::all_of(results.begin(), results.end(), [](auto& r) { return r; }); },
       3s));
   for (auto const& result : results) {
      EXPECT_EQ(result, error_code()) << (result ? result->message() : "no answer");
   }
}

TEST_F(command_client_live, wrong_type_is_a_protocol_error_not_a_value) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   server.command({"LPUSH", "list", "a"});
   command_client client(io.get_executor(), server.settings());
   auto const result = get(client, "list");
   EXPECT_EQ(result.ec, errc::protocol_error);
   EXPECT_EQ(result.value, std::nullopt);
   EXPECT_EQ(get(client, "missing").ec, error_code()) << "the link survives an error reply";
}

TEST_F(command_client_live, wrong_password_fails_requests_with_auth_failed) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server({.password = "right"});
   auto config = server.settings();
   config.password = "wrong";
   command_client client(io.get_executor(), config);
   EXPECT_EQ(get(client, "k").ec, errc::auth_failed);
}

TEST_F(command_client_live, stop_fails_pending_and_later_requests_with_stopped) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   command_client client(io.get_executor(), server.settings());
   get_result pending;
   client.get("k", [&](error_code ec, auto value) { pending = {ec, std::move(value)}; });
   client.stop();
   EXPECT_FALSE(pending.done()) << "never called from inside stop()";
   ASSERT_TRUE(run_until(
       io, [&] { return pending.done(); }, 1s));
   EXPECT_EQ(pending.ec, errc::stopped);
   EXPECT_EQ(get(client, "k").ec, errc::stopped);
   test::run_for(io, 50ms);
}

} // namespace
} // namespace notify::redis
