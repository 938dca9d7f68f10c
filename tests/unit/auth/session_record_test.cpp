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
