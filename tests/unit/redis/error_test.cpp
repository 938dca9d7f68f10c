#include "notify/redis/error.hpp"

#include <gtest/gtest.h>

namespace notify::redis {
namespace {

TEST(redis_error, codes_convert_implicitly_and_have_messages) {
   boost::system::error_code ec = errc::auth_failed;
   EXPECT_TRUE(ec);
   EXPECT_EQ(ec, errc::auth_failed);
   EXPECT_NE(ec, errc::stopped);
   EXPECT_STREQ(ec.category().name(), "notify.redis");
   for (auto code :
        {errc::connect_timeout, errc::auth_failed, errc::protocol_error, errc::connection_lost,
         errc::not_connected, errc::stopped, errc::queue_full, errc::health_check_failed}) {
      boost::system::error_code const each = code;
      EXPECT_TRUE(each);
      EXPECT_NE(each.message(), "unknown redis error");
   }
}

} // namespace
} // namespace notify::redis
