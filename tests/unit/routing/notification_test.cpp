#include "notify/routing/notification.hpp"

#include <cstdint>
#include <gtest/gtest.h>
#include <string>
#include <string_view>

namespace notify::routing {
namespace {

using namespace std::string_view_literals;

constexpr std::size_t max_payload = 1024 * 1024;
constexpr std::string_view user_channel = "user:42:notifications";

channel_scheme default_scheme() {
   return channel_scheme("user:*:notifications", "global_notifications", 64);
}

/// The header an unmasked final text frame of `length` payload bytes must start with.
std::string expected_text_header(std::size_t length) {
   std::string header(1, '\x81');
   if (length < 126) {
      header.push_back(static_cast<char>(length));
   } else if (length <= 0xFFFF) {
      header.push_back(static_cast<char>(126));
      header.push_back(static_cast<char>(length >> 8));
      header.push_back(static_cast<char>(length & 0xFF));
   } else {
      header.push_back(static_cast<char>(127));
      for (int shift = 56; shift >= 0; shift -= 8) {
         header.push_back(static_cast<char>((static_cast<std::uint64_t>(length) >> shift) & 0xFF));
      }
   }
   return header;
}

/// A JSON string literal whose encoding is exactly `length` bytes (length >= 2).
std::string json_string_of_length(std::size_t length) {
   return "\"" + std::string(length - 2, 'x') + "\"";
}

void expect_framed(const prepare_result& result, std::string_view payload) {
   ASSERT_TRUE(result.ready.has_value()) << "dropped: " << reason(result.dropped);
   ASSERT_TRUE(result.ready->frame);
   auto const& frame = *result.ready->frame;
   auto const header = expected_text_header(payload.size());
   ASSERT_EQ(frame.size(), header.size() + payload.size());
   EXPECT_EQ(frame.substr(0, header.size()), header);
   EXPECT_TRUE(std::string_view(frame).substr(header.size()) == payload)
       << "the payload is sent byte for byte";
}

prepare_result prepare(std::string_view channel, std::string_view payload,
                       std::size_t limit = max_payload) {
   return prepare_notification(default_scheme(), channel, payload, limit);
}

drop_reason dropped(std::string_view channel, std::string_view payload,
                    std::size_t limit = max_payload) {
   auto const result = prepare(channel, payload, limit);
   EXPECT_FALSE(result.ready.has_value()) << payload.substr(0, 80) << " was accepted";
   return result.dropped;
}

TEST(prepare_notification, frames_a_json_object_for_the_user) {
   constexpr auto payload = R"({"type":"message","text":"hi","n":[1,2,3]})"sv;
   auto const result = prepare(user_channel, payload);
   expect_framed(result, payload);
   EXPECT_EQ(result.ready->target.kind, route::scope::user);
   EXPECT_EQ(result.ready->target.user_id, "42");
}

TEST(prepare_notification, frames_array_string_and_scalars_unchanged) {
   for (auto const payload :
        {"[1, 2, {\"a\": null}]"sv, "\"just text\""sv, "  {\"spaced\" : 1 }  "sv, "42"sv, "true"sv,
         "null"sv, "\"Zo\xC3\xAB \xF0\x9F\x98\x80\""sv, "\"\\u00e9\\n\""sv}) {
      SCOPED_TRACE(payload);
      expect_framed(prepare(user_channel, payload), payload);
   }
}

TEST(prepare_notification, routes_the_global_channel) {
   auto const result = prepare("global_notifications", "{}");
   expect_framed(result, "{}");
   EXPECT_EQ(result.ready->target.kind, route::scope::global);
}

TEST(prepare_notification, writes_the_right_header_at_length_boundaries) {
   for (std::size_t const length : {125u, 126u, 127u, 65535u, 65536u, 70000u}) {
      SCOPED_TRACE(length);
      auto const payload = json_string_of_length(length);
      ASSERT_EQ(payload.size(), length);
      expect_framed(prepare(user_channel, payload), payload);
   }
}

TEST(prepare_notification, drops_an_empty_payload_as_invalid_json) {
   // Zero bytes is not JSON; the header for length 0 is checked through ws::make_frame below.
   EXPECT_EQ(dropped(user_channel, ""), drop_reason::invalid_json);
}

TEST(prepare_notification, drops_invalid_json) {
   for (auto const payload :
        {"{"sv, "{\"a\":}"sv, "[1,2"sv, "hello"sv, "{} {}"sv, "{'a':1}"sv, "{\"a\":1,}"sv,
         "/* c */ {}"sv, "\"unterminated"sv, "NaN"sv, "\"\\x41\""sv}) {
      EXPECT_EQ(dropped(user_channel, payload), drop_reason::invalid_json) << payload;
   }
}

TEST(prepare_notification, drops_json_followed_by_a_nul_byte) {
   // nlohmann reads a string_view as a C string: bytes after a NUL must not be ignored.
   EXPECT_EQ(dropped(user_channel, "{}\0garbage"sv), drop_reason::invalid_json);
   EXPECT_EQ(dropped(user_channel, "{\"a\":1}\0"sv), drop_reason::invalid_json);
}

TEST(prepare_notification, drops_invalid_utf8) {
   for (auto const payload : {"\"\xFF\""sv, "\"\xC3\""sv, "\"\xC0\xAF\""sv, "\"\xED\xA0\x80\""sv,
                              "{\"a\":\"\x80\"}"sv, "\"\xF4\x90\x80\x80\""sv}) {
      EXPECT_EQ(dropped(user_channel, payload), drop_reason::invalid_utf8);
   }
}

TEST(prepare_notification, limit_is_inclusive) {
   constexpr std::size_t limit = 1000;
   auto const at_limit = json_string_of_length(limit);
   expect_framed(prepare(user_channel, at_limit, limit), at_limit);
   EXPECT_EQ(dropped(user_channel, json_string_of_length(limit + 1), limit),
             drop_reason::too_large);
}

TEST(prepare_notification, size_is_checked_before_content) {
   EXPECT_EQ(dropped(user_channel, std::string(2000, '\xFF'), 1000), drop_reason::too_large);
   EXPECT_EQ(dropped(user_channel, std::string(2000, '{'), 1000), drop_reason::too_large);
}

TEST(prepare_notification, drops_messages_on_foreign_channels) {
   EXPECT_EQ(dropped("user:42:activity", "{}"), drop_reason::foreign_channel);
   EXPECT_EQ(dropped("user::notifications", "{}"), drop_reason::foreign_channel);
   EXPECT_EQ(dropped("random", "not json either"), drop_reason::foreign_channel);
}

TEST(prepare_notification, drops_messages_for_invalid_user_ids) {
   EXPECT_EQ(dropped("user:a\nb:notifications", "{}"), drop_reason::invalid_user_id);
   EXPECT_EQ(dropped("user:\xFF:notifications", "{}"), drop_reason::invalid_user_id);
}

TEST(prepare_notification, survives_deeply_nested_json) {
   // Hostile payloads must not exhaust the stack.
   std::string const deep = std::string(200000, '[') + std::string(200000, ']');
   auto const result = prepare(user_channel, deep);
   ASSERT_TRUE(result.ready.has_value()) << reason(result.dropped);
   std::string const unbalanced = std::string(200000, '[');
   EXPECT_EQ(dropped(user_channel, unbalanced), drop_reason::invalid_json);
}

TEST(prepare_notification, builds_one_frame_per_call) {
   auto const scheme = default_scheme();
   auto first = prepare_notification(scheme, user_channel, "{}", max_payload);
   auto second = prepare_notification(scheme, user_channel, "{}", max_payload);
   ASSERT_TRUE(first.ready && second.ready);
   EXPECT_EQ(first.ready->frame.use_count(), 1) << "nobody else holds the frame";
   EXPECT_EQ(second.ready->frame.use_count(), 1);
   EXPECT_NE(first.ready->frame.get(), second.ready->frame.get());
   EXPECT_EQ(*first.ready->frame, *second.ready->frame);
}

TEST(drop_reason, has_stable_names) {
   EXPECT_EQ(reason(drop_reason::too_large), "too_large");
   EXPECT_EQ(reason(drop_reason::invalid_utf8), "invalid_utf8");
   EXPECT_EQ(reason(drop_reason::invalid_json), "invalid_json");
   EXPECT_EQ(reason(drop_reason::foreign_channel), "foreign_channel");
   EXPECT_EQ(reason(drop_reason::invalid_user_id), "invalid_user_id");
}

} // namespace
} // namespace notify::routing
