#include "notify/ws/handshake.hpp"

#include <gtest/gtest.h>
#include <string>
#include <string_view>

namespace notify::ws {
namespace {

using namespace std::string_view_literals;

TEST(accept_key_for, matches_the_rfc_example) {
   // RFC 6455 section 1.3.
   EXPECT_EQ(accept_key_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(accept_key_for, gives_a_28_character_base64_digest) {
   for (auto const key : {"AAAAAAAAAAAAAAAAAAAAAA=="sv, "/////////////////////w=="sv,
                          "x3JJHMbDL1EzLkh9GBhXDw=="sv}) {
      auto const accept = accept_key_for(key);
      ASSERT_TRUE(accept.has_value()) << key;
      EXPECT_EQ(accept->size(), 28u);
      EXPECT_EQ(accept->back(), '=');
      EXPECT_NE(*accept, *accept_key_for("dGhlIHNhbXBsZSBub25jZQ=="));
   }
   EXPECT_EQ(accept_key_for("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

TEST(accept_key_for, rejects_wrong_length) {
   for (auto const key : {""sv, "dGhlIHNhbXBsZSBub25jZQ="sv, "dGhlIHNhbXBsZSBub25jZQ==="sv,
                          "dGhlIHNhbXBsZSBub25jZQ==\0"sv, "dGhlIHNhbXBsZQ=="sv,
                          "dGhlIHNhbXBsZSBub25jZSEh"sv /* 18 bytes */}) {
      EXPECT_FALSE(accept_key_for(key).has_value()) << key;
   }
}

TEST(accept_key_for, rejects_bad_characters) {
   for (auto const key :
        {"dGhlIHNhbXBsZSBub25jZ!=="sv, "dGhlIHNhbXBsZSBub25j ZQ=="sv, "dGhlIHNhbXBsZSBub25jZ-=="sv,
         "dGhlIHNhbXBsZSBub25jZ_=="sv, "dGhlIHNhbXBsZSBub25j\xC3\xA9Q=="sv,
         "dGhlIHNhbXBsZSBub2=jZQ=="sv, "dGhlIHNhbXBsZSBub25jZ\0=="sv}) {
      EXPECT_FALSE(accept_key_for(key).has_value()) << key;
   }
}

TEST(accept_key_for, rejects_missing_padding) {
   EXPECT_FALSE(accept_key_for("dGhlIHNhbXBsZSBub25jZQ").has_value());
   EXPECT_FALSE(accept_key_for("dGhlIHNhbXBsZSBub25jZQAA").has_value());
   EXPECT_FALSE(accept_key_for("dGhlIHNhbXBsZSBub25jZQ=A").has_value());
}

TEST(accept_key_for, does_not_trim_whitespace) {
   // The HTTP layer trims header values; the key itself must be exact.
   EXPECT_FALSE(accept_key_for(" dGhlIHNhbXBsZSBub25jZQ==").has_value());
   EXPECT_FALSE(accept_key_for("dGhlIHNhbXBsZSBub25jZQ== ").has_value());
}

} // namespace
} // namespace notify::ws
