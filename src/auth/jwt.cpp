#include "notify/auth/jwt.hpp"

#include "notify/auth/base64url.hpp"
#include "notify/common/text.hpp"
#include "notify/common/user_id.hpp"

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <stdexcept>

namespace notify::auth {

namespace {

using json = nlohmann::json;

constexpr std::size_t max_token_bytes = 8192;
constexpr std::size_t sha256_bytes = 32;
using digest = std::array<unsigned char, sha256_bytes>;

struct mac_ctx_free {
   void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, mac_ctx_free>;

struct mac_free {
   void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};

/// A base64url text of length 4n+1 cannot be decoded, so it is no segment at all.
bool plausible_segment_length(std::size_t length) {
   return length != 0 && length % 4 != 1;
}

token_result failed(token_failure failure) {
   return token_result{{}, failure};
}

/// Parses base64url-encoded JSON without throwing; a discarded value when either layer is bad.
json decode_json(std::string_view segment) {
   auto const bytes = base64url_decode(segment);
   if (!bytes) {
      return json(json::value_t::discarded);
   }
   return json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
}

/// Encoded headers that nearly every issuer sends and that pass check_header: matching one of
/// them exactly skips a JSON parse, which costs more than the HMAC.
bool is_common_header(std::string_view segment) {
   static std::array<std::string, 3> const common = {
       base64url_encode(R"({"alg":"HS256","typ":"JWT"})"),
       base64url_encode(R"({"typ":"JWT","alg":"HS256"})"),
       base64url_encode(R"({"alg":"HS256"})"),
   };
   for (auto const& header : common) {
      if (segment == header) {
         return true;
      }
   }
   return false;
}

std::optional<token_failure> check_header(std::string_view segment) {
   if (is_common_header(segment)) {
      return std::nullopt;
   }
   auto const header = decode_json(segment);
   if (!header.is_object()) {
      return token_failure::malformed;
   }
   auto const alg = header.find("alg");
   if (alg == header.end() || !alg->is_string() || alg->get_ref<std::string const&>() != "HS256") {
      return token_failure::unsupported_algorithm;
   }
   // Critical extensions change how the token must be processed; we implement none of them.
   if (header.contains("crit")) {
      return token_failure::unsupported_algorithm;
   }
   auto const typ = header.find("typ");
   if (typ != header.end() &&
       (!typ->is_string() || !equals_ignoring_case(typ->get_ref<std::string const&>(), "JWT"))) {
      return token_failure::malformed;
   }
   return std::nullopt;
}

/// The subject as text: a string as is, an integer in decimal; nullopt for any other type.
std::optional<std::string> subject_text(json& subject) {
   if (subject.is_string()) {
      return std::move(subject.get_ref<std::string&>());
   }
   if (subject.is_number_unsigned()) {
      return std::to_string(subject.get<std::uint64_t>());
   }
   if (subject.is_number_integer()) {
      return std::to_string(subject.get<std::int64_t>());
   }
   return std::nullopt;
}

} // namespace

/// HMAC-SHA256 with the key schedule already done. It is only ever duplicated, never updated,
/// so concurrent verify calls share it read-only.
struct jwt_verifier::keyed_hmac {
   mac_ctx_ptr template_ctx;

