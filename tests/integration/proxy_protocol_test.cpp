// server.proxy_protocol: behind a TCP load balancer (HAProxy, AWS NLB, nginx stream) every
// connection starts with a PROXY protocol header naming the client. The per-address rules key on
// that address; only trusted peers may send one; anything else is closed before a byte of HTTP
// is read, and the gateway keeps serving.

#include "gateway_fixture.hpp"
#include "support/raw_connection.hpp"

#include <array>
#include <boost/asio/ip/address.hpp>

namespace notify::test {
namespace {

using namespace std::chrono_literals;

std::string v1_header(const std::string& client) {
   return "PROXY TCP4 " + client + " 127.0.0.1 40000 443\r\n";
}

/// A v2 header: PROXY (or LOCAL) over TCP, IPv4 or IPv6 by the client's family.
std::string v2_header(const std::string& client, bool local = false) {
   std::string header("\r\n\r\n\0\r\nQUIT\n", 12);
   header += static_cast<char>(local ? 0x20 : 0x21);
   auto const address = boost::asio::ip::make_address(client);
   std::string addresses;
   if (address.is_v4()) {
      header += '\x11';
      auto const bytes = address.to_v4().to_bytes();
      auto const destination = boost::asio::ip::make_address_v4("127.0.0.1").to_bytes();
      addresses.append(bytes.begin(), bytes.end());
      addresses.append(destination.begin(), destination.end());
   } else {
      header += '\x21';
      auto const bytes = address.to_v6().to_bytes();
      auto const destination = boost::asio::ip::address_v6::loopback().to_bytes();
      addresses.append(bytes.begin(), bytes.end());
      addresses.append(destination.begin(), destination.end());
   }
   addresses += std::string("\x9c\x40\x01\xbb", 4); // ports 40000 -> 443
   header += static_cast<char>(addresses.size() >> 8);
   header += static_cast<char>(addresses.size() & 0xff);
   return header + addresses;
}

class proxy_protocol_test : public gateway_test {
protected:
   /// The fixture's readiness check speaks plain HTTP, which this port refuses; the log says
   /// when the gateway is ready instead.
   void start_proxied_gateway(std::vector<std::string> args = {}) {
      args.insert(args.end(), {"--set", "server.proxy_protocol=true"});
      env_list env{{"NOTIFY_JWT_SECRET", std::string(test_jwt_secret)},
                   {"REDIS_PORT", std::to_string(redis_->port())},
                   {"REDIS_HOST", "127.0.0.1"}};
      gateway_ = std::make_unique<gateway_process>(std::move(args), std::move(env), false);
      ASSERT_TRUE(gateway_->wait_for_log("subscribed to")) << gateway_->log_text();
   }

   /// The status line of an upgrade with a valid token for user "1", sent after `header` from
   /// `source`, with the header and the request split across sends at `split` (npos: in one
   /// send, as proxies usually do).
   std::string upgrade_status(const std::string& header, const std::string& source = "127.0.0.1",
                              std::size_t split = std::string::npos) {
      raw_connection proxy(port(), source);
      auto const bytes = header + upgrade_request("/ws?token=" + token_for("1"));
      if (split == std::string::npos) {
         EXPECT_TRUE(proxy.send(bytes));
      } else {
         EXPECT_TRUE(proxy.send(bytes.substr(0, split)));
         std::this_thread::sleep_for(50ms);
         EXPECT_TRUE(proxy.send(bytes.substr(split)));
      }
      auto const head = proxy.read_until("\r\n\r\n", 5s);
      return head.substr(0, head.find("\r\n"));
   }
   bool upgraded(const std::string& header, const std::string& source = "127.0.0.1") {
      return upgrade_status(header, source).find(" 101 ") != std::string::npos;
   }
   bool too_many(const std::string& header) {
      return upgrade_status(header).find(" 429 ") != std::string::npos;
   }

