#include "notify/server/outbound_queue.hpp"

#include <array>
#include <gtest/gtest.h>
#include <string>

namespace notify::server {
namespace {

using buffer_array = std::array<boost::asio::const_buffer, outbound_queue::max_gather>;

ws::shared_frame frame(std::string text) {
   return std::make_shared<const std::string>(std::move(text));
}

/// What one vectored write of everything gather() offers would send.
std::string gathered(const outbound_queue& queue) {
   buffer_array buffers;
   auto const count = queue.gather(buffers);
   std::string out;
   for (std::size_t i = 0; i < count; ++i) {
      out.append(static_cast<const char*>(buffers[i].data()), buffers[i].size());
   }
   return out;
}

TEST(outbound_queue, starts_without_memory) {
   outbound_queue queue;
   EXPECT_TRUE(queue.empty());
   EXPECT_EQ(queue.capacity(), 0U);
   buffer_array buffers;
   EXPECT_EQ(queue.gather(buffers), 0U);
}

TEST(outbound_queue, keeps_order_and_counts_bytes) {
   outbound_queue queue;
   queue.push(frame("ab"));
   queue.push(frame("cde"));
   EXPECT_EQ(queue.size(), 2U);
   EXPECT_EQ(queue.bytes(), 5U);
   EXPECT_EQ(gathered(queue), "abcde");
}

TEST(outbound_queue, wraps_around_without_growing) {
   outbound_queue queue;
   for (int i = 0; i < 4; ++i) {
      queue.push(frame(std::to_string(i)));
   }
   auto const capacity = queue.capacity();
   // A client that stays one or two frames behind for a long time: the array never grows.
   for (int i = 4; i < 1000; ++i) {
      queue.consume(1);
      queue.push(frame(std::to_string(i % 10)));
      ASSERT_EQ(queue.capacity(), capacity);
      ASSERT_EQ(queue.size(), 4U);
   }
   EXPECT_EQ(gathered(queue), "6789");
   EXPECT_EQ(queue.bytes(), 4U);
}

TEST(outbound_queue, grows_while_wrapped_and_keeps_order) {
   outbound_queue queue;
   for (char c : std::string("abcd")) {
      queue.push(frame(std::string(1, c)));
   }
   queue.consume(3); // head is now in the last slot: the next pushes wrap
   queue.push(frame("e"));
   queue.push(frame("f"));
   queue.push(frame("g"));
   auto const capacity = queue.capacity();
   queue.push(frame("h")); // full and wrapped: grows
   queue.push(frame("i"));
   EXPECT_GT(queue.capacity(), capacity);
   EXPECT_EQ(queue.capacity() & (queue.capacity() - 1), 0U) << "a power of two";
   EXPECT_EQ(gathered(queue), "defghi");
   EXPECT_EQ(queue.size(), 6U);
   EXPECT_EQ(queue.bytes(), 6U);
}

TEST(outbound_queue, partial_writes_across_the_wrap) {
   outbound_queue queue;
   queue.push(frame("0123"));
   queue.push(frame("4567"));
   queue.push(frame("89"));
   queue.push(frame("ab"));
   queue.consume(8); // two slots free at the start of the array
   queue.push(frame("cdef"));
   queue.push(frame("gh"));
   EXPECT_EQ(gathered(queue), "89abcdefgh");
   queue.consume(3); // "89" and "a" of "ab"
   EXPECT_EQ(gathered(queue), "bcdefgh");
   EXPECT_EQ(queue.size(), 3U);
   EXPECT_EQ(queue.bytes(), 8U) << "a started frame counts whole until it is written";
   queue.consume(3); // "b", then "cd" of the wrapped frame
   EXPECT_EQ(gathered(queue), "efgh");
   queue.consume(4);
   EXPECT_TRUE(queue.empty());
   EXPECT_EQ(queue.bytes(), 0U);
}

TEST(outbound_queue, gathers_at_most_one_writes_worth) {
   outbound_queue queue;
   for (std::size_t i = 0; i < outbound_queue::max_gather + 10; ++i) {
      queue.push(frame("x"));
   }
   buffer_array buffers;
   EXPECT_EQ(queue.gather(buffers), outbound_queue::max_gather);
   queue.consume(outbound_queue::max_gather);
   EXPECT_EQ(queue.gather(buffers), 10U);
   EXPECT_EQ(queue.size(), 10U);
}

TEST(outbound_queue, size_and_bytes_follow_what_is_held) {
   outbound_queue queue;
   std::size_t expected_bytes = 0;
   for (int i = 1; i <= 100; ++i) {
      queue.push(frame(std::string(static_cast<std::size_t>(i), 'x')));
      expected_bytes += static_cast<std::size_t>(i);
   }
   EXPECT_EQ(queue.size(), 100U);
   EXPECT_EQ(queue.bytes(), expected_bytes);
   queue.consume(1 + 2 + 3);
   EXPECT_EQ(queue.size(), 97U);
   EXPECT_EQ(queue.bytes(), expected_bytes - 6);
}

TEST(outbound_queue, drop_all_but_started_keeps_a_partly_written_head) {
   outbound_queue queue;
   for (int i = 0; i < 200; ++i) {
      queue.push(frame("frame"));
   }
   queue.consume(7); // one frame and two bytes of the next
   queue.drop_all_but_started();
   EXPECT_EQ(queue.size(), 1U);
   EXPECT_EQ(queue.bytes(), 5U);
   EXPECT_LE(queue.capacity(), 4U) << "the big array is given back";
   queue.push(frame("CLOSE"));
   EXPECT_EQ(gathered(queue), "ameCLOSE") << "the stream stays in sync for the close frame";
}

TEST(outbound_queue, drop_all_but_started_drops_everything_unstarted) {
   outbound_queue queue;
   queue.push(frame("one"));
   queue.push(frame("two"));
   queue.consume(3); // "one" is fully out, "two" not started
   queue.drop_all_but_started();
   EXPECT_TRUE(queue.empty());
   EXPECT_EQ(queue.bytes(), 0U);
   EXPECT_EQ(queue.capacity(), 0U);
   queue.push(frame("CLOSE"));
   EXPECT_EQ(gathered(queue), "CLOSE");
}

TEST(outbound_queue, releases_a_big_array_when_drained) {
   outbound_queue queue;
   for (int i = 0; i < 1000; ++i) {
      queue.push(frame("x"));
   }
   EXPECT_GE(queue.capacity(), 1000U);
   queue.consume(1000);
   EXPECT_TRUE(queue.empty());
   EXPECT_EQ(queue.capacity(), 0U);
}

TEST(outbound_queue, keeps_a_small_array_while_busy_and_frees_it_when_idle) {
   outbound_queue queue;
   queue.push(frame("x"));
   queue.consume(1);
   auto const capacity = queue.capacity();
   EXPECT_GT(capacity, 0U) << "a steady trickle reuses its array instead of allocating";
   queue.trim(); // pushed to since the last trim: still in use
   EXPECT_EQ(queue.capacity(), capacity);
   queue.trim(); // nothing queued since: idle
   EXPECT_EQ(queue.capacity(), 0U);
   queue.push(frame("y"));
   queue.trim();
   queue.trim();
   EXPECT_GT(queue.capacity(), 0U) << "a queue holding frames keeps them";
   EXPECT_EQ(gathered(queue), "y");
}

TEST(outbound_queue, clear_frees_everything) {
   outbound_queue queue;
   queue.push(frame("abc"));
   queue.consume(1);
   queue.clear();
   EXPECT_TRUE(queue.empty());
   EXPECT_EQ(queue.bytes(), 0U);
   EXPECT_EQ(queue.capacity(), 0U);
   queue.push(frame("def"));
   EXPECT_EQ(gathered(queue), "def") << "no stale offset from the cleared head";
}

TEST(outbound_queue, releases_the_frames_it_wrote) {
   outbound_queue queue;
   auto const shared = frame("shared");
   queue.push(shared);
   queue.push(shared);
   EXPECT_EQ(shared.use_count(), 3);
   queue.consume(6);
   EXPECT_EQ(shared.use_count(), 2);
   queue.drop_all_but_started();
   EXPECT_EQ(shared.use_count(), 1);
}

} // namespace
} // namespace notify::server