   bool sign(std::string_view data, digest& out) const {
      mac_ctx_ptr ctx(EVP_MAC_CTX_dup(template_ctx.get()));
      std::size_t length = 0;
      return ctx &&
             EVP_MAC_update(ctx.get(), reinterpret_cast<unsigned char const*>(data.data()),
                            data.size()) == 1 &&
             EVP_MAC_final(ctx.get(), out.data(), &length, out.size()) == 1 && length == out.size();
   }
};

std::string_view reason(token_failure failure) {
   switch (failure) {
   case token_failure::malformed:
      return "malformed";
   case token_failure::unsupported_algorithm:
      return "unsupported_algorithm";
   case token_failure::bad_signature:
      return "bad_signature";
   case token_failure::expired:
      return "expired";
   case token_failure::not_yet_valid:
      return "not_yet_valid";
   case token_failure::missing_subject:
      return "missing_subject";
   case token_failure::invalid_subject:
      return "invalid_subject";
   case token_failure::no_secret:
      return "no_secret";
   }
   return "unknown";
}

bool looks_like_jwt(std::string_view token) {
   if (token.size() > max_token_bytes) {
      return false;
   }
   std::size_t dots = 0;
   std::size_t segment_length = 0;
   for (char const c : token) {
      if (c == '.') {
         if (++dots > 2 || !plausible_segment_length(segment_length)) {
            return false;
         }
         segment_length = 0;
      } else if (in_base64url_alphabet(c)) {
         ++segment_length;
      } else {
         return false;
      }
   }
   return dots == 2 && plausible_segment_length(segment_length);
}

jwt_verifier::jwt_verifier(std::string secret, std::chrono::seconds leeway,
                           std::size_t max_user_id_bytes)
    : leeway_(leeway)
    , max_user_id_bytes_(max_user_id_bytes) {
   if (secret.empty()) {
      return;
   }
   std::unique_ptr<EVP_MAC, mac_free> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
   mac_ctx_ptr ctx(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
   char digest_name[] = "SHA256";
   OSSL_PARAM const params[] = {
       OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
       OSSL_PARAM_construct_end(),
   };
   bool const keyed =
       ctx && EVP_MAC_init(ctx.get(), reinterpret_cast<unsigned char const*>(secret.data()),
                           secret.size(), params) == 1;
   // OpenSSL keeps its own copy of the key; ours need not linger in freed memory.
   OPENSSL_cleanse(secret.data(), secret.size());
   if (!keyed) {
      throw std::runtime_error("OpenSSL cannot set up HMAC-SHA256");
   }
   auto hmac = std::make_shared<keyed_hmac>();
   hmac->template_ctx = std::move(ctx);
   hmac_ = std::move(hmac);
}

token_result jwt_verifier::verify(std::string_view token,
                                  std::chrono::system_clock::time_point now) const {
   if (!hmac_) {
      return failed(token_failure::no_secret);
   }
   if (!looks_like_jwt(token)) {
      return failed(token_failure::malformed);
   }
   auto const first_dot = token.find('.');
   auto const second_dot = token.find('.', first_dot + 1);
   auto const header_segment = token.substr(0, first_dot);
   auto const payload_segment = token.substr(first_dot + 1, second_dot - first_dot - 1);
   auto const signature_segment = token.substr(second_dot + 1);

   if (auto const failure = check_header(header_segment)) {
      return failed(*failure);
   }

   // The claims are attacker-controlled until the signature holds: check it before parsing them.
   auto const signature = base64url_decode(signature_segment);
   digest expected{};
   if (!signature || signature->size() != expected.size() ||
       !hmac_->sign(token.substr(0, second_dot), expected) ||
       CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
      return failed(token_failure::bad_signature);
   }

   auto claims = decode_json(payload_segment);
   if (!claims.is_object()) {
      return failed(token_failure::malformed);
   }
   auto const expires = claims.find("exp");
   auto const not_before = claims.find("nbf");
   if ((expires != claims.end() && !expires->is_number()) ||
       (not_before != claims.end() && !not_before->is_number())) {
      return failed(token_failure::malformed);
   }
   auto const subject = claims.find("sub");
   if (subject == claims.end()) {
      return failed(token_failure::missing_subject);
   }
   auto user_id = subject_text(*subject);
   if (!user_id || !valid_user_id(*user_id, max_user_id_bytes_)) {
      return failed(token_failure::invalid_subject);
   }
   // Doubles hold any JSON number and epoch seconds to well under a microsecond.
   auto const now_seconds = std::chrono::duration<double>(now.time_since_epoch()).count();
   auto const leeway_seconds = static_cast<double>(leeway_.count());
   if (expires != claims.end() && now_seconds > expires->get<double>() + leeway_seconds) {
      return failed(token_failure::expired);
   }
   if (not_before != claims.end() && now_seconds + leeway_seconds < not_before->get<double>()) {
      return failed(token_failure::not_yet_valid);
   }
   return token_result{std::move(*user_id), std::nullopt};
}

std::string mint_jwt(std::string_view secret, std::string_view user_id,
                     std::optional<std::chrono::seconds> ttl,
                     std::chrono::system_clock::time_point now) {
   auto const issued_at = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
   json claims = {{"sub", std::string(user_id)}, {"iat", issued_at.count()}};
   if (ttl) {
      claims["exp"] = (issued_at + *ttl).count();
   }
   auto token = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
   token += '.';
   token += base64url_encode(claims.dump(-1, ' ', false, json::error_handler_t::replace));

   digest signature{};
   unsigned int length = 0;
   // OpenSSL treats a null key as "keep the previous key", and there is none: pass a real
   // pointer even for an empty secret.
   static char const no_key = 0;
   auto const* const key = secret.empty() ? &no_key : secret.data();
   if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
            reinterpret_cast<unsigned char const*>(token.data()), token.size(), signature.data(),
            &length) == nullptr) {
      throw std::runtime_error("OpenSSL cannot compute HMAC-SHA256");
   }
   token += '.';
   token += base64url_encode(
       std::string_view(reinterpret_cast<char const*>(signature.data()), signature.size()));
   return token;
}

} // namespace notify::auth
