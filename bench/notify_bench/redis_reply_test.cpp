#include "redis_publisher.hpp"

#include <gtest/gtest.h>
#include <stdexcept>

namespace notify::bench {
namespace {

TEST(RedisReplies, CountsIntegersZerosAndErrors) {
   publish_counters counters;
   std::string error;
   std::string_view const bytes = ":1\r\n:0\r\n-ERR wrong\r\n:2\r\n:1";
   std::size_t const used = parse_publish_replies(bytes, counters, error);
   EXPECT_EQ(used, bytes.size() - 2); // the last reply is incomplete
   EXPECT_EQ(counters.acknowledged, 3u);
   EXPECT_EQ(counters.unheard, 1u);
   EXPECT_EQ(counters.errors, 1u);
   EXPECT_EQ(error, "ERR wrong");
}

TEST(RedisReplies, CountsStreamIdsOfFcallOnlyWhenComplete) {
   publish_counters counters;
   std::string error;
   std::string_view const bytes = "$15\r\n1700000000000-0\r\n$15\r\n1700000000000-1\r";
   std::size_t const used = parse_publish_replies(bytes, counters, error);
   EXPECT_EQ(used, 22U);
   EXPECT_EQ(counters.acknowledged, 1U);
   EXPECT_EQ(parse_publish_replies("$15\r\n17000", counters, error), 0U);
}

TEST(RedisReplies, RefusesRepliesPublishNeverGets) {
   publish_counters counters;
   std::string error;
   EXPECT_THROW(parse_publish_replies("*1\r\n:1\r\n", counters, error), std::runtime_error);
   EXPECT_THROW(parse_publish_replies("$x\r\n", counters, error), std::runtime_error);
   EXPECT_THROW(parse_publish_replies(":x\r\n", counters, error), std::runtime_error);
   EXPECT_THROW(parse_publish_replies(std::string(70000, ':'), counters, error),
                std::runtime_error);
}

} // namespace
} // namespace notify::bench
