#include "notify/config/loader.hpp"
#include "notify/config/redis_url.hpp"

#include <gtest/gtest.h>

namespace notify::config {
namespace {

redis::settings parsed(std::string_view url) {
   redis::settings result;
   apply_redis_url(url, result);
   return result;
}

TEST(redis_url, host_alone_changes_only_the_host) {
   redis::settings before;
   before.port = 7000;
   before.password = "kept";
   before.db = 3;
   auto after = before;
   apply_redis_url("redis://cache.internal", after);
   EXPECT_EQ(after.host, "cache.internal");
   EXPECT_EQ(after.port, 7000);
   EXPECT_EQ(after.password, "kept");
   EXPECT_EQ(after.db, 3);
}

TEST(redis_url, full_form) {
   auto const result = parsed("redis://alice:s3cret@redis-1.example.com:6380/2");
   EXPECT_EQ(result.username, "alice");
   EXPECT_EQ(result.password, "s3cret");
   EXPECT_EQ(result.host, "redis-1.example.com");
   EXPECT_EQ(result.port, 6380);
   EXPECT_EQ(result.db, 2);
}

TEST(redis_url, password_without_user) {
   redis::settings result;
   result.username = "previous";
   apply_redis_url("redis://:pw@localhost", result);
   EXPECT_EQ(result.username, "");
   EXPECT_EQ(result.password, "pw");
   EXPECT_EQ(result.host, "localhost");
}

TEST(redis_url, percent_decoding_of_credentials) {
   auto const result = parsed("redis://us%40er:p%3Ass%2Fw%25rd@host");
   EXPECT_EQ(result.username, "us@er");
   EXPECT_EQ(result.password, "p:ss/w%rd");
}

TEST(redis_url, raw_at_sign_in_password_splits_at_the_last_one) {
   auto const result = parsed("redis://:p@ss@host:1");
   EXPECT_EQ(result.password, "p@ss");
   EXPECT_EQ(result.host, "host");
}

TEST(redis_url, ipv6_in_brackets) {
   auto const result = parsed("redis://[::1]:6390/1");
   EXPECT_EQ(result.host, "::1");
   EXPECT_EQ(result.port, 6390);
   EXPECT_EQ(result.db, 1);
   EXPECT_EQ(parsed("redis://[2001:db8::7]").host, "2001:db8::7");
}

TEST(redis_url, port_and_db_bounds) {
   EXPECT_EQ(parsed("redis://h:1").port, 1);
   EXPECT_EQ(parsed("redis://h:65535").port, 65535);
   EXPECT_EQ(parsed("redis://h/0").db, 0);
   EXPECT_EQ(parsed("redis://h/15").db, 15);
   EXPECT_EQ(parsed("redis://h/").db, 0); // an empty path means no db
   EXPECT_EQ(parsed("REDIS://h").host, "h");
}

TEST(redis_url, bad_urls_throw_with_key_redis_url_and_change_nothing) {
   for (std::string_view const url : {
            "",
            "localhost:6379",
            "http://host",
            "rediss://host",
            "redis://",
            "redis://:6379",
            "redis://host:0",
            "redis://host:65536",
            "redis://host:",
            "redis://host:abc",
            "redis://host:-1",
            "redis://host/abc",
            "redis://host/-1",
            "redis://host/1/2",
            "redis://host/99999999999",
            "redis://host?db=1",
            "redis://host#x",
            "redis://secretonly@host",
            "redis://:bad%zzpw@host",
            "redis://:pw%0@host",
            "redis://:pw%00@host",
            "redis://[::1",
            "redis://[::1]x",
            "redis://[]",
            "redis://[nothex]",
            "redis://ho st",
            "redis://host\n",
            "redis://ho$t",
            "redis://::1",
        }) {
      redis::settings target;
      target.host = "unchanged";
      try {
         apply_redis_url(url, target);
         ADD_FAILURE() << "accepted: " << url;
      } catch (config_error const& error) {
         EXPECT_EQ(error.key, "redis.url") << url;
         EXPECT_TRUE(std::string(error.what()).starts_with("redis.url: ")) << error.what();
      }
      EXPECT_EQ(target.host, "unchanged") << url;
      EXPECT_EQ(target.username, "") << url;
      EXPECT_EQ(target.password, "") << url;
   }
}

TEST(redis_url, messages_never_repeat_the_password) {
   redis::settings target;
   try {
      apply_redis_url("redis://user:topsecret@host:notaport", target);
      FAIL() << "accepted";
   } catch (config_error const& error) {
      EXPECT_EQ(std::string(error.what()).find("topsecret"), std::string::npos);
      EXPECT_NE(std::string(error.what()).find("port"), std::string::npos);
   }
}

} // namespace
} // namespace notify::config
