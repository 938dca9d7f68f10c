#include "notify/common/user_id.hpp"

#include <cstdint>
#include <gtest/gtest.h>
#include <string>

namespace {

using namespace std::string_view_literals;

constexpr std::size_t cap = 256;

/// Plain UTF-8 encoder, with no validity checks, to build surrogates as well as valid text.
std::string encode(std::uint32_t code_point) {
   std::string out;
   if (code_point < 0x80) {
      out += static_cast<char>(code_point);
   } else if (code_point < 0x800) {
      out += static_cast<char>(0xC0 | (code_point >> 6));
      out += static_cast<char>(0x80 | (code_point & 0x3F));
   } else if (code_point < 0x10000) {
      out += static_cast<char>(0xE0 | (code_point >> 12));
      out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code_point & 0x3F));
   } else {
      out += static_cast<char>(0xF0 | (code_point >> 18));
      out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code_point & 0x3F));
   }
   return out;
}

TEST(valid_user_id, accepts_typical_ids) {
   EXPECT_TRUE(notify::valid_user_id("42", cap));
   EXPECT_TRUE(notify::valid_user_id("alice", cap));
   EXPECT_TRUE(notify::valid_user_id("org:7:user:42", cap));
   EXPECT_TRUE(notify::valid_user_id(":", cap));
   EXPECT_TRUE(notify::valid_user_id("a b", cap));
   EXPECT_TRUE(notify::valid_user_id("user@example.com", cap));
   EXPECT_TRUE(notify::valid_user_id("~!@#$%^&*()_+{}|\"<>?`-=[]\\;',./", cap));
}

TEST(valid_user_id, accepts_multibyte_utf8) {
   EXPECT_TRUE(notify::valid_user_id("Zo\xC3\xAB", cap));               // Zoë
   EXPECT_TRUE(notify::valid_user_id("\xE6\x9D\xB1\xE4\xBA\xAC", cap)); // 東京
   EXPECT_TRUE(notify::valid_user_id("\xF0\x9F\x98\x80", cap));         // 😀
}

TEST(valid_user_id, rejects_empty) {
   EXPECT_FALSE(notify::valid_user_id("", cap));
}

TEST(valid_user_id, rejects_control_characters) {
   EXPECT_FALSE(notify::valid_user_id("a\nb", cap));
   EXPECT_FALSE(notify::valid_user_id("a\rb", cap));
   EXPECT_FALSE(notify::valid_user_id("\t", cap));
   EXPECT_FALSE(notify::valid_user_id("a\x1F", cap));
   EXPECT_FALSE(notify::valid_user_id("a\x7F", cap));
   EXPECT_FALSE(notify::valid_user_id("a\0b"sv, cap));
   for (int byte = 0; byte < 0x20; ++byte) {
      EXPECT_FALSE(notify::valid_user_id(std::string(1, static_cast<char>(byte)), cap)) << byte;
   }
}

TEST(valid_user_id, rejects_invalid_utf8) {
   EXPECT_FALSE(notify::valid_user_id("user\xC0\xAF", cap));
   EXPECT_FALSE(notify::valid_user_id("user\xED\xA0\x80", cap));
   EXPECT_FALSE(notify::valid_user_id("user\xC3", cap));
   EXPECT_FALSE(notify::valid_user_id("\xFF", cap));
}

TEST(valid_user_id, caps_length_in_bytes) {
   EXPECT_TRUE(notify::valid_user_id(std::string(cap, 'x'), cap));
   EXPECT_FALSE(notify::valid_user_id(std::string(cap + 1, 'x'), cap));
   EXPECT_TRUE(notify::valid_user_id("abcd", 4));
   EXPECT_FALSE(notify::valid_user_id("abcde", 4));
   // "Zoë" is 3 characters but 4 bytes.
   EXPECT_FALSE(notify::valid_user_id("Zo\xC3\xAB", 3));
   EXPECT_TRUE(notify::valid_user_id("Zo\xC3\xAB", 4));
   EXPECT_FALSE(notify::valid_user_id("a", 0));
}

TEST(valid_utf8, accepts_ascii_and_empty) {
   EXPECT_TRUE(notify::valid_utf8(""));
   EXPECT_TRUE(notify::valid_utf8("hello"));
   EXPECT_TRUE(notify::valid_utf8("a\0b"sv)); // NUL is valid UTF-8, just not a valid user id
}

