#include "notify/auth/base64url.hpp"
#include "notify/auth/jwt.hpp"

#include <array>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using notify::auth::base64url_encode;
using notify::auth::jwt_verifier;
using notify::auth::looks_like_jwt;
using notify::auth::mint_jwt;
using notify::auth::token_failure;
using clock_type = std::chrono::system_clock;

constexpr std::string_view secret = "correct horse battery staple";
constexpr std::string_view hs256_header = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::int64_t now_seconds = 1'700'000'000;
clock_type::time_point const now{std::chrono::seconds{now_seconds}};

/// Signs arbitrary header and payload text, so tests can build tokens mint_jwt never would.
/// Uses OpenSSL's one-shot HMAC directly, independently of the verifier's own HMAC code.
std::string sign(std::string_view key, std::string_view header, std::string_view payload,
                 EVP_MD const* digest = EVP_sha256()) {
   auto token = base64url_encode(header) + "." + base64url_encode(payload);
   std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
   unsigned int length = 0;
   HMAC(digest, key.data(), static_cast<int>(key.size()),
        reinterpret_cast<unsigned char const*>(token.data()), token.size(), mac.data(), &length);
   return token + "." +
          base64url_encode(std::string_view(reinterpret_cast<char const*>(mac.data()), length));
}

std::string sign_claims(std::string_view payload) {
   return sign(secret, hs256_header, payload);
}

std::string_view segment(std::string_view token, int index) {
   for (int i = 0; i < index; ++i) {
      token.remove_prefix(token.find('.') + 1);
   }
   return token.substr(0, token.find('.'));
}

class jwt_test : public ::testing::Test {
protected:
   jwt_verifier verifier_{std::string(secret), 30s};

   std::optional<token_failure> failure_of(std::string_view token) const {
      return verifier_.verify(token, now).failure;
   }
};

TEST_F(jwt_test, accepts_a_minted_token) {
   auto const token = mint_jwt(secret, "42", 1h, now);
   auto const result = verifier_.verify(token, now);
   ASSERT_TRUE(result.ok()) << notify::auth::reason(*result.failure);
   EXPECT_EQ(result.user_id, "42");
}

TEST_F(jwt_test, accepts_a_token_without_exp) {
   auto const result = verifier_.verify(mint_jwt(secret, "alice", std::nullopt, now), now);
   ASSERT_TRUE(result.ok());
   EXPECT_EQ(result.user_id, "alice");
}

TEST(jwt, accepts_a_token_made_by_another_implementation) {
   // The well-known example token from jwt.io, signed with "your-256-bit-secret".
   constexpr std::string_view token =
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
       "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
   jwt_verifier const verifier("your-256-bit-secret", 0s);
   auto const result = verifier.verify(token);
   ASSERT_TRUE(result.ok());
   EXPECT_EQ(result.user_id, "1234567890");
   EXPECT_EQ(jwt_verifier("your-256-bit-secreT", 0s).verify(token).failure,
             token_failure::bad_signature);
}

TEST_F(jwt_test, minted_token_has_the_documented_shape) {
   auto const token = mint_jwt(secret, "org:7:user:42", 90s, now);
   EXPECT_EQ(notify::auth::base64url_decode(segment(token, 0)), hs256_header);
   auto const claims = nlohmann::json::parse(*notify::auth::base64url_decode(segment(token, 1)));
   EXPECT_EQ(
       claims,
       (nlohmann::json{{"sub", "org:7:user:42"}, {"iat", now_seconds}, {"exp", now_seconds + 90}}));
   auto const without_ttl = nlohmann::json::parse(
       *notify::auth::base64url_decode(segment(mint_jwt(secret, "1", {}, now), 1)));
   EXPECT_FALSE(without_ttl.contains("exp"));
}

TEST_F(jwt_test, rejects_a_bad_signature) {
   auto token = mint_jwt(secret, "42", 1h, now);
   auto const signature_start = token.rfind('.') + 1;
   token[signature_start + 5] = token[signature_start + 5] == 'A' ? 'B' : 'A';
   EXPECT_EQ(failure_of(token), token_failure::bad_signature);
}

