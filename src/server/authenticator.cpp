#include "notify/server/authenticator.hpp"

#include "notify/auth/session_record.hpp"
#include "notify/common/user_id.hpp"
#include "notify/redis/request_client.hpp"

#include <chrono>

namespace notify::server {

namespace {

constexpr std::size_t max_session_id_bytes = 512;

/// Session ids are opaque but printable; anything else is refused without asking Redis.
bool plausible_session_id(std::string_view token) {
   if (token.empty() || token.size() > max_session_id_bytes) {
      return false;
   }
   for (char c : token) {
      auto const byte = static_cast<unsigned char>(c);
      if (byte <= 0x20 || byte >= 0x7f) {
         return false;
      }
   }
   return true;
}

authenticator::outcome failure(std::string_view reason) {
   return {false, {}, reason, false};
}

} // namespace

authenticator::authenticator(const config::settings& settings, net::any_io_executor redis_executor,
                             redis::request_client* sessions)
    : jwt_(settings.auth.jwt_secret, settings.auth.jwt_leeway, settings.routing.max_user_id_bytes)
    , cookie_(settings.auth.cookie_secrets)
    , cookie_name_(settings.auth.cookie_name)
    , cookie_session_prefix_(settings.auth.cookie_session_prefix)
    , cookie_user_field_(settings.auth.cookie_user_field)
    , session_prefix_(settings.auth.session_prefix)
    , allow_insecure_user_id_(settings.auth.allow_insecure_user_id)
    , max_user_id_bytes_(settings.routing.max_user_id_bytes)
    , redis_executor_(std::move(redis_executor))
    , sessions_(sessions) {}

void authenticator::authenticate(std::string_view token,
                                 const net::any_io_executor& session_executor,
                                 callback done) const {
   if (token.empty()) {
      done(failure("missing_token"));
      return;
   }
   if (auth::looks_like_jwt(token)) {
      auto result = jwt_.verify(token);
      if (result.ok()) {
         done({true, std::move(result.user_id), {}, false});
      } else {
         done(failure(auth::reason(*result.failure)));
      }
      return;
   }
   if (session_prefix_.empty() || sessions_ == nullptr) {
      done(failure(session_prefix_.empty() ? "session_disabled" : "backend_unavailable"));
      return;
   }
   if (!plausible_session_id(token)) {
      done(failure("malformed"));
      return;
   }
   lookup_session(token, session_executor, std::move(done));
}

void authenticator::authenticate(const credential& presented,
                                 const net::any_io_executor& session_executor,
                                 callback done) const {
   if (presented.source == credential::kind::session_cookie) {
      authenticate_cookie(presented.value, session_executor, std::move(done));
   } else {
      authenticate(presented.value, session_executor, std::move(done));
   }
}

void authenticator::authenticate_cookie(std::string_view cookie_header,
                                        const net::any_io_executor& session_executor,
                                        callback done) const {
   if (cookie_name_.empty() || sessions_ == nullptr) {
      done(failure(cookie_name_.empty() ? "session_disabled" : "backend_unavailable"));
      return;
   }
   auto const found = auth::find_cookie(cookie_header, cookie_name_);
   if (found.state != auth::found_cookie::state::present) {
      done(failure(auth::reason(auth::cookie_failure::malformed)));
      return;
   }
   auto verified = cookie_.verify(found.value);
   if (!verified.session_id) {
      done(failure(auth::reason(verified.failure)));
      return;
   }
   lookup(
       cookie_session_prefix_ + *verified.session_id, session_executor,
       [this](std::string_view record) -> outcome {
          auto session = auth::read_express_session(record, cookie_user_field_, max_user_id_bytes_,
                                                    std::chrono::system_clock::now());
          switch (session.problem) {
          case auth::express_session::problem::none:
             return {true, std::move(*session.user_id), {}, false};
          case auth::express_session::problem::expired:
             return failure("session_expired");
          case auth::express_session::problem::invalid:
             break;
          }
          return failure("session_invalid");
       },
       std::move(done));
}

void authenticator::lookup_session(std::string_view token,
                                   const net::any_io_executor& session_executor,
                                   callback done) const {
   lookup(
       session_prefix_ + std::string(token), session_executor,
       [this](std::string_view record) -> outcome {
          if (auto user_id = auth::user_id_from_session_record(record, max_user_id_bytes_)) {
             return {true, std::move(*user_id), {}, false};
          }
          return failure("session_invalid");
       },
       std::move(done));
}

void authenticator::lookup(std::string key, const net::any_io_executor& session_executor,
                           std::function<outcome(std::string_view record)> read,
                           callback done) const {
   net::post(redis_executor_, [this, key = std::move(key), session_executor, read = std::move(read),
                               done = std::move(done)]() mutable {
      sessions_->get(std::move(key),
                     [session_executor, read = std::move(read), done = std::move(done)](
                         error_code ec, std::optional<std::string> record) mutable {
                        outcome result;
                        if (ec) {
                           result = {false, {}, "backend_unavailable", true};
                        } else if (!record) {
                           result = failure("session_not_found");
                        } else {
                           result = read(*record);
                        }
                        net::post(session_executor,
                                  [done = std::move(done), result = std::move(result)]() mutable {
                                     done(std::move(result));
                                  });
                     });
   });
}

bool could_be_guessing(std::string_view failure) {
   // A token that is not validly signed, or a session id that does not exist, is what guessing
   // produces. Everything else says nothing about the client's intent, and counting it would
   // lock out whole offices behind one NAT:
   // - expired / not_yet_valid: validly signed, just stale (tabs reconnecting overnight) or a
   //   skewed clock; only the secret's holder could have made them.
   // - missing_subject / invalid_subject: validly signed too (an issuer bug), or in insecure
   //   mode a bad claimed id, where there is no secret to guess.
   // - session_invalid: the record in Redis is broken, a server-side problem.
   // - missing_token, insecure_disabled, session_disabled: nothing was tried that could ever
   //   succeed, so repeating it gains an attacker nothing; the handshake rate limits floods.
   // - no_secret, backend_unavailable, timeout: the gateway's state, not the client's.
   // - session_expired: the cookie verified, the app's session just ran out, like an expired JWT.
   return failure == "bad_signature" || failure == "malformed" ||
          failure == "unsupported_algorithm" || failure == "session_not_found" ||
          failure == "cookie_malformed" || failure == "cookie_bad_signature";
}

authenticator::outcome authenticator::authenticate_claimed_user_id(std::string_view user_id) const {
   if (!allow_insecure_user_id_) {
      return failure("insecure_disabled");
   }
   if (!valid_user_id(user_id, max_user_id_bytes_)) {
      return failure("invalid_subject");
   }
   return {true, std::string(user_id), {}, false};
}

} // namespace notify::server
