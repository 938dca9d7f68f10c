// Authentication with the web app's express-session cookie, as a browser on the app's site does
// it: the cookie rides along with the upgrade and the client sends nothing.

#include "gateway_fixture.hpp"

#include <ctime>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace notify::test {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view current_secret = "current cookie secret";
constexpr std::string_view previous_secret = "previous cookie secret";
constexpr std::string_view app_origin = "https://app.example";

/// What express-session sets: "s:" + sid + "." + base64(HMAC-SHA256(sid, secret)) without
/// '=' padding, URL-encoded (cookie-signature's sign() and encodeURIComponent).
std::string express_cookie(std::string_view sid, std::string_view secret) {
   unsigned char mac[EVP_MAX_MD_SIZE];
   unsigned int mac_bytes = 0;
   HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
        reinterpret_cast<unsigned char const*>(sid.data()), sid.size(), mac, &mac_bytes);
   unsigned char encoded[64] = {};
   EVP_EncodeBlock(encoded, mac, static_cast<int>(mac_bytes));
   std::string signature(reinterpret_cast<char const*>(encoded));
   while (!signature.empty() && signature.back() == '=') {
      signature.pop_back();
   }
   std::string value = "s%3A" + std::string(sid) + ".";
   for (char const c : signature) {
      value += c == '+' ? "%2B" : c == '/' ? "%2F" : std::string(1, c);
   }
   return value;
}

/// A JS Date.toJSON() `offset` from now.
std::string js_date(std::chrono::seconds offset) {
   auto const at = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
   std::tm utc{};
   gmtime_r(&at, &utc);
   char text[32];
   std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000Z", &utc);
   return text;
}

/// A record as connect-redis stores it for express-session.
std::string express_record(const std::string& user_json, std::chrono::seconds expires_in) {
   return R"({"cookie":{"originalMaxAge":86400000,"expires":")" + js_date(expires_in) +
          R"(","httpOnly":true,"path":"/"},"userId":)" + user_json + "}";
}

class cookie_auth_test : public gateway_test {
protected:
   void SetUp() override {
      gateway_test::SetUp();
      start_gateway({"--threads", "1", "--set", "auth.cookie_name=connect.sid", "--set",
                     "server.allowed_origins=" + std::string(app_origin)},
                    {{"NOTIFY_AUTH_COOKIE_SECRETS",
                      std::string(current_secret) + "," + std::string(previous_secret)}});
   }

   /// A browser page of the app opening the WebSocket with its cookies.
   bool connect_with_cookie(ws_client& client, const std::string& cookie_header,
                            std::string_view origin = app_origin) {
      return client.connect("127.0.0.1", port(), "/ws",
                            {{"Origin", std::string(origin)}, {"Cookie", cookie_header}});
   }

   static void expect_auth_ok(ws_client& client, const std::string& user_id) {
      auto const reply = client.read_message();
      ASSERT_TRUE(reply.has_value())
          << "no auth_ok; close " << client.last_close().code << " " << client.last_close().reason;
      auto const json = nlohmann::json::parse(*reply, nullptr, false);
      EXPECT_EQ(json.value("type", ""), "auth_ok") << *reply;
      EXPECT_EQ(json.value("userId", ""), user_id) << *reply;
   }

   double failures(std::string_view reason) {
      return metric_value(port(),
                          "notify_auth_failures_total{reason=\"" + std::string(reason) + "\"}");
   }
};

TEST_F(cookie_auth_test, the_app_session_cookie_authenticates_without_any_message) {
   redis_->set("sess:sid-42", express_record("42", 3600s));
   ws_client client;
   ASSERT_TRUE(connect_with_cookie(
       client, "theme=dark; connect.sid=" + express_cookie("sid-42", current_secret) + "; a=b"))
       << client.last_error();
   expect_auth_ok(client, "42");
   publish("user:42:notifications", R"({"n":1})");
   EXPECT_EQ(client.read_message(), R"({"n":1})");
}

TEST_F(cookie_auth_test, a_cookie_signed_with_the_previous_secret_still_works) {
   redis_->set("sess:old-sid", express_record(R"("u-7")", 3600s));
   ws_client client;
   ASSERT_TRUE(
       connect_with_cookie(client, "connect.sid=" + express_cookie("old-sid", previous_secret)));
   expect_auth_ok(client, "u-7");
}

