// Tokens come from clients: verify arbitrary bytes against a fixed secret. The signature is
// checked before the claims are parsed, so the input's first line is also signed as claims (the
// rest, when present, as the header) to reach the claim checks; and minted with the first line
// as subject, which must verify. base64url must be strict: one encoding per byte string.

#include "fuzz_support.hpp"
#include "notify/auth/base64url.hpp"
#include "notify/auth/jwt.hpp"
#include "notify/common/user_id.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string>

namespace {

using namespace notify;
using namespace std::chrono_literals;

constexpr std::string_view secret = "fuzz-secret-fuzz-secret-fuzz-secret";
constexpr std::size_t max_user_id_bytes = 256;
constexpr auto leeway = 30s;
// A fixed clock keeps every run of an input the same.
auto const now = std::chrono::system_clock::time_point(1700000000s);

std::string hs256_token(std::string_view header, std::string_view claims) {
   auto token = auth::base64url_encode(header) + '.' + auth::base64url_encode(claims);
   unsigned char signature[EVP_MAX_MD_SIZE];
   unsigned int length = 0;
   FUZZ_CHECK(HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                   reinterpret_cast<unsigned char const*>(token.data()), token.size(), signature,
                   &length) != nullptr);
   return token + '.' + auth::base64url_encode({reinterpret_cast<char const*>(signature), length});
}

void check_base64url(std::string_view text) {
   if (auto const decoded = auth::base64url_decode(text)) {
      FUZZ_CHECK(auth::base64url_encode(*decoded) == text);
   }
   FUZZ_CHECK(auth::base64url_decode(auth::base64url_encode(text)) == std::string(text));
}

void check_result(auth::token_result const& result) {
   if (result.ok()) {
      FUZZ_CHECK(valid_user_id(result.user_id, max_user_id_bytes));
   } else {
      FUZZ_CHECK(!auth::reason(*result.failure).empty());
   }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
   static auth::jwt_verifier const verifier(std::string(secret), leeway, max_user_id_bytes);
   auto const input = fuzz::as_text(data, size);
   check_base64url(input);
   check_result(verifier.verify(input, now));

   auto const [claims, header] = fuzz::split_first_line(input);
   check_result(verifier.verify(
       hs256_token(header.empty() ? R"({"alg":"HS256","typ":"JWT"})" : header, claims), now));

   auto const minted = auth::mint_jwt(secret, claims, 60s, now);
   auto const result = verifier.verify(minted, now);
   if (valid_user_id(claims, max_user_id_bytes)) {
      FUZZ_CHECK(result.ok() && result.user_id == claims);
      auto const late = verifier.verify(minted, now + 60s + leeway + 1s);
      FUZZ_CHECK(late.failure == auth::token_failure::expired);
   }
   return 0;
}
