// stream_reader against a real redis-server: what it reads, and that identical reads in flight
// share one round trip (every connection of a shard re-reading the global stream at once).

#include "notify/history/stream_reader.hpp"
#include "notify/ws/frame.hpp"
#include "support/redis_server.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace notify::history {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;
using test::redis_server;
using test::run_until;

constexpr std::string_view stream = "notify:{global}:history";

std::string add(redis_server& server, std::string const& previous, std::string const& payload) {
   auto const answer =
       server.command({"XADD", std::string(stream), "*", "d", payload, "p", previous});
   return answer.str;
}

TEST(stream_reader_live, identical_reads_in_flight_share_one_round_trip) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   auto const first = add(server, "0-0", R"({"n":1})");
   add(server, first, R"({"n":2})");
   boost::asio::io_context io;
   stream_reader reader(io.get_executor(), server.settings(), 10, 1024);
   constexpr int callers = 100;
   int answered = 0;
   for (int i = 0; i < callers; ++i) {
      reader.read_after(std::string(stream), routing::route{}, stream_id{},
                        [&](error_code ec, stream_reader::outcome_ptr outcome) {
                           ASSERT_FALSE(ec) << ec.message();
                           ASSERT_EQ(outcome->entries.size(), 2U);
                           EXPECT_EQ(outcome->entries[1].position->previous,
                                     outcome->entries[0].position->id);
                           ++answered;
                        });
   }
   ASSERT_TRUE(run_until(
       io, [&] { return answered == callers; }, 5s));
   EXPECT_EQ(reader.reads_started(), 1U);
}

TEST(stream_reader_live, more_than_the_replay_limit_gives_the_newest) {
   NOTIFY_REQUIRE_REDIS_SERVER();
   redis_server server;
   std::string previous = "0-0";
   for (int n = 0; n < 10; ++n) {
      previous = add(server, previous, R"({"n":)" + std::to_string(n) + "}");
   }
   boost::asio::io_context io;
   stream_reader reader(io.get_executor(), server.settings(), 3, 1024);
   stream_reader::outcome_ptr result;
   reader.read_after(std::string(stream), routing::route{}, stream_id{},
                     [&](error_code ec, stream_reader::outcome_ptr outcome) {
                        ASSERT_FALSE(ec) << ec.message();
                        result = std::move(outcome);
                     });
   ASSERT_TRUE(run_until(
       io, [&] { return result != nullptr; }, 5s));
   EXPECT_TRUE(result->truncated);
   ASSERT_EQ(result->entries.size(), 3U);
   EXPECT_EQ(*result->entries.front().frame, *ws::make_frame(ws::opcode::text, R"({"n":7})"));
   EXPECT_EQ(to_string(result->entries.back().position->id), previous);
   EXPECT_EQ(to_string(*result->newest), previous);
}

} // namespace
} // namespace notify::history
