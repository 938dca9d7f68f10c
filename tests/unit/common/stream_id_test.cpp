#include "notify/common/stream_id.hpp"

#include <gtest/gtest.h>

namespace notify {
namespace {

TEST(stream_id, parses_what_redis_writes) {
   EXPECT_EQ(parse_stream_id("0-0"), (stream_id{0, 0}));
   EXPECT_EQ(parse_stream_id("1733573000123-7"), (stream_id{1733573000123, 7}));
   EXPECT_EQ(parse_stream_id("18446744073709551615-18446744073709551615"),
             (stream_id{UINT64_MAX, UINT64_MAX}));
   EXPECT_EQ(to_string({1733573000123, 7}), "1733573000123-7");
   EXPECT_EQ(parse_stream_id(to_string({42, 0})), (stream_id{42, 0}));
}

TEST(stream_id, refuses_anything_else) {
   for (std::string_view const text : {"",
                                       "-",
                                       "1",
                                       "1-",
                                       "-1",
                                       "$",
                                       "+",
                                       "*",
                                       " 1-2",
                                       "1-2 ",
                                       "1--2",
                                       "1-2-3",
                                       "01-2",
                                       "1-02",
                                       "+1-2",
                                       "1-+2",
                                       "18446744073709551616-0",
                                       "0-18446744073709551616",
                                       "1.5-2",
                                       "a-b",
                                       "123456789012345678901-0"}) {
      EXPECT_EQ(parse_stream_id(text), std::nullopt) << text;
   }
}

TEST(stream_id, orders_like_a_stream) {
   EXPECT_LT((stream_id{1, 5}), (stream_id{2, 0}));
   EXPECT_LT((stream_id{2, 0}), (stream_id{2, 1}));
   EXPECT_TRUE((stream_id{}).is_zero());
   EXPECT_FALSE((stream_id{0, 1}).is_zero());
}

} // namespace
} // namespace notify