TEST_F(jwt_test, rejects_a_signature_of_the_wrong_length) {
   auto const token = mint_jwt(secret, "42", 1h, now);
   EXPECT_EQ(failure_of(token.substr(0, token.size() - 4)), token_failure::bad_signature);
   EXPECT_EQ(failure_of(token + "AAAA"), token_failure::bad_signature);
   auto const header_and_payload = token.substr(0, token.rfind('.') + 1);
   EXPECT_EQ(failure_of(header_and_payload + "AA"), token_failure::bad_signature);
}

TEST_F(jwt_test, rejects_a_token_made_with_a_different_secret) {
   EXPECT_EQ(failure_of(mint_jwt("another secret", "42", 1h, now)), token_failure::bad_signature);
   EXPECT_EQ(failure_of(mint_jwt("", "42", 1h, now)), token_failure::bad_signature);
}

TEST_F(jwt_test, rejects_a_tampered_payload) {
   auto const token = mint_jwt(secret, "42", 1h, now);
   auto const forged_payload =
       base64url_encode(R"({"exp":1700003600,"iat":1700000000,"sub":"admin"})");
   auto const forged =
       std::string(segment(token, 0)) + "." + forged_payload + "." + std::string(segment(token, 2));
   EXPECT_EQ(failure_of(forged), token_failure::bad_signature);
}

TEST_F(jwt_test, rejects_any_single_character_change) {
   // Strict base64url decoding means no second spelling of the same token verifies.
   auto const token = mint_jwt(secret, "42", 1h, now);
   constexpr std::string_view alphabet =
       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
   for (std::size_t at = 0; at < token.size(); ++at) {
      for (char const replacement : alphabet) {
         if (replacement == token[at]) {
            continue;
         }
         auto changed = token;
         changed[at] = replacement;
         ASSERT_FALSE(verifier_.verify(changed, now).ok()) << changed;
      }
   }
}

TEST_F(jwt_test, rejects_alg_none) {
   auto const payload = base64url_encode(R"({"sub":"42"})");
   for (auto const* header : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"none"})",
                              R"({"alg":"None"})", R"({"alg":"NONE"})"}) {
      auto const unsigned_token = base64url_encode(header) + "." + payload + ".";
      EXPECT_EQ(failure_of(unsigned_token), token_failure::malformed) << header;
      // The same with some signature attached, even a valid HS256 one.
      EXPECT_EQ(failure_of(unsigned_token + "AAAA"), token_failure::unsupported_algorithm);
      EXPECT_EQ(failure_of(sign(secret, header, R"({"sub":"42"})")),
                token_failure::unsupported_algorithm);
   }
}

TEST_F(jwt_test, rejects_other_algorithms) {
   auto const claims = R"({"sub":"42"})";
   EXPECT_EQ(failure_of(sign(secret, R"({"alg":"HS512","typ":"JWT"})", claims, EVP_sha512())),
             token_failure::unsupported_algorithm);
   EXPECT_EQ(failure_of(sign(secret, R"({"alg":"HS384"})", claims, EVP_sha384())),
             token_failure::unsupported_algorithm);
   EXPECT_EQ(failure_of(sign(secret, R"({"alg":"RS256","typ":"JWT"})", claims)),
             token_failure::unsupported_algorithm);
   EXPECT_EQ(failure_of(sign(secret, R"({"alg":"hs256"})", claims)),
             token_failure::unsupported_algorithm);
   EXPECT_EQ(failure_of(sign(secret, R"({"alg":"HS256 "})", claims)),
             token_failure::unsupported_algorithm);
}

TEST_F(jwt_test, rejects_a_missing_or_non_string_alg) {
   auto const claims = R"({"sub":"42"})";
   EXPECT_EQ(failure_of(sign(secret, R"({"typ":"JWT"})", claims)),
             token_failure::unsupported_algorithm);
   EXPECT_EQ(failure_of(sign(secret, "{}", claims)), token_failure::unsupported_algorithm);
   EXPECT_EQ(failure_of(sign(secret, R"({"alg":null})", claims)),
             token_failure::unsupported_algorithm);
   EXPECT_EQ(failure_of(sign(secret, R"({"alg":["HS256"]})", claims)),
             token_failure::unsupported_algorithm);
}

TEST_F(jwt_test, rejects_critical_header_extensions) {
   EXPECT_EQ(
       failure_of(sign(secret, R"({"alg":"HS256","crit":["b64"],"b64":false})", R"({"sub":"42"})")),
       token_failure::unsupported_algorithm);
}