TEST_F(cookie_auth_test, an_explicit_token_wins_over_the_cookie) {
   redis_->set("sess:sid-42", express_record("42", 3600s));
   ws_client client;
   ASSERT_TRUE(
       client.connect("127.0.0.1", port(), "/ws?token=" + token_for("77"),
                      {{"Origin", std::string(app_origin)},
                       {"Cookie", "connect.sid=" + express_cookie("sid-42", current_secret)}}));
   expect_auth_ok(client, "77");
}

TEST_F(cookie_auth_test, bad_signature_unknown_and_expired_sessions_close_with_4001) {
   redis_->set("sess:sid-42", express_record("42", 3600s));
   redis_->set("sess:stale", express_record("42", -60s)); // its TTL got lost: the date decides
   auto const forged = express_cookie("sid-42", "a guessed secret");
   auto const unknown = express_cookie("no-such-sid", current_secret);
   auto const expired = express_cookie("stale", current_secret);
   for (auto const& cookie : {forged, unknown, expired, std::string("s%3Asid-42")}) {
      ws_client client;
      ASSERT_TRUE(connect_with_cookie(client, "connect.sid=" + cookie));
      auto const close = client.expect_close();
      EXPECT_EQ(close.code, 4001) << cookie;
      EXPECT_EQ(client.read_message(), std::nullopt);
   }
   EXPECT_EQ(failures("cookie_bad_signature"), 1);
   EXPECT_EQ(failures("session_not_found"), 1);
   EXPECT_EQ(failures("session_expired"), 1);
   EXPECT_EQ(failures("cookie_malformed"), 1);
}

TEST_F(cookie_auth_test, two_different_session_cookies_are_refused) {
   redis_->set("sess:sid-42", express_record("42", 3600s));
   redis_->set("sess:sid-43", express_record("43", 3600s));
   ws_client client;
   ASSERT_TRUE(connect_with_cookie(
       client, "connect.sid=" + express_cookie("sid-42", current_secret) +
                   "; connect.sid=" + express_cookie("sid-43", current_secret)));
   EXPECT_EQ(client.expect_close().code, 4001);
   EXPECT_EQ(failures("cookie_malformed"), 1);
}

TEST_F(cookie_auth_test, a_page_of_another_origin_gets_403) {
   redis_->set("sess:sid-42", express_record("42", 3600s));
   auto const cookie = "connect.sid=" + express_cookie("sid-42", current_secret);
   EXPECT_EQ(
       http_upgrade(port(), "/ws", {{"Origin", "https://evil.example"}, {"Cookie", cookie}}).status,
       403);
   EXPECT_EQ(metric_value(port(), R"(notify_refused_connections_total{limit="origin"})"), 1);
}

TEST_F(cookie_auth_test, without_the_cookie_the_client_can_still_send_a_token) {
   ws_client client;
   ASSERT_TRUE(connect_with_cookie(client, "theme=dark"));
   ASSERT_TRUE(client.send_text(R"({"type":"auth","token":")" + token_for("9") + R"("})"));
   expect_auth_ok(client, "9");
}

TEST(cookie_auth_config, cookie_auth_without_an_origin_list_does_not_start) {
   auto const result =
       run_gateway_command({"--set", "auth.cookie_name=connect.sid"},
                           {{"NOTIFY_AUTH_COOKIE_SECRETS", "a-secret-nobody-may-see"}});
   EXPECT_EQ(result.exit_code, 2);
   EXPECT_NE(result.err.find("server.allowed_origins"), std::string::npos) << result.err;
   EXPECT_NE(result.err.find("cross-site WebSocket hijacking"), std::string::npos) << result.err;
   EXPECT_EQ(result.err.find("a-secret-nobody-may-see"), std::string::npos) << result.err;
   auto const no_secret = run_gateway_command({"--set", "auth.cookie_name=connect.sid", "--set",
                                               "server.allowed_origins=https://a.example"});
   EXPECT_EQ(no_secret.exit_code, 2);
   EXPECT_NE(no_secret.err.find("auth.cookie_secrets"), std::string::npos) << no_secret.err;
}

} // namespace
} // namespace notify::test
