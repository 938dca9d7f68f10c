#include "notify/server/http_util.hpp"

#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <string_view>

namespace notify::server {
namespace {

using namespace std::string_view_literals;

TEST(target_path, strips_the_query) {
   EXPECT_EQ(target_path("/ws"), "/ws");
   EXPECT_EQ(target_path("/ws?token=abc"), "/ws");
   EXPECT_EQ(target_path("/ws?"), "/ws");
   EXPECT_EQ(target_path("/metrics?a=1?b=2"), "/metrics");
   EXPECT_EQ(target_path("?x"), "");
   EXPECT_EQ(target_path(""), "");
   EXPECT_EQ(target_path("/"), "/");
}

TEST(query_parameter, finds_a_plain_value) {
   EXPECT_EQ(query_parameter("/ws?token=abc", "token"), "abc");
   EXPECT_EQ(query_parameter("/ws?a=1&token=abc&b=2", "token"), "abc");
   EXPECT_EQ(query_parameter("/ws?a=1&token=abc", "token"), "abc");
   EXPECT_EQ(query_parameter("/ws?token=a.b.c-_~", "token"), "a.b.c-_~");
}

TEST(query_parameter, percent_decodes) {
   EXPECT_EQ(query_parameter("/ws?t=a%2Bb%3D%3d", "t"), "a+b==");
   EXPECT_EQ(query_parameter("/ws?t=%C3%A9", "t"), "\xC3\xA9");
   EXPECT_EQ(query_parameter("/ws?t=%41", "t"), "A") << "escape at the very end";
   EXPECT_EQ(query_parameter("/ws?t=%25", "t"), "%");
   EXPECT_EQ(query_parameter("/ws?t=%00", "t"), std::string(1, '\0'));
}

TEST(query_parameter, plus_is_a_space) {
   EXPECT_EQ(query_parameter("/ws?q=hello+world", "q"), "hello world");
   EXPECT_EQ(query_parameter("/ws?q=%2B+", "q"), "+ ");
}

TEST(query_parameter, missing_parameter_is_nullopt) {
   EXPECT_EQ(query_parameter("/ws", "token"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?", "token"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?other=1", "token"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?TOKEN=1", "token"), std::nullopt) << "keys are exact";
   EXPECT_EQ(query_parameter("/ws?a=token", "token"), std::nullopt) << "a value is not a key";
   EXPECT_EQ(query_parameter("/ws#token=1", "token"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?a=1#&token=2", "token"), std::nullopt) << "after the fragment";
}

TEST(query_parameter, empty_values) {
   EXPECT_EQ(query_parameter("/ws?token=", "token"), "");
   EXPECT_EQ(query_parameter("/ws?token", "token"), "");
   EXPECT_EQ(query_parameter("/ws?token&a=1", "token"), "");
   EXPECT_EQ(query_parameter("/ws?&&token=x&&", "token"), "x");
}

TEST(query_parameter, bad_escapes_are_nullopt) {
   EXPECT_EQ(query_parameter("/ws?t=%zz", "t"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?t=%4", "t"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?t=%", "t"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?t=abc%", "t"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?t=%4&x=1", "t"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?t=%G1", "t"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?t=%1G", "t"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?t=% 1", "t"), std::nullopt);
}

TEST(query_parameter, repeated_keys_give_the_first) {
   EXPECT_EQ(query_parameter("/ws?token=1&token=2", "token"), "1");
   EXPECT_EQ(query_parameter("/ws?token=&token=2", "token"), "");
}

TEST(query_parameter, a_key_that_prefixes_another_does_not_match_it) {
   EXPECT_EQ(query_parameter("/ws?tok=1&token=2", "token"), "2");
   EXPECT_EQ(query_parameter("/ws?tok=1&token=2", "tok"), "1");
   EXPECT_EQ(query_parameter("/ws?token=2&tok=1", "tok"), "1");
   EXPECT_EQ(query_parameter("/ws?tokenx=1", "token"), std::nullopt);
   EXPECT_EQ(query_parameter("/ws?xtoken=1", "token"), std::nullopt);
}

TEST(query_parameter, value_may_contain_equals) {
   EXPECT_EQ(query_parameter("/ws?token=a=b==", "token"), "a=b==");
}

TEST(bearer_token, reads_the_token) {
   EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
}

TEST(bearer_token, scheme_is_case_insensitive) {
   EXPECT_EQ(bearer_token("bearer t"), "t");
   EXPECT_EQ(bearer_token("BEARER t"), "t");
   EXPECT_EQ(bearer_token("bEaReR t"), "t");
}

TEST(bearer_token, tolerates_extra_spaces) {
   EXPECT_EQ(bearer_token("Bearer    t"), "t");
   EXPECT_EQ(bearer_token("  Bearer t  "), "t");
   EXPECT_EQ(bearer_token("\tBearer t\t"), "t");
}

TEST(bearer_token, missing_token_is_nullopt) {
   EXPECT_EQ(bearer_token(""), std::nullopt);
   EXPECT_EQ(bearer_token("Bearer"), std::nullopt);
   EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
   EXPECT_EQ(bearer_token("Bearer     "), std::nullopt);
   EXPECT_EQ(bearer_token("   "), std::nullopt);
}

TEST(bearer_token, other_schemes_are_nullopt) {
   EXPECT_EQ(bearer_token("Basic dXNlcjpwYXNz"), std::nullopt);
   EXPECT_EQ(bearer_token("Bearerabc"), std::nullopt);
   EXPECT_EQ(bearer_token("Bear abc"), std::nullopt);
   EXPECT_EQ(bearer_token("Token abc"), std::nullopt);
   EXPECT_EQ(bearer_token("abc"), std::nullopt);
   EXPECT_EQ(bearer_token("XBearer abc"), std::nullopt);
}

TEST(header_lists_token, finds_a_listed_token) {
   EXPECT_TRUE(header_lists_token("keep-alive, Upgrade", "upgrade"));
   EXPECT_TRUE(header_lists_token("upgrade", "upgrade"));
   EXPECT_TRUE(header_lists_token("Upgrade", "upgrade"));
   EXPECT_TRUE(header_lists_token("UPGRADE", "Upgrade"));
   EXPECT_TRUE(header_lists_token("  upgrade  ", "upgrade"));
   EXPECT_TRUE(header_lists_token("keep-alive,upgrade", "upgrade"));
   EXPECT_TRUE(header_lists_token("Upgrade, keep-alive", "upgrade"));
   EXPECT_TRUE(header_lists_token(",, upgrade ,", "upgrade"));
   EXPECT_TRUE(header_lists_token("keep-alive,\tUpgrade", "upgrade"));
}

TEST(header_lists_token, needs_the_whole_token) {
   EXPECT_FALSE(header_lists_token("upgrades", "upgrade"));
   EXPECT_FALSE(header_lists_token("xupgrade", "upgrade"));
   EXPECT_FALSE(header_lists_token("keep-alive", "upgrade"));
   EXPECT_FALSE(header_lists_token("keep-alive upgrade", "upgrade"));
   EXPECT_FALSE(header_lists_token("", "upgrade"));
   EXPECT_FALSE(header_lists_token("upgrade;q=1", "upgrade"));
   EXPECT_FALSE(header_lists_token("upgr, ade", "upgrade"));
}

} // namespace
} // namespace notify::server
