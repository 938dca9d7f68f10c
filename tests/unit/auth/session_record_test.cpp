#include "notify/auth/session_record.hpp"

#include <gtest/gtest.h>

namespace {

using notify::auth::user_id_from_session_record;

constexpr std::size_t cap = 256;

TEST(session_record, takes_a_string_user_id) {
   EXPECT_EQ(user_id_from_session_record(R"({"id":"s1","userId":"42","createdAt":1})", cap), "42");
}

TEST(session_record, takes_an_integer_user_id_in_decimal) {
   EXPECT_EQ(user_id_from_session_record(R"({"id":"s1","userId":42})", cap), "42");
   EXPECT_EQ(user_id_from_session_record(R"({"userId":-7})", cap), "-7");
   EXPECT_EQ(user_id_from_session_record(R"({"userId":18446744073709551615})", cap),
             "18446744073709551615");
}

TEST(session_record, accepts_a_colon_in_the_user_id) {
   EXPECT_EQ(user_id_from_session_record(R"({"userId":"org:7:user:42"})", cap), "org:7:user:42");
}

TEST(session_record, rejects_a_missing_user_id) {
   EXPECT_EQ(user_id_from_session_record(R"({"id":"s1"})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userid":"42"})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record("{}", cap), std::nullopt);
}

TEST(session_record, rejects_user_ids_of_other_types) {
   EXPECT_EQ(user_id_from_session_record(R"({"userId":null})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":4.2})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":42.0})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":true})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":["42"]})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":{"id":"42"}})", cap), std::nullopt);
}

TEST(session_record, rejects_records_that_are_not_objects) {
   EXPECT_EQ(user_id_from_session_record(R"([{"userId":"42"}])", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"("42")", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record("42", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record("null", cap), std::nullopt);
}

TEST(session_record, rejects_invalid_json) {
   EXPECT_EQ(user_id_from_session_record("", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record("{", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":"42",})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":"42"} trailing)", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record("{\"userId\":\"\xC3\"}", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":"42" /* c */})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(std::string(100000, '['), cap), std::nullopt);
}

TEST(session_record, rejects_user_ids_that_fail_the_user_id_rule) {
   EXPECT_EQ(user_id_from_session_record(R"({"userId":""})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":"a\nb"})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":"a\u0000b"})", cap), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":"abcde"})", 4), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":12345})", 4), std::nullopt);
   EXPECT_EQ(user_id_from_session_record(R"({"userId":"abcd"})", 4), "abcd");
}

} // namespace

namespace {

using notify::auth::express_session;
using notify::auth::parse_js_date;
using notify::auth::read_express_session;
using std::chrono::system_clock;

// 2026-12-06T12:00:00Z
system_clock::time_point const noon = system_clock::time_point(std::chrono::seconds(1796558400));

express_session express(std::string_view json, std::string_view field = "userId") {
   return read_express_session(json, field, cap, noon);
}

TEST(session_record, takes_the_named_field) {
   EXPECT_EQ(user_id_from_session_record(R"({"uid":"7","userId":"42"})", "uid", cap), "7");
   EXPECT_EQ(user_id_from_session_record(R"({"userId":"42"})", "uid", cap), std::nullopt);
}

TEST(js_date, parses_date_to_json) {
   EXPECT_EQ(parse_js_date("2026-12-06T12:00:00.000Z"), noon);
   EXPECT_EQ(parse_js_date("2026-12-06T12:00:00Z"), noon);
   EXPECT_EQ(parse_js_date("2026-12-06T12:00:00.5Z"), noon + std::chrono::milliseconds(500));
   EXPECT_EQ(parse_js_date("2026-12-06T12:00:00.123456Z"), noon + std::chrono::milliseconds(123));
   EXPECT_EQ(parse_js_date("1970-01-01T00:00:00.000Z"), system_clock::time_point{});
   // beyond the clock's nanosecond range: saturated, never wrapped around
   EXPECT_EQ(parse_js_date("7484-12-07T19:00:00.000Z"), system_clock::time_point::max());
   EXPECT_EQ(parse_js_date("9999-12-31T23:59:59.999Z"), system_clock::time_point::max());
   EXPECT_EQ(parse_js_date("0001-01-01T00:00:00.000Z"), system_clock::time_point::min());
}

TEST(js_date, refuses_anything_else) {
   for (std::string_view const text :
        {"", "2026-12-06", "2026-12-06T12:00:00.000", "2026-12-06T12:00:00.000+01:00",
         "2026-02-30T12:00:00.000Z", "2026-13-06T12:00:00.000Z", "2026-12-06T24:00:00.000Z",
         "2026-12-06 12:00:00.000Z", "2026-12-06T12:00:00.Z", "2026-12-06T12:00:00.1x3Z",
         "+2026-12-06T12:00:00.000Z", "Sun Dec 06 2026",
         "2026-12-06T12:00:00.000000000000000000000000000Z", "20a6-12-06T12:00:00.000Z"}) {
      EXPECT_EQ(parse_js_date(text), std::nullopt) << text;
   }
}

TEST(express_session_record, takes_the_user_of_a_live_session) {
   auto const live =
       express(R"({"cookie":{"originalMaxAge":86400000,"expires":"2026-12-07T12:00:00.000Z",)"
               R"("httpOnly":true,"path":"/"},"userId":42})");
   EXPECT_EQ(live.problem, express_session::problem::none);
   EXPECT_EQ(live.user_id, "42");
   EXPECT_EQ(express(R"({"cookie":{"expires":null,"path":"/"},"userId":"u1"})").user_id, "u1");
   EXPECT_EQ(express(R"({"cookie":{"path":"/"},"userId":"u1"})").user_id, "u1");
   EXPECT_EQ(express(R"({"userId":"u1"})").user_id, "u1");
   EXPECT_EQ(express(R"({"cookie":{},"account":7})", "account").user_id, "7");
   EXPECT_EQ(express(R"({"cookie":{"expires":"7484-12-07T19:00:00.000Z"},"userId":42})").user_id,
             "42");
}

TEST(express_session_record, refuses_an_expired_session) {
   for (std::string_view const expires : {"2026-12-06T11:59:59.999Z", "2026-12-06T12:00:00.000Z",
                                          "2000-01-01T00:00:00.000Z", "1000-01-01T00:00:00.000Z"}) {
      auto const stale =
          express(R"({"cookie":{"expires":")" + std::string(expires) + R"("},"userId":42})");
      EXPECT_EQ(stale.problem, express_session::problem::expired) << expires;
      EXPECT_EQ(stale.user_id, std::nullopt);
   }
}

TEST(express_session_record, anything_unexpected_is_invalid) {
   for (std::string_view const json :
        {"", "null", "[]", R"({"cookie":{"expires":"2026-12-07T12:00:00.000Z"}})",
         R"({"cookie":"x","userId":42})", R"({"cookie":{"expires":1796558400000},"userId":42})",
         R"({"cookie":{"expires":"tomorrow"},"userId":42})", R"({"userId":4.2})",
         R"({"userId":""})", R"({"userId":null})",
         R"({"cookie":{"expires":"2026-12-07T12:00:00.000Z"},"userId":true})"}) {
      auto const bad = express(json);
      EXPECT_EQ(bad.problem, express_session::problem::invalid) << json;
      EXPECT_EQ(bad.user_id, std::nullopt);
   }
}

} // namespace