TEST(valid_utf8, accepts_boundary_code_points) {
   EXPECT_TRUE(notify::valid_utf8("\x7F"));
   EXPECT_TRUE(notify::valid_utf8("\xC2\x80"));         // U+0080
   EXPECT_TRUE(notify::valid_utf8("\xDF\xBF"));         // U+07FF
   EXPECT_TRUE(notify::valid_utf8("\xE0\xA0\x80"));     // U+0800
   EXPECT_TRUE(notify::valid_utf8("\xED\x9F\xBF"));     // U+D7FF, just below the surrogates
   EXPECT_TRUE(notify::valid_utf8("\xEE\x80\x80"));     // U+E000, just above them
   EXPECT_TRUE(notify::valid_utf8("\xEF\xBF\xBF"));     // U+FFFF
   EXPECT_TRUE(notify::valid_utf8("\xF0\x90\x80\x80")); // U+10000
   EXPECT_TRUE(notify::valid_utf8("\xF4\x8F\xBF\xBF")); // U+10FFFF
}

TEST(valid_utf8, rejects_overlong_forms) {
   EXPECT_FALSE(notify::valid_utf8("\xC0\x80"));         // NUL in 2 bytes
   EXPECT_FALSE(notify::valid_utf8("\xC0\xAF"));         // '/' in 2 bytes
   EXPECT_FALSE(notify::valid_utf8("\xC1\xBF"));         // U+007F in 2 bytes
   EXPECT_FALSE(notify::valid_utf8("\xE0\x80\xAF"));     // '/' in 3 bytes
   EXPECT_FALSE(notify::valid_utf8("\xE0\x9F\xBF"));     // U+07FF in 3 bytes
   EXPECT_FALSE(notify::valid_utf8("\xF0\x80\x80\xAF")); // '/' in 4 bytes
   EXPECT_FALSE(notify::valid_utf8("\xF0\x8F\xBF\xBF")); // U+FFFF in 4 bytes
}

TEST(valid_utf8, rejects_surrogates) {
   EXPECT_FALSE(notify::valid_utf8("\xED\xA0\x80"));             // U+D800
   EXPECT_FALSE(notify::valid_utf8("\xED\xBF\xBF"));             // U+DFFF
   EXPECT_FALSE(notify::valid_utf8("\xED\xA0\xBD\xED\xB8\x80")); // CESU-8 pair for U+1F600
}

TEST(valid_utf8, rejects_code_points_above_10ffff) {
   EXPECT_FALSE(notify::valid_utf8("\xF4\x90\x80\x80")); // U+110000
   EXPECT_FALSE(notify::valid_utf8("\xF5\x80\x80\x80"));
   EXPECT_FALSE(notify::valid_utf8("\xF8\x88\x80\x80\x80")); // old 5-byte form
   EXPECT_FALSE(notify::valid_utf8("\xFE"));
   EXPECT_FALSE(notify::valid_utf8("\xFF"));
}

TEST(valid_utf8, rejects_truncated_and_stray_bytes) {
   EXPECT_FALSE(notify::valid_utf8("\xC3"));
   EXPECT_FALSE(notify::valid_utf8("\xE2\x82"));
   EXPECT_FALSE(notify::valid_utf8("\xF0\x9F\x98"));
   EXPECT_FALSE(notify::valid_utf8("\xF0\x9F\x98 ")); // truncated, then more text
   EXPECT_FALSE(notify::valid_utf8("\xC3 "));
   EXPECT_FALSE(notify::valid_utf8("\x80"));
   EXPECT_FALSE(notify::valid_utf8("a\xBF"));
   EXPECT_FALSE(notify::valid_utf8("\xE2\x28\xA1")); // second byte not a continuation
   EXPECT_FALSE(notify::valid_utf8("\xF0\x9F\x28\x80"));
   EXPECT_FALSE(notify::valid_utf8("\xF0\x9F\x98\x28"));
}

TEST(valid_utf8, agrees_with_the_definition_for_every_code_point) {
   for (std::uint32_t code_point = 0; code_point <= 0x10FFFF; ++code_point) {
      bool const surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
      ASSERT_EQ(notify::valid_utf8(encode(code_point)), !surrogate) << std::hex << code_point;
   }
}

} // namespace
