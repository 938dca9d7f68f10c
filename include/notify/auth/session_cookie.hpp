#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notify::auth {

/// What became of the session cookie: the first two are what a forger or guesser produces, so
/// both count as "could be guessing" failures.
enum class cookie_failure {
   malformed,     ///< not `s:<sid>.<signature>`, bad escapes, too long, sent twice with two values
   bad_signature, ///< well formed, but no configured secret signed it
};

/// Metric label and close reason: "cookie_malformed" or "cookie_bad_signature".
std::string_view reason(cookie_failure failure);

/// One cookie's value picked out of a request's Cookie header(s) (RFC 6265 `a=b; c=d`).
struct found_cookie {
   enum class state { absent, present, conflicting };
   state state = state::absent;
   std::string_view value; ///< as sent (still URL-encoded); set when present
};

/// Finds `name` (case-sensitive, like browsers) in `cookie_header`, which holds one Cookie header
/// or several joined with "; ". The same value sent twice is one cookie; two different values
/// are `conflicting`: a sibling subdomain can plant a second cookie of the same name (cookie
/// tossing), and which one the web app itself used cannot be known here, so neither is used.
found_cookie find_cookie(std::string_view cookie_header, std::string_view name);

/// The session id out of an express-session cookie, or why not.
struct cookie_verification {
   std::optional<std::string> session_id;
   cookie_failure failure = cookie_failure::malformed; ///< meaningful without session_id
};

/// Checks express-session's signed cookies the way the npm package cookie-signature does:
/// the value is URL-encoded `s:<sid>.<signature>`, the signature is the standard base64 of
/// HMAC-SHA256(sid, secret) without '=' padding. Several secrets allow rotation: the first that
/// verifies wins, as in express-session. Sans-I/O and thread-safe (immutable after construction).
class session_cookie_verifier {
public:
   static constexpr std::size_t max_cookie_bytes = 1024;
   /// A returned session id is printable ASCII without spaces and at most this long, so it can
   /// go into a Redis key.
   static constexpr std::size_t max_session_id_bytes = 256;

   explicit session_cookie_verifier(std::vector<std::string> secrets);

   /// `raw_value`: the cookie's value as it arrived (found_cookie::value).
   cookie_verification verify(std::string_view raw_value) const;

private:
   std::vector<std::string> secrets_;
};

} // namespace notify::auth