TEST_F(jwt_test, checks_typ_only_when_present) {
   auto const claims = R"({"sub":"42"})";
   EXPECT_TRUE(verifier_.verify(sign(secret, R"({"alg":"HS256"})", claims), now).ok());
   EXPECT_TRUE(verifier_.verify(sign(secret, R"({"alg":"HS256","typ":"jwt"})", claims), now).ok());
   EXPECT_TRUE(verifier_.verify(sign(secret, R"({"typ":"Jwt","alg":"HS256"})", claims), now).ok());
   EXPECT_EQ(failure_of(sign(secret, R"({"alg":"HS256","typ":"JWS"})", claims)),
             token_failure::malformed);
   EXPECT_EQ(failure_of(sign(secret, R"({"alg":"HS256","typ":1})", claims)),
             token_failure::malformed);
}

TEST_F(jwt_test, rejects_headers_that_are_not_json_objects) {
   auto const claims = R"({"sub":"42"})";
   for (auto const* header : {"[]", R"("HS256")", "null", "{", R"({"alg":"HS256",})", "xyz",
                              "{\"alg\":\"HS256\",\"x\":\"\xC3\"}"}) {
      EXPECT_EQ(failure_of(sign(secret, header, claims)), token_failure::malformed) << header;
   }
   // Deep nesting must neither crash nor be accepted.
   EXPECT_EQ(failure_of(sign(secret, std::string(3000, '['), claims)), token_failure::malformed);
}

TEST_F(jwt_test, rejects_claims_that_are_not_json_objects) {
   for (auto const* claims : {"[]", R"("42")", "42", "null", "{", R"({"sub":"42"} x)"}) {
      EXPECT_EQ(failure_of(sign_claims(claims)), token_failure::malformed) << claims;
   }
}

TEST_F(jwt_test, rejects_an_expired_token) {
   auto const issued = now - 2h;
   EXPECT_EQ(failure_of(mint_jwt(secret, "42", 1h, issued)), token_failure::expired);
   EXPECT_EQ(failure_of(mint_jwt(secret, "42", 1h, now - 1h - 31s)), token_failure::expired);
}

TEST_F(jwt_test, accepts_an_expired_token_inside_the_leeway) {
   EXPECT_TRUE(verifier_.verify(mint_jwt(secret, "42", 1h, now - 1h - 10s), now).ok());
   // The boundary: now == exp + leeway is still accepted, one second later is not.
   auto const token = mint_jwt(secret, "42", 1h, now - 1h - 30s);
   EXPECT_TRUE(verifier_.verify(token, now).ok());
   EXPECT_EQ(verifier_.verify(token, now + 1s).failure, token_failure::expired);
   EXPECT_EQ(verifier_.verify(token, now + 1ms).failure, token_failure::expired);
}

TEST_F(jwt_test, accepts_fractional_exp_and_nbf) {
   auto const claims =
       nlohmann::json{{"sub", "42"}, {"exp", now_seconds + 0.5}, {"nbf", now_seconds - 0.5}};
   EXPECT_TRUE(verifier_.verify(sign_claims(claims.dump()), now).ok());
   jwt_verifier const strict(std::string(secret), 0s);
   EXPECT_EQ(strict.verify(sign_claims(claims.dump()), now + 1s).failure, token_failure::expired);
}

TEST_F(jwt_test, rejects_a_token_not_yet_valid) {
   auto const future = nlohmann::json{{"sub", "42"}, {"nbf", now_seconds + 100}};
   EXPECT_EQ(failure_of(sign_claims(future.dump())), token_failure::not_yet_valid);
   auto const inside_leeway = nlohmann::json{{"sub", "42"}, {"nbf", now_seconds + 10}};
   EXPECT_TRUE(verifier_.verify(sign_claims(inside_leeway.dump()), now).ok());
}

TEST_F(jwt_test, rejects_exp_and_nbf_that_are_not_numbers) {
   EXPECT_EQ(failure_of(sign_claims(R"({"sub":"42","exp":"1800000000"})")),
             token_failure::malformed);
   EXPECT_EQ(failure_of(sign_claims(R"({"sub":"42","exp":null})")), token_failure::malformed);
   EXPECT_EQ(failure_of(sign_claims(R"({"sub":"42","nbf":true})")), token_failure::malformed);
   EXPECT_EQ(failure_of(sign_claims(R"({"sub":"42","nbf":[1]})")), token_failure::malformed);
}

