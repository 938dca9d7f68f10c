#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace notify::auth {

enum class token_failure {
   malformed,
   unsupported_algorithm,
   bad_signature,
   expired,
   not_yet_valid,
   missing_subject,
   invalid_subject,
   no_secret,
};

/// Short snake_case label ("bad_signature", ...), used in metrics and close reasons.
std::string_view reason(token_failure failure);

struct token_result {
   std::string user_id;
   std::optional<token_failure> failure;
   bool ok() const { return !failure; }
};

/// Three non-empty base64url segments separated by '.', total length <= 8192. Cheap enough to
/// tell a JWT from an opaque session id before doing any real work.
bool looks_like_jwt(std::string_view token);

/// Verifies HS256 JWTs against one shared secret.
///
/// Only {"alg":"HS256"} is accepted (no "none", no other algorithm, no "crit"); "typ", when
/// present, must be "JWT". The signature is checked in constant time before the claims are
/// parsed. "sub" (a string, or an integer taken in decimal) must pass valid_user_id; "exp" and
/// "nbf" are honoured with the given leeway.
///
/// verify never throws and never logs the token. It is const and safe to call from many threads
/// at once; copies share the keyed HMAC state.
class jwt_verifier {
public:
   /// Throws std::runtime_error when OpenSSL cannot set up HMAC-SHA256 (a broken install).
   /// An empty secret is allowed: every token then fails with no_secret.
   jwt_verifier(std::string secret, std::chrono::seconds leeway,
                std::size_t max_user_id_bytes = 256);

   token_result
   verify(std::string_view token,
          std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

private:
   struct keyed_hmac;
   std::shared_ptr<keyed_hmac const> hmac_; ///< null when the secret is empty
   std::chrono::seconds leeway_;
   std::size_t max_user_id_bytes_;
};

/// Makes an HS256 token with header {"alg":"HS256","typ":"JWT"} and claims {"sub","iat"} plus
/// "exp" = iat + ttl when a ttl is given. For tests and tools; bytes of user_id that are not
/// valid UTF-8 are replaced by U+FFFD. Throws std::runtime_error only if OpenSSL fails.
std::string mint_jwt(std::string_view secret, std::string_view user_id,
                     std::optional<std::chrono::seconds> ttl,
                     std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

} // namespace notify::auth
