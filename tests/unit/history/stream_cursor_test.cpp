#include "notify/history/stream_cursor.hpp"

#include <gtest/gtest.h>

namespace notify::history {
namespace {

using verdict = stream_cursor::verdict;
using routing::stream_position;

stream_id id(std::uint64_t ms) {
   return {ms, 0};
}

routing::notification entry(std::uint64_t ms, std::uint64_t previous_ms) {
   return {{}, nullptr, nullptr, stream_position{id(ms), id(previous_ms)}};
}

stream_cursor live_at(std::uint64_t ms) {
   stream_cursor cursor;
   cursor.start_reading({});
   cursor.on_tail(id(ms));
   return cursor;
}

TEST(stream_cursor, delivers_in_order_and_drops_what_it_has_seen) {
   auto cursor = live_at(10);
   EXPECT_EQ(cursor.on_live({id(11), id(10)}), verdict::deliver);
   EXPECT_EQ(cursor.position(), id(11));
   EXPECT_EQ(cursor.on_live({id(11), id(10)}), verdict::duplicate);
   EXPECT_EQ(cursor.on_live({id(9), id(8)}), verdict::duplicate);
   EXPECT_EQ(cursor.on_live({id(12), id(11)}), verdict::deliver);
}

TEST(stream_cursor, a_message_that_skips_ahead_starts_a_read) {
   auto cursor = live_at(10);
   EXPECT_EQ(cursor.on_live({id(13), id(12)}), verdict::gap);
   EXPECT_EQ(cursor.current(), stream_cursor::state::reading);
   EXPECT_EQ(cursor.on_live({id(14), id(13)}), verdict::hold);
   read_outcome outcome;
   outcome.entries = {entry(11, 10), entry(12, 11), entry(13, 12)};
   outcome.newest = id(14);
   auto const replay = cursor.on_replay(outcome);
   EXPECT_FALSE(replay.missing);
   EXPECT_EQ(replay.first, 0U);
   EXPECT_EQ(cursor.position(), id(13));
   EXPECT_EQ(cursor.on_live({id(13), id(12)}), verdict::duplicate) << "held copy of 13";
   EXPECT_EQ(cursor.on_live({id(14), id(13)}), verdict::deliver);
}

TEST(stream_cursor, untracked_streams_deliver_everything) {
   stream_cursor cursor;
   EXPECT_EQ(cursor.on_live({id(5), id(1)}), verdict::deliver);
   EXPECT_EQ(cursor.on_live({id(5), id(1)}), verdict::deliver);
}

TEST(stream_cursor, without_a_start_the_first_message_to_arrive_becomes_the_position) {
   stream_cursor cursor;
   cursor.start_anchoring();
   EXPECT_EQ(cursor.on_live({id(7), id(4)}), verdict::deliver) << "whatever came before it";
   EXPECT_EQ(cursor.current(), stream_cursor::state::live);
   EXPECT_EQ(cursor.position(), id(7));
   EXPECT_EQ(cursor.on_live({id(7), id(4)}), verdict::duplicate);
   EXPECT_EQ(cursor.on_live({id(9), id(8)}), verdict::gap) << "from then on, in order or a read";
}

TEST(stream_cursor, a_fresh_connection_starts_at_the_tail) {
   stream_cursor cursor;
   cursor.start_reading({});
   EXPECT_EQ(cursor.on_live({id(3), id(2)}), verdict::hold);
   cursor.on_tail(std::nullopt);
   EXPECT_EQ(cursor.position(), stream_id{});
   EXPECT_EQ(cursor.on_live({id(1), stream_id{}}), verdict::deliver);
}

struct gap_case {
   const char* name;
   std::uint64_t after;
   read_outcome outcome;
   std::optional<gap_reason> reason;
   std::uint64_t until;
   std::uint64_t position;
};

TEST(stream_cursor, names_every_gap) {
   auto outcome = [](std::vector<routing::notification> entries, std::optional<stream_id> newest,
                     bool truncated = false) {
      read_outcome out;
      out.entries = std::move(entries);
      out.newest = newest;
      out.truncated = truncated;
      return out;
   };
   std::vector<gap_case> const cases{
       {"up to date", 10, outcome({}, id(10)), std::nullopt, 0, 10},
       {"continuous", 10, outcome({entry(11, 10)}, id(11)), std::nullopt, 0, 11},
       {"trimmed", 10, outcome({entry(15, 14)}, id(15)), gap_reason::trimmed, 14, 15},
       {"started over", 10, outcome({entry(15, 0)}, id(15)), gap_reason::expired, 0, 15},
       {"stream gone", 10, outcome({}, std::nullopt), gap_reason::expired, 0, 0},
       {"ahead of the stream", 20, outcome({}, id(15)), gap_reason::unknown_position, 15, 15},
       {"not an id of the stream", 12, outcome({entry(15, 11)}, id(15)),
        gap_reason::unknown_position, 11, 15},
       {"too many missed", 10, outcome({entry(50, 49)}, id(50), true), gap_reason::replay_limit, 49,
        50},
       {"nothing yet, nothing missed", 0, outcome({}, std::nullopt), std::nullopt, 0, 0},
   };
   for (auto const& c : cases) {
      stream_cursor cursor;
      cursor.start_reading(id(c.after));
      auto const replay = cursor.on_replay(c.outcome);
      EXPECT_EQ(cursor.current(), stream_cursor::state::live) << c.name;
      EXPECT_EQ(cursor.position(), id(c.position)) << c.name;
      ASSERT_EQ(replay.missing.has_value(), c.reason.has_value()) << c.name;
      if (c.reason) {
         EXPECT_EQ(replay.missing->reason, *c.reason) << c.name;
         EXPECT_EQ(replay.missing->after, id(c.after)) << c.name;
         EXPECT_EQ(replay.missing->until, id(c.until)) << c.name;
      }
   }
}

} // namespace
} // namespace notify::history
