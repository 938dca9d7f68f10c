#include "notify/redis/reply.hpp"

#include <gtest/gtest.h>
#include <string>
#include <string_view>

namespace notify::redis {
namespace {

using namespace std::string_literals;

bool feed(reply_reader& reader, std::string_view bytes) {
   return reader.feed(bytes.data(), bytes.size());
}

reply read_one(std::string_view bytes) {
   reply_reader reader;
   EXPECT_TRUE(feed(reader, bytes));
   auto result = reader.next();
   EXPECT_TRUE(result.has_value()) << reader.error();
   EXPECT_FALSE(reader.next().has_value());
   return result ? std::move(*result) : reply{};
}

TEST(reply_reader, converts_scalar_types) {
   auto status = read_one("+OK\r\n");
   EXPECT_EQ(status.type, reply::kind::status);
   EXPECT_EQ(status.str, "OK");

   auto error = read_one("-WRONGPASS invalid username-password pair\r\n");
   EXPECT_TRUE(error.is_error());
   EXPECT_EQ(error.str, "WRONGPASS invalid username-password pair");

   auto integer = read_one(":-42\r\n");
   EXPECT_EQ(integer.type, reply::kind::integer);
   EXPECT_EQ(integer.integer, -42);

   auto nil = read_one("$-1\r\n");
   EXPECT_EQ(nil.type, reply::kind::nil);

   auto empty = read_one("$0\r\n\r\n");
   EXPECT_EQ(empty.type, reply::kind::string);
   EXPECT_EQ(empty.str, "");
}

TEST(reply_reader, bulk_strings_are_binary_safe) {
   std::string const payload = "a\0b\r\n\xff\xfe"s;
   auto r = read_one("$" + std::to_string(payload.size()) + "\r\n" + payload + "\r\n");
   EXPECT_EQ(r.type, reply::kind::string);
   EXPECT_EQ(r.str, payload);
}

TEST(reply_reader, converts_nested_arrays) {
   auto r = read_one("*3\r\n$7\r\nmessage\r\n*2\r\n:1\r\n$-1\r\n*0\r\n");
   ASSERT_TRUE(r.is_array());
   ASSERT_EQ(r.elements.size(), 3u);
   EXPECT_EQ(r.elements[0].str, "message");
   ASSERT_TRUE(r.elements[1].is_array());
   ASSERT_EQ(r.elements[1].elements.size(), 2u);
   EXPECT_EQ(r.elements[1].elements[0].integer, 1);
   EXPECT_EQ(r.elements[1].elements[1].type, reply::kind::nil);
   EXPECT_TRUE(r.elements[2].is_array());
   EXPECT_TRUE(r.elements[2].elements.empty());

   auto nil_array = read_one("*-1\r\n");
   EXPECT_EQ(nil_array.type, reply::kind::nil);
}

TEST(reply_reader, assembles_replies_split_at_every_byte) {
   std::string const stream = "*3\r\n$8\r\npmessage\r\n$4\r\nu:*x\r\n$5\r\nhe\0lo\r\n+PONG\r\n"s;
   reply_reader reader;
   std::vector<reply> replies;
   for (char byte : stream) {
      ASSERT_TRUE(reader.feed(&byte, 1));
      while (auto r = reader.next()) {
         replies.push_back(std::move(*r));
      }
   }
   ASSERT_EQ(replies.size(), 2u);
   ASSERT_EQ(replies[0].elements.size(), 3u);
   EXPECT_EQ(replies[0].elements[2].str, "he\0lo"s);
   EXPECT_EQ(replies[1].str, "PONG");
}

TEST(reply_reader, returns_many_replies_from_one_feed_in_order) {
   std::string stream;
   for (int i = 0; i < 100; ++i) {
      stream += ":" + std::to_string(i) + "\r\n";
   }
   reply_reader reader;
   ASSERT_TRUE(feed(reader, stream));
   for (int i = 0; i < 100; ++i) {
      auto r = reader.next();
      ASSERT_TRUE(r);
      EXPECT_EQ(r->integer, i);
   }
   EXPECT_FALSE(reader.next());
   EXPECT_FALSE(reader.failed());
}

TEST(reply_reader, rejects_a_bad_type_byte) {
   reply_reader reader;
   ASSERT_TRUE(feed(reader, "?what\r\n"));
   EXPECT_FALSE(reader.next());
   EXPECT_TRUE(reader.failed());
   EXPECT_FALSE(reader.error().empty());
   EXPECT_FALSE(feed(reader, "+OK\r\n")) << "a failed stream stays failed";
}

TEST(reply_reader, rejects_a_string_over_the_byte_limit) {
   reply_reader reader(reply_limits{.max_bytes = 16, .max_elements = 16});
   ASSERT_TRUE(feed(reader, "$17\r\n"));
   EXPECT_FALSE(feed(reader, "0123456789abcdefg\r\n"));
   EXPECT_TRUE(reader.failed());
}

TEST(reply_reader, rejects_announced_lengths_that_cannot_be_honest) {
   reply_reader reader(reply_limits{.max_bytes = 1024, .max_elements = 16});
   ASSERT_TRUE(feed(reader, "$9223372036854775807\r\n"));
   EXPECT_FALSE(reader.next());
   EXPECT_FALSE(reader.failed()) << "still waiting for the bytes";
   std::string const filler(1100, 'x');
   EXPECT_FALSE(feed(reader, filler)) << "unparsed bytes may not exceed max_bytes";
}

TEST(reply_reader, rejects_huge_arrays_before_allocating_them) {
   reply_reader reader(reply_limits{.max_bytes = 1024, .max_elements = 8});
   ASSERT_TRUE(feed(reader, "*2000000000\r\n"));
   EXPECT_FALSE(reader.next());
   EXPECT_TRUE(reader.failed());
}

TEST(reply_reader, counts_elements_across_nested_arrays) {
   reply_reader reader(reply_limits{.max_bytes = 1024, .max_elements = 5});
   ASSERT_TRUE(feed(reader, "*2\r\n*2\r\n:1\r\n:2\r\n*2\r\n:3\r\n:4\r\n"));
   EXPECT_FALSE(reader.next());
   EXPECT_TRUE(reader.failed());
}

TEST(reply_reader, the_element_budget_is_per_reply) {
   reply_reader reader(reply_limits{.max_bytes = 1024, .max_elements = 2});
   for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(feed(reader, "*2\r\n:1\r\n:2\r\n"));
      auto r = reader.next();
      ASSERT_TRUE(r) << reader.error();
      EXPECT_EQ(r->elements.size(), 2u);
   }
}

TEST(reply_reader, rejects_negative_array_lengths) {
   reply_reader reader;
   ASSERT_TRUE(feed(reader, "*-5\r\n"));
   EXPECT_FALSE(reader.next());
   EXPECT_TRUE(reader.failed());
}

TEST(reply_reader, rejects_deep_nesting_without_crashing) {
   reply_reader deep;
   std::string stream;
   for (int i = 0; i < 64; ++i) {
      stream += "*1\r\n";
   }
   ASSERT_TRUE(feed(deep, stream));
   EXPECT_FALSE(deep.next());
   EXPECT_TRUE(deep.failed());
}

TEST(reply_reader, frees_a_partial_reply_when_destroyed) {
   // Run under ASan/valgrind to see the point; here it must simply not crash.
   reply_reader reader;
   ASSERT_TRUE(feed(reader, "*3\r\n$3\r\nabc\r\n*2\r\n:1\r\n"));
   EXPECT_FALSE(reader.next());
   EXPECT_FALSE(reader.failed());
}

} // namespace
} // namespace notify::redis