TEST_F(jwt_test, survives_extreme_exp_values) {
   EXPECT_TRUE(
       verifier_.verify(sign_claims(R"({"sub":"42","exp":18446744073709551615})"), now).ok());
   EXPECT_TRUE(verifier_.verify(sign_claims(R"({"sub":"42","exp":1e308})"), now).ok());
   EXPECT_EQ(failure_of(sign_claims(R"({"sub":"42","exp":-9223372036854775808})")),
             token_failure::expired);
   EXPECT_EQ(failure_of(sign_claims(R"({"sub":"42","exp":-1e308})")), token_failure::expired);
}

TEST_F(jwt_test, rejects_a_missing_subject) {
   EXPECT_EQ(failure_of(sign_claims(R"({"exp":1800000000})")), token_failure::missing_subject);
   EXPECT_EQ(failure_of(sign_claims("{}")), token_failure::missing_subject);
   EXPECT_EQ(failure_of(sign_claims(R"({"Sub":"42"})")), token_failure::missing_subject);
}

TEST_F(jwt_test, rejects_invalid_subjects) {
   for (auto const* claims :
        {R"({"sub":""})", R"({"sub":"a\nb"})", R"({"sub":"a\u0000b"})", R"({"sub":"\u007f"})",
         R"({"sub":"\t42"})", R"({"sub":null})", R"({"sub":4.2})", R"({"sub":true})",
         R"({"sub":["42"]})", R"({"sub":{"id":"42"}})"}) {
      EXPECT_EQ(failure_of(sign_claims(claims)), token_failure::invalid_subject) << claims;
   }
}

TEST_F(jwt_test, caps_the_subject_length) {
   EXPECT_TRUE(verifier_.verify(mint_jwt(secret, std::string(256, 'x'), 1h, now), now).ok());
   EXPECT_EQ(failure_of(mint_jwt(secret, std::string(257, 'x'), 1h, now)),
             token_failure::invalid_subject);
   jwt_verifier const small(std::string(secret), 30s, 4);
   EXPECT_TRUE(small.verify(mint_jwt(secret, "abcd", 1h, now), now).ok());
   EXPECT_EQ(small.verify(mint_jwt(secret, "abcde", 1h, now), now).failure,
             token_failure::invalid_subject);
}

TEST_F(jwt_test, accepts_subjects_with_colons_and_multibyte_characters) {
   auto const result = verifier_.verify(mint_jwt(secret, "org:7:user:42", 1h, now), now);
   ASSERT_TRUE(result.ok());
   EXPECT_EQ(result.user_id, "org:7:user:42");
   EXPECT_EQ(verifier_.verify(mint_jwt(secret, "Zo\xC3\xAB", 1h, now), now).user_id, "Zo\xC3\xAB");
}

TEST_F(jwt_test, takes_an_integer_subject_in_decimal) {
   EXPECT_EQ(verifier_.verify(sign_claims(R"({"sub":42})"), now).user_id, "42");
   EXPECT_EQ(verifier_.verify(sign_claims(R"({"sub":-7})"), now).user_id, "-7");
   EXPECT_EQ(verifier_.verify(sign_claims(R"({"sub":18446744073709551615})"), now).user_id,
             "18446744073709551615");
}

TEST_F(jwt_test, rejects_garbage_as_malformed) {
   auto const huge = std::string(5000, 'a') + "." + std::string(5000, 'a') + ".aaaa";
   for (std::string_view garbage :
        {std::string_view(""), std::string_view("."), std::string_view(".."),
         std::string_view("a.b"), std::string_view("a.b.c.d"), std::string_view("aa..aa"),
         std::string_view("aa.aa."), std::string_view(".aa.aa"), std::string_view("!!.##.$$"),
         std::string_view("Bearer aa.bb.cc"), std::string_view("aa.bb.cc\n"),
         std::string_view("aa.bb.c"), std::string_view("aa=.bb.cc"), std::string_view(huge)}) {
      EXPECT_EQ(failure_of(garbage), token_failure::malformed) << garbage.substr(0, 40);
   }
}

