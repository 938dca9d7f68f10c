#include "notify/auth/session_cookie.hpp"

#include "notify/common/percent_decode.hpp"

#include <algorithm>
#include <array>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace notify::auth {

namespace {

/// base64 of the 32 bytes of an HMAC-SHA256 is 44 characters, the last of them '=' padding.
constexpr std::size_t signature_chars = 43;

std::string_view trim_spaces(std::string_view text) {
   while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
      text.remove_prefix(1);
   }
   while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
      text.remove_suffix(1);
   }
   return text;
}

/// RFC 6265 allows a value in double quotes; the npm package cookie strips them too.
std::string_view unquote(std::string_view value) {
   if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value.remove_prefix(1);
      value.remove_suffix(1);
   }
   return value;
}

bool plausible_session_id(std::string_view sid) {
   if (sid.empty() || sid.size() > session_cookie_verifier::max_session_id_bytes) {
      return false;
   }
   for (char const c : sid) {
      auto const byte = static_cast<unsigned char>(c);
      if (byte <= 0x20 || byte >= 0x7f) {
         return false;
      }
   }
   return true;
}

/// cookie-signature's sign() without the value: base64(HMAC-SHA256(sid, secret)), '=' stripped.
std::optional<std::array<char, signature_chars>> signature_of(std::string_view sid,
                                                              std::string_view secret) {
   std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
   unsigned int mac_bytes = 0;
   if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<unsigned char const*>(sid.data()), sid.size(), mac.data(),
            &mac_bytes) == nullptr ||
       mac_bytes != 32) {
      return std::nullopt;
   }
   std::array<unsigned char, signature_chars + 2> encoded{}; // 44 characters and a NUL
   if (EVP_EncodeBlock(encoded.data(), mac.data(), static_cast<int>(mac_bytes)) !=
       static_cast<int>(signature_chars + 1)) {
      return std::nullopt;
   }
   std::array<char, signature_chars> signature{};
   for (std::size_t i = 0; i < signature_chars; ++i) {
      signature[i] = static_cast<char>(encoded[i]);
   }
   return signature;
}

} // namespace

std::string_view reason(cookie_failure failure) {
   switch (failure) {
   case cookie_failure::malformed:
      return "cookie_malformed";
   case cookie_failure::bad_signature:
      return "cookie_bad_signature";
   }
   return "cookie_malformed";
}

found_cookie find_cookie(std::string_view cookie_header, std::string_view name) {
   found_cookie found;
   while (!cookie_header.empty()) {
      auto const end = std::min(cookie_header.find(';'), cookie_header.size());
      auto const pair = cookie_header.substr(0, end);
      cookie_header.remove_prefix(std::min(end + 1, cookie_header.size()));
      auto const equals = pair.find('=');
      if (equals == pair.npos || trim_spaces(pair.substr(0, equals)) != name) {
         continue; // a pair without '=' is ignored, as browsers and the npm package cookie do
      }
      auto const value = unquote(trim_spaces(pair.substr(equals + 1)));
      if (found.state == found_cookie::state::absent) {
         found = {found_cookie::state::present, value};
      } else if (value != found.value) {
         return {found_cookie::state::conflicting, {}};
      }
   }
   return found;
}

session_cookie_verifier::session_cookie_verifier(std::vector<std::string> secrets)
    : secrets_(std::move(secrets)) {}

cookie_verification session_cookie_verifier::verify(std::string_view raw_value) const {
   cookie_verification result;
   if (raw_value.empty() || raw_value.size() > max_cookie_bytes) {
      return result;
   }
   auto const decoded = percent_decode(raw_value);
   if (!decoded || !decoded->starts_with("s:")) {
      return result; // express-session ignores unsigned cookies; so do we
   }
   std::string_view const signed_value = std::string_view(*decoded).substr(2);
   auto const dot = signed_value.rfind('.');
   if (dot == signed_value.npos) {
      return result;
   }
   auto const sid = signed_value.substr(0, dot);
   auto const signature = signed_value.substr(dot + 1);
   if (!plausible_session_id(sid)) {
      return result;
   }
   result.failure = cookie_failure::bad_signature;
   if (signature.size() != signature_chars) {
      return result;
   }
   for (auto const& secret : secrets_) {
      auto const expected = signature_of(sid, secret);
      if (expected && CRYPTO_memcmp(expected->data(), signature.data(), signature_chars) == 0) {
         result.session_id = std::string(sid);
         return result;
      }
   }
   return result;
}

} // namespace notify::auth
