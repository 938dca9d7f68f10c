#pragma once

#include <string>

namespace notify::server {

/// What a client presented to authenticate with, as the handshake or the auth message found it.
struct credential {
   enum class kind {
      token,          ///< a JWT or a Redis session token (?token=, Bearer, or the auth message)
      session_cookie, ///< the request's Cookie header(s), which carry auth.cookie_name
   };
   kind source = kind::token;
   /// The token; for session_cookie every Cookie header of the request, joined with "; ".
   std::string value;
};

} // namespace notify::server
