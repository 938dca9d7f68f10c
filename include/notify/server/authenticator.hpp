#pragma once

#include "notify/auth/jwt.hpp"
#include "notify/auth/session_cookie.hpp"
#include "notify/config/settings.hpp"
#include "notify/server/credential.hpp"
#include "notify/server/net.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace notify::redis {
class request_client;
}

namespace notify::server {

/// Turns what a client presents (a JWT, a Redis session id, the web app's express-session cookie,
/// or in insecure mode a bare user id) into a user id. Shared by every shard; session lookups run
/// on the Redis executor (shard 0) and their result comes back on the asking session's executor.
class authenticator {
public:
   struct outcome {
      bool ok = false;
      std::string user_id;
      std::string_view failure; ///< metric label, one of metrics::auth_failure_reasons
      bool backend_unavailable = false;
   };
   using callback = std::function<void(outcome)>;

   /// `sessions` may be null when session tokens and cookies are disabled.
   authenticator(const config::settings& settings, net::any_io_executor redis_executor,
                 redis::request_client* sessions);

   /// JWTs are checked inline (done runs before this returns); session ids asynchronously.
   void authenticate(std::string_view token, const net::any_io_executor& session_executor,
                     callback done) const;

   /// A token as above, or a session cookie: its signature is checked inline, then its session
   /// (`<auth.cookie_session_prefix><sid>`, an express-session record) is read from Redis.
   void authenticate(const credential& presented, const net::any_io_executor& session_executor,
                     callback done) const;

   /// The seed's {"type":"auth","userId":...}; refused unless auth.allow_insecure_user_id.
   outcome authenticate_claimed_user_id(std::string_view user_id) const;

private:
   void lookup_session(std::string_view token, const net::any_io_executor& session_executor,
                       callback done) const;
   void authenticate_cookie(std::string_view cookie_header,
                            const net::any_io_executor& session_executor, callback done) const;
   /// GET `key` on the Redis executor; `read` turns the record into the outcome there, which
   /// then goes back to `session_executor`.
   void lookup(std::string key, const net::any_io_executor& session_executor,
               std::function<outcome(std::string_view record)> read, callback done) const;

   auth::jwt_verifier jwt_;
   auth::session_cookie_verifier cookie_;
   std::string cookie_name_;
   std::string cookie_session_prefix_;
   std::string cookie_user_field_;
   std::string session_prefix_;
   bool allow_insecure_user_id_;
   std::size_t max_user_id_bytes_;
   net::any_io_executor redis_executor_;
   redis::request_client* sessions_;
};

/// Whether a failed authentication could be someone guessing a credential, and so counts toward
/// the per-address lockout (auth.max_failures). `failure` is an outcome's metric label.
bool could_be_guessing(std::string_view failure);

} // namespace notify::server
