#include "notify/auth/base64url.hpp"

#include <gtest/gtest.h>
#include <random>
#include <string>

namespace {

using notify::auth::base64url_decode;
using notify::auth::base64url_encode;
using notify::auth::in_base64url_alphabet;
using namespace std::string_view_literals;

TEST(base64url, encodes_rfc4648_vectors_without_padding) {
   EXPECT_EQ(base64url_encode(""), "");
   EXPECT_EQ(base64url_encode("f"), "Zg");
   EXPECT_EQ(base64url_encode("fo"), "Zm8");
   EXPECT_EQ(base64url_encode("foo"), "Zm9v");
   EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
   EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
   EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(base64url, uses_the_url_safe_alphabet) {
   EXPECT_EQ(base64url_encode("\xFB\xFF"), "-_8");
   EXPECT_EQ(base64url_encode("\xFF\xFF\xFF"), "____");
   EXPECT_EQ(base64url_encode("\0\0\0"sv), "AAAA");
   EXPECT_EQ(base64url_decode("-_8"), "\xFB\xFF");
}

TEST(base64url, decodes_rfc4648_vectors) {
   EXPECT_EQ(base64url_decode(""), "");
   EXPECT_EQ(base64url_decode("Zg"), "f");
   EXPECT_EQ(base64url_decode("Zm8"), "fo");
   EXPECT_EQ(base64url_decode("Zm9v"), "foo");
   EXPECT_EQ(base64url_decode("Zm9vYmFy"), "foobar");
}

TEST(base64url, round_trips_every_byte_and_every_short_length) {
   std::string all_bytes;
   for (int byte = 0; byte < 256; ++byte) {
      all_bytes += static_cast<char>(byte);
   }
   EXPECT_EQ(base64url_decode(base64url_encode(all_bytes)), all_bytes);

   std::mt19937 random(12345);
   for (std::size_t length = 0; length < 100; ++length) {
      std::string bytes(length, '\0');
      for (auto& byte : bytes) {
         byte = static_cast<char>(random() & 0xFF);
      }
      auto const text = base64url_encode(bytes);
      EXPECT_EQ(text.size(), (length * 4 + 2) / 3);
      EXPECT_EQ(base64url_decode(text), bytes) << length;
   }
}

TEST(base64url, rejects_padding) {
   EXPECT_EQ(base64url_decode("Zg=="), std::nullopt);
   EXPECT_EQ(base64url_decode("Zm8="), std::nullopt);
   EXPECT_EQ(base64url_decode("===="), std::nullopt);
   EXPECT_EQ(base64url_decode("="), std::nullopt);
}

TEST(base64url, rejects_characters_outside_the_alphabet) {
   EXPECT_EQ(base64url_decode("Zm9v+A"), std::nullopt); // standard base64, not base64url
   EXPECT_EQ(base64url_decode("Zm9v/A"), std::nullopt);
   EXPECT_EQ(base64url_decode("Zm 9v"), std::nullopt);
   EXPECT_EQ(base64url_decode("Zm9v\n"), std::nullopt);
   EXPECT_EQ(base64url_decode("Zm9.v"), std::nullopt);
   EXPECT_EQ(base64url_decode("Zm\0v"sv), std::nullopt);
   EXPECT_EQ(base64url_decode("Zm\xC3\xA9v"), std::nullopt);
}

TEST(base64url, alphabet_check_accepts_exactly_the_64_characters) {
   std::size_t accepted = 0;
   for (int c = 0; c < 256; ++c) {
      auto const ch = static_cast<char>(c);
      bool const in = in_base64url_alphabet(ch);
      accepted += in ? 1 : 0;
      // The check and the decoder agree on every byte.
      EXPECT_EQ(in, base64url_decode(std::string("AA") + ch + 'A').has_value()) << c;
   }
   EXPECT_EQ(accepted, 64u);
   for (char const c : {'A', 'Z', 'a', 'z', '0', '9', '-', '_'}) {
      EXPECT_TRUE(in_base64url_alphabet(c)) << c;
   }
   for (char const c : {'+', '/', '=', '.', ' ', '\0'}) {
      EXPECT_FALSE(in_base64url_alphabet(c)) << static_cast<int>(c);
   }
}

TEST(base64url, rejects_impossible_lengths) {
   EXPECT_EQ(base64url_decode("Z"), std::nullopt);
   EXPECT_EQ(base64url_decode("Zm9vY"), std::nullopt);
}

TEST(base64url, rejects_non_zero_unused_bits) {
   // "Zh" and "Zm9" carry the bytes of "Zg" and "Zm8" plus stray low bits: a second spelling
   // of the same bytes, which a strict decoder must not accept.
   EXPECT_EQ(base64url_decode("Zh"), std::nullopt);
   EXPECT_EQ(base64url_decode("Zm9"), std::nullopt);
   EXPECT_EQ(base64url_decode("Zm9vZh"), std::nullopt);
}

} // namespace
