// Behind a load balancer every client has the balancer's address. With server.trusted_proxies
// the per-address rules (handshake rate, auth lockout) key on the address the trusted proxy
// forwards, and nobody else's forwarding headers are believed.

#include "gateway_fixture.hpp"
#include "support/raw_connection.hpp"

namespace notify::test {
namespace {

using namespace std::chrono_literals;

class client_address_test : public gateway_test {
protected:
   /// The HTTP status line of an upgrade with a valid token, sent from `source` with `headers`.
   std::string upgrade_status(const std::string& source, const header_list& headers) {
      raw_connection client(port(), source);
      EXPECT_TRUE(client.send(upgrade_request("/ws?token=" + token_for("1"), headers)));
      auto const head = client.read_until("\r\n\r\n", 5s);
      return head.substr(0, head.find("\r\n"));
   }
   bool upgraded(const std::string& source, const header_list& headers) {
      return upgrade_status(source, headers).find(" 101 ") != std::string::npos;
   }
   bool too_many(const std::string& source, const header_list& headers) {
      return upgrade_status(source, headers).find(" 429 ") != std::string::npos;
   }
   void fail_auth_as(const header_list& headers) {
      ws_client guess;
      ASSERT_TRUE(guess.connect("127.0.0.1", port(), "/ws?token=not-a-token", headers));
      EXPECT_EQ(guess.expect_close().code, 4001);
   }
   double refused(const std::string& limit) {
      return metric_value(port(), "notify_refused_connections_total{limit=\"" + limit + "\"}");
   }
};

header_list xff(const std::string& value) {
   return {{"X-Forwarded-For", value}};
}

TEST_F(client_address_test, a_trusted_proxy_s_forwarded_addresses_are_locked_out_one_by_one) {
   start_gateway({"--set", "server.trusted_proxies=127.0.0.1", "--set", "auth.max_failures=2",
                  "--set", "auth.lockout_s=60"});
   fail_auth_as(xff("203.0.113.7"));
   fail_auth_as(xff("198.51.100.1, 203.0.113.7")); // a client-chosen left part changes nothing
   EXPECT_TRUE(too_many("127.0.0.1", xff("203.0.113.7")));
   EXPECT_EQ(refused("auth_lockout"), 1);
   // Another client behind the same proxy, and the proxy itself, are not locked out.
   EXPECT_TRUE(upgraded("127.0.0.1", xff("203.0.113.8")));
   EXPECT_TRUE(upgraded("127.0.0.1", {}));
   // A trusted hop on the right is skipped: the client is still 203.0.113.7.
   EXPECT_TRUE(too_many("127.0.0.1", xff("203.0.113.7, 127.0.0.1")));
}

TEST_F(client_address_test, an_untrusted_peer_s_x_forwarded_for_is_ignored) {
   start_gateway({"--set", "server.trusted_proxies=127.0.0.1", "--set",
                  "limits.handshake_rate_per_ip=1", "--set", "limits.handshake_burst_per_ip=2"});
   // 127.0.0.2 is not a trusted proxy: a fresh spoofed address per attempt gains it nothing.
   EXPECT_TRUE(upgraded("127.0.0.2", xff("203.0.113.1")));
   EXPECT_TRUE(upgraded("127.0.0.2", xff("203.0.113.2")));
   EXPECT_TRUE(too_many("127.0.0.2", xff("203.0.113.3")));
   EXPECT_TRUE(too_many("127.0.0.2", {{"Forwarded", "for=203.0.113.4"}}));
   // ...while the trusted proxy's clients each have their own bucket.
   EXPECT_TRUE(upgraded("127.0.0.1", xff("203.0.113.3")));
   EXPECT_TRUE(upgraded("127.0.0.1", xff("203.0.113.3")));
   EXPECT_TRUE(too_many("127.0.0.1", xff("203.0.113.3")));
   EXPECT_TRUE(upgraded("127.0.0.1", xff("203.0.113.4")));
   EXPECT_EQ(refused("handshake_rate"), 3);
}

TEST_F(client_address_test, a_trusted_proxy_s_forwarded_header_names_the_client) {
   start_gateway({"--set", "server.trusted_proxies=127.0.0.0/8", "--set",
                  "limits.handshake_rate_per_ip=1", "--set", "limits.handshake_burst_per_ip=1"});
   header_list const v6_client{{"Forwarded", R"(for="[2001:db8:cafe::17]:4711";proto=https)"}};
   EXPECT_TRUE(upgraded("127.0.0.2", v6_client));
   EXPECT_TRUE(too_many("127.0.0.1", v6_client)); // same client, through another proxy
   EXPECT_TRUE(upgraded("127.0.0.1", {{"Forwarded", "for=203.0.113.9"}}));
   // Obfuscated or unknown: the walk stops at the proxy, which is then the client.
   EXPECT_TRUE(upgraded("127.0.0.3", {{"Forwarded", "for=unknown"}}));
   EXPECT_TRUE(too_many("127.0.0.3", {{"Forwarded", "for=_hidden"}}));
}

} // namespace
} // namespace notify::test