TEST_F(jwt_test, rejects_a_valid_token_grown_past_the_size_limit) {
   auto const token = mint_jwt(secret, std::string(7000, 'x'), 1h, now);
   ASSERT_GT(token.size(), 8192u);
   EXPECT_EQ(failure_of(token), token_failure::malformed);
}

TEST_F(jwt_test, never_accepts_random_bytes) {
   std::mt19937 random(99);
   for (int round = 0; round < 2000; ++round) {
      std::string bytes(random() % 200, '\0');
      for (auto& byte : bytes) {
         byte = static_cast<char>(random() & 0xFF);
      }
      EXPECT_FALSE(verifier_.verify(bytes, now).ok());
   }
}

TEST(jwt, fails_every_token_without_a_secret) {
   jwt_verifier const verifier("", 30s);
   EXPECT_EQ(verifier.verify(mint_jwt(secret, "42", 1h, now), now).failure,
             token_failure::no_secret);
   EXPECT_EQ(verifier.verify(mint_jwt("", "42", 1h, now), now).failure, token_failure::no_secret);
   EXPECT_EQ(verifier.verify("garbage", now).failure, token_failure::no_secret);
}

TEST_F(jwt_test, copies_verify_alike) {
   jwt_verifier const copy = verifier_;
   EXPECT_TRUE(copy.verify(mint_jwt(secret, "42", 1h, now), now).ok());
   EXPECT_EQ(copy.verify(mint_jwt("x", "42", 1h, now), now).failure, token_failure::bad_signature);
}

TEST_F(jwt_test, verifies_from_many_threads_at_once) {
   auto const good = mint_jwt(secret, "42", 1h, now);
   auto const bad = mint_jwt("x", "42", 1h, now);
   std::vector<int> wrong(4, 0);
   std::vector<std::thread> threads;
   for (std::size_t t = 0; t < wrong.size(); ++t) {
      threads.emplace_back([&, t] {
         for (int i = 0; i < 2000; ++i) {
            wrong[t] += verifier_.verify(good, now).user_id != "42";
            wrong[t] += verifier_.verify(bad, now).failure != token_failure::bad_signature;
         }
      });
   }
   for (auto& thread : threads) {
      thread.join();
   }
   EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

TEST(jwt, reasons_are_distinct_snake_case_labels) {
   std::set<std::string_view> seen;
   for (auto const failure : {token_failure::malformed, token_failure::unsupported_algorithm,
                              token_failure::bad_signature, token_failure::expired,
                              token_failure::not_yet_valid, token_failure::missing_subject,
                              token_failure::invalid_subject, token_failure::no_secret}) {
      auto const label = notify::auth::reason(failure);
      EXPECT_FALSE(label.empty());
      EXPECT_EQ(label.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos);
      seen.insert(label);
   }
   EXPECT_EQ(seen.size(), 8u);
   EXPECT_EQ(notify::auth::reason(token_failure::bad_signature), "bad_signature");
}

TEST(looks_like_jwt, accepts_three_base64url_segments) {
   EXPECT_TRUE(looks_like_jwt(mint_jwt(secret, "42", 1h, now)));
   EXPECT_TRUE(looks_like_jwt("aa.bb.cc"));
   EXPECT_TRUE(looks_like_jwt("a-_b.c-_d.AAA"));
}

TEST(looks_like_jwt, rejects_everything_else) {
   EXPECT_FALSE(looks_like_jwt(""));
   EXPECT_FALSE(looks_like_jwt("."));
   EXPECT_FALSE(looks_like_jwt("aa.bb"));
   EXPECT_FALSE(looks_like_jwt("aa.bb.cc.dd"));
   EXPECT_FALSE(looks_like_jwt("aa..cc"));
   EXPECT_FALSE(looks_like_jwt("aa.bb."));
   EXPECT_FALSE(looks_like_jwt("aa.b+.cc"));
   EXPECT_FALSE(looks_like_jwt("aa.bb.cc="));
   EXPECT_FALSE(looks_like_jwt("aa.bb.c"));                              // 1 char is no base64
   EXPECT_FALSE(looks_like_jwt("3f2c9a1e-7b4d-4e21-9c55-0d6f1a2b3c4d")); // a session id
   EXPECT_FALSE(looks_like_jwt(std::string(8190, 'a') + ".bb.cc"));
   EXPECT_TRUE(looks_like_jwt(std::string(8186, 'a') + ".bb.cc"));
}

} // namespace
