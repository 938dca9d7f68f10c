#include "notify/auth/session_cookie.hpp"

#include <gtest/gtest.h>

namespace {

using notify::auth::cookie_failure;
using notify::auth::find_cookie;
using notify::auth::found_cookie;
using notify::auth::session_cookie_verifier;

// Made once with the cookie-signature that express-session 1.19 depends on (1.0.7), in
// clients/js after `npm install`:
//   node -e 'const s = require("./node_modules/express-session/node_modules/cookie-signature");
//            const c = "s:" + s.sign(SID, SECRET); console.log(c, encodeURIComponent(c))'
// The second form is what the browser sends (express-session URL-encodes the cookie).
constexpr std::string_view express_sid = "4bDd6lGd5Sp1-F2oHwI0sCNoqHbk6t5A";
constexpr std::string_view express_cookie =
    "s%3A4bDd6lGd5Sp1-F2oHwI0sCNoqHbk6t5A.qFHV659YvlR2I%2BAldqNtmtQDX95tjRH3UrGhXYwWRKw";
constexpr std::string_view express_cookie_decoded =
    "s:4bDd6lGd5Sp1-F2oHwI0sCNoqHbk6t5A.qFHV659YvlR2I+AldqNtmtQDX95tjRH3UrGhXYwWRKw";
constexpr std::string_view keyboard_cat = "keyboard cat"; // express-session's README secret
constexpr std::string_view old_secret_cookie =
    "s%3Aabc.tHsMridFilYmQZ6dT4p0Hu4B1azruzRn%2FbpGKsnTWGs"; // sid abc, "old-secret-0123"
constexpr std::string_view new_secret_cookie =
    "s%3Ax.LiKwq%2B6qGIX57GwN4ZWBV%2BGyCjY64iB552cRdQ5EJ6U"; // sid x, "new-secret-4567"
constexpr std::string_view dotted_sid_cookie =
    "s%3Asid.with.dots.DuM6Lqsbfh5Fer8YprEO%2BEvZmDbfpn2PDcnvmoBlpSI"; // "keyboard cat"

session_cookie_verifier verifier_with(std::vector<std::string> secrets) {
   return session_cookie_verifier(std::move(secrets));
}

std::optional<std::string> sid_of(std::string_view cookie) {
   return verifier_with({std::string(keyboard_cat)}).verify(cookie).session_id;
}

cookie_failure failure_of(std::string_view cookie) {
   auto const result = verifier_with({std::string(keyboard_cat)}).verify(cookie);
   EXPECT_FALSE(result.session_id) << cookie;
   return result.failure;
}

TEST(session_cookie, verifies_what_cookie_signature_signed) {
   EXPECT_EQ(sid_of(express_cookie), express_sid);
   EXPECT_EQ(sid_of(express_cookie_decoded), express_sid); // an unencoded value decodes as is
}

TEST(session_cookie, splits_at_the_last_dot_like_cookie_signature) {
   EXPECT_EQ(sid_of(dotted_sid_cookie), "sid.with.dots");
}

TEST(session_cookie, the_first_secret_that_verifies_wins) {
   auto const rotated = verifier_with({"new-secret-4567", "old-secret-0123"});
   EXPECT_EQ(rotated.verify(new_secret_cookie).session_id, "x");
   EXPECT_EQ(rotated.verify(old_secret_cookie).session_id, "abc");
   auto const retired = verifier_with({"new-secret-4567"});
   EXPECT_EQ(retired.verify(old_secret_cookie).session_id, std::nullopt);
   EXPECT_EQ(retired.verify(old_secret_cookie).failure, cookie_failure::bad_signature);
}

TEST(session_cookie, a_tampered_cookie_has_a_bad_signature) {
   std::string other_sid(express_cookie);
   other_sid[4] = 'c'; // s%3A4b... -> s%3A4c...
   EXPECT_EQ(failure_of(other_sid), cookie_failure::bad_signature);
   std::string other_signature(express_cookie);
   other_signature.back() = 'x';
   EXPECT_EQ(failure_of(other_signature), cookie_failure::bad_signature);
   EXPECT_EQ(failure_of(std::string(express_cookie) + "A"), cookie_failure::bad_signature);
   EXPECT_EQ(failure_of(std::string(express_cookie) + "%3D"), cookie_failure::bad_signature);
   EXPECT_EQ(failure_of(std::string(express_cookie, 0, express_cookie.size() - 1)),
             cookie_failure::bad_signature);
   EXPECT_EQ(verifier_with({"another secret"}).verify(express_cookie).failure,
             cookie_failure::bad_signature);
   EXPECT_EQ(failure_of("s%3Aabc."), cookie_failure::bad_signature);
}

TEST(session_cookie, anything_but_s_sid_dot_signature_is_malformed) {
   EXPECT_EQ(failure_of(""), cookie_failure::malformed);
   EXPECT_EQ(failure_of("4bDd6lGd5Sp1-F2oHwI0sCNoqHbk6t5A"), cookie_failure::malformed);
   EXPECT_EQ(failure_of(std::string(express_cookie).substr(4)), cookie_failure::malformed);
   EXPECT_EQ(failure_of("s%3A"), cookie_failure::malformed);
   EXPECT_EQ(failure_of("s:no-dot-here"), cookie_failure::malformed);
   EXPECT_EQ(failure_of("s:.qFHV659YvlR2I+AldqNtmtQDX95tjRH3UrGhXYwWRKw"),
             cookie_failure::malformed); // empty sid
   EXPECT_EQ(failure_of("s%3Aab%ZZ.x"), cookie_failure::malformed);
   EXPECT_EQ(failure_of("s%3Aab%2"), cookie_failure::malformed);
   EXPECT_EQ(failure_of("S%3Aabc.tHsMridFilYmQZ6dT4p0Hu4B1azruzRn%2FbpGKsnTWGs"),
             cookie_failure::malformed);
}

TEST(session_cookie, a_session_id_that_cannot_be_a_redis_key_is_malformed) {
   auto const signature = ".tHsMridFilYmQZ6dT4p0Hu4B1azruzRn%2FbpGKsnTWGs";
   for (std::string const sid :
        {"a%20b", "a%0Ab", "a%00b", "a%7Fb", "caf%C3%A9", "a%0D%0AFLUSHALL"}) {
      EXPECT_EQ(failure_of("s%3A" + sid + signature), cookie_failure::malformed) << sid;
   }
   EXPECT_EQ(failure_of("s%3A" + std::string(257, 'a') + signature), cookie_failure::malformed);
   EXPECT_EQ(failure_of("s%3A" + std::string(256, 'a') + signature),
             cookie_failure::bad_signature); // long enough to reach the check, not signed
   EXPECT_EQ(failure_of(std::string(2000, 's')), cookie_failure::malformed);
}

TEST(session_cookie, reasons_are_metric_labels) {
   EXPECT_EQ(reason(cookie_failure::malformed), "cookie_malformed");
   EXPECT_EQ(reason(cookie_failure::bad_signature), "cookie_bad_signature");
}

TEST(find_cookie, picks_the_named_pair) {
   auto const found = find_cookie("theme=dark; connect.sid=s%3Aabc.sig;lang=en", "connect.sid");
   EXPECT_EQ(found.state, found_cookie::state::present);
   EXPECT_EQ(found.value, "s%3Aabc.sig");
   EXPECT_EQ(find_cookie("connect.sid=v", "connect.sid").value, "v");
   EXPECT_EQ(find_cookie("  connect.sid = v  ", "connect.sid").value, "v");
   EXPECT_EQ(find_cookie("connect.sid=\"v\"", "connect.sid").value, "v");
   EXPECT_EQ(find_cookie("a=1; connect.sid=x=y", "connect.sid").value, "x=y");
}

TEST(find_cookie, absent_when_only_similar_names_are_there) {
   for (std::string_view const header : {"", ";;;", "theme=dark", "Connect.sid=v", "connect.sid",
                                         "xconnect.sid=v", "connect.sidx=v", "connect=sid=v"}) {
      EXPECT_EQ(find_cookie(header, "connect.sid").state, found_cookie::state::absent) << header;
   }
}

TEST(find_cookie, the_same_value_twice_is_one_cookie_two_values_are_refused) {
   EXPECT_EQ(find_cookie("connect.sid=v; connect.sid=v", "connect.sid").state,
             found_cookie::state::present);
   auto const tossed = find_cookie("connect.sid=mine; connect.sid=planted", "connect.sid");
   EXPECT_EQ(tossed.state, found_cookie::state::conflicting);
   EXPECT_TRUE(tossed.value.empty());
}

} // namespace