   /// GET `path` through the proxy with a LOCAL v2 header (a balancer's own health check).
   std::string get_as_balancer(const std::string& path) {
      raw_connection proxy(port());
      EXPECT_TRUE(proxy.send(v2_header("127.0.0.1", true) + "GET " + path +
                             " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
      EXPECT_TRUE(proxy.wait_closed(5s));
      return proxy.received();
   }
   double metric(const std::string& sample) {
      return sample_value(get_as_balancer("/metrics"), sample);
   }
   double rejections(const std::string& reason) {
      return metric("notify_proxy_header_rejections_total{reason=\"" + reason + "\"}");
   }

   /// Connects from `source`, sends `bytes`, and says whether the gateway closed the connection
   /// without answering a single byte.
   bool closed_silently(const std::string& bytes, const std::string& source = "127.0.0.1") {
      raw_connection client(port(), source);
      client.send(bytes);
      return client.wait_closed(5s) && client.received().empty();
   }
};

std::vector<std::string> one_handshake_per_address() {
   return {"--set", "server.trusted_proxies=127.0.0.1", "--set", "limits.handshake_rate_per_ip=1",
           "--set", "limits.handshake_burst_per_ip=1"};
}

TEST_F(proxy_protocol_test, a_v1_header_names_the_client_for_the_per_address_rules) {
   start_proxied_gateway(one_handshake_per_address());
   EXPECT_TRUE(upgraded(v1_header("203.0.113.7")));
   EXPECT_TRUE(too_many(v1_header("203.0.113.7"))); // the same client again: its own bucket
   EXPECT_TRUE(upgraded(v1_header("203.0.113.8"))); // another client of the same balancer
}

TEST_F(proxy_protocol_test, a_v2_header_names_an_ipv4_or_ipv6_client_even_when_split) {
   start_proxied_gateway(one_handshake_per_address());
   EXPECT_NE(upgrade_status(v2_header("2001:db8::17"), "127.0.0.1", 7).find(" 101 "),
             std::string::npos); // the signature itself arrives in two parts
   EXPECT_TRUE(too_many(v2_header("2001:db8::17")));
   EXPECT_NE(upgrade_status(v2_header("198.51.100.4"), "127.0.0.1", 20).find(" 101 "),
             std::string::npos);
   EXPECT_TRUE(too_many(v1_header("198.51.100.4"))); // v1 or v2: one client, one bucket
}

TEST_F(proxy_protocol_test, the_websocket_after_the_header_delivers_notifications) {
   start_proxied_gateway({"--set", "server.trusted_proxies=127.0.0.1"});
   raw_connection proxy(port());
   ASSERT_TRUE(proxy.send(v2_header("203.0.113.20") +
                          upgrade_request("/ws?token=" + token_for("proxied"))));
   ASSERT_NE(proxy.read_until("\r\n\r\n", 5s).find(" 101 "), std::string::npos);
   auto const auth_ok = proxy.read_frame(5s);
   ASSERT_TRUE(auth_ok.has_value());
   EXPECT_NE(auth_ok->payload.find("auth_ok"), std::string::npos) << auth_ok->payload;
   ASSERT_TRUE(eventually([&] { return metric("notify_authenticated_users") == 1; }));
   redis_->command({"PUBLISH", "user:proxied:notifications", R"({"n":1})"});
   auto const message = proxy.read_frame(5s);
   ASSERT_TRUE(message.has_value());
   EXPECT_EQ(message->payload, R"({"n":1})");
}

TEST_F(proxy_protocol_test, a_local_header_is_the_balancer_s_own_health_check) {
   start_proxied_gateway({"--set", "server.trusted_proxies=127.0.0.1"});
   auto const response = get_as_balancer("/readyz");
   EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;
   EXPECT_NE(response.find(R"("status":"ready")"), std::string::npos) << response;
}

TEST_F(proxy_protocol_test, no_header_or_garbage_is_closed_silently_and_the_gateway_carries_on) {
   start_proxied_gateway({"--set", "server.trusted_proxies=127.0.0.1"});
   // A client that skipped the balancer's header: its HTTP is never parsed.
   EXPECT_TRUE(closed_silently("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
   EXPECT_TRUE(closed_silently("PROXY TCP4 not-an-address 127.0.0.1 1 2\r\n"));
   EXPECT_TRUE(closed_silently(std::string("\r\n\r\n\0\r\nQUIT\n\x21\x11\xff\xff", 16)));
   EXPECT_TRUE(closed_silently("PROXY TCP4 " + std::string(2000, '1')));
   EXPECT_EQ(rejections("invalid"), 4);
   EXPECT_TRUE(upgraded(v1_header("203.0.113.30")));
}

TEST_F(proxy_protocol_test, an_untrusted_peer_is_closed_even_with_a_valid_header) {
   start_proxied_gateway({"--set", "server.trusted_proxies=127.0.0.1"});
   EXPECT_TRUE(closed_silently(v1_header("203.0.113.40") + upgrade_request("/ws"), "127.0.0.2"));
   EXPECT_TRUE(closed_silently("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "127.0.0.2"));
   EXPECT_EQ(rejections("untrusted_peer"), 2);
   EXPECT_TRUE(upgraded(v1_header("203.0.113.40")));
}

TEST_F(proxy_protocol_test, a_header_that_never_completes_is_cut_at_the_request_timeout) {
   start_proxied_gateway(
       {"--set", "server.trusted_proxies=127.0.0.1", "--set", "server.request_timeout_ms=300"});
   raw_connection stalled(port());
   ASSERT_TRUE(stalled.send("PROXY TCP4 203.0.113.50 "));
   EXPECT_TRUE(stalled.wait_closed(3s));
   EXPECT_EQ(metric("notify_timeouts_total{stage=\"proxy_header\"}"), 1);
}

TEST_F(proxy_protocol_test, forwarding_headers_are_followed_only_when_the_header_names_a_proxy) {
   start_proxied_gateway({"--set", "server.trusted_proxies=127.0.0.1,10.0.0.0/8", "--set",
                          "limits.handshake_rate_per_ip=1", "--set",
                          "limits.handshake_burst_per_ip=1"});
   auto const via = [&](const std::string& header, const std::string& forwarded_for) {
      raw_connection proxy(port());
      proxy.send(header + upgrade_request("/ws?token=" + token_for("1"),
                                          {{"X-Forwarded-For", forwarded_for}}));
      auto const head = proxy.read_until("\r\n\r\n", 5s);
      return head.substr(0, head.find("\r\n"));
   };
   // 10.1.2.3 is an inner proxy: its X-Forwarded-For names the client.
   EXPECT_NE(via(v1_header("10.1.2.3"), "203.0.113.60").find(" 101 "), std::string::npos);
   EXPECT_NE(via(v1_header("10.1.2.4"), "203.0.113.60").find(" 429 "), std::string::npos);
   // 203.0.113.61 is a client: whatever X-Forwarded-For it sends is ignored.
   EXPECT_NE(via(v1_header("203.0.113.61"), "203.0.113.62").find(" 101 "), std::string::npos);
   EXPECT_NE(via(v1_header("203.0.113.61"), "203.0.113.63").find(" 429 "), std::string::npos);
}

TEST_F(proxy_protocol_test, proxy_protocol_without_trusted_proxies_stops_the_start) {
   auto const result = run_gateway_command({"--set", "server.proxy_protocol=true", "--port", "1"},
                                           {{"NOTIFY_JWT_SECRET", std::string(test_jwt_secret)}});
   EXPECT_EQ(result.exit_code, 2);
   EXPECT_NE((result.out + result.err).find("server.proxy_protocol"), std::string::npos)
       << result.out << result.err;
}

} // namespace
} // namespace notify::test
