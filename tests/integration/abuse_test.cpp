// Hostile clients: stalled and trickling requests, handshake floods, password guessing, pages
// from other sites, and forged or flooding frames. Each must end cleanly, be counted, and leave
// everyone else served.

#include "gateway_fixture.hpp"
#include "support/raw_connection.hpp"

namespace notify::test {
namespace {

using namespace std::chrono_literals;

class abuse_test : public gateway_test {
protected:
   double timeouts(const std::string& stage) {
      return metric_value(port(), "notify_timeouts_total{stage=\"" + stage + "\"}");
   }
   double refused(const std::string& limit) {
      return metric_value(port(), "notify_refused_connections_total{limit=\"" + limit + "\"}");
   }
   /// Upgrades as user 1, then sends `frame` over and over without reading a byte, until the
   /// gateway counts a slow consumer (or 20 s pass).
   void flood_without_reading(const std::string& frame) {
      // A small receive buffer: the answers back up in the gateway, not in this process's kernel.
      raw_connection flooder(port(), "127.0.0.1", 4096);
      ASSERT_TRUE(flooder.send(upgrade_request("/ws?token=" + token_for("1"))));
      std::string burst;
      for (int i = 0; i < 1000; ++i) {
         burst += frame;
      }
      auto const deadline = std::chrono::steady_clock::now() + 20s;
      while (std::chrono::steady_clock::now() < deadline &&
             metric_value(port(), "notify_slow_consumer_closes_total") < 1) {
         flooder.send_without_waiting(burst);
         std::this_thread::sleep_for(5ms);
      }
   }

   /// A raw client that upgraded with a valid token and read up to auth_ok.
   std::unique_ptr<raw_connection> raw_client_as(const std::string& user) {
      auto client = std::make_unique<raw_connection>(port());
      EXPECT_TRUE(client->send(upgrade_request("/ws?token=" + token_for(user))));
      auto const head = client->read_until("\r\n\r\n", 5s);
      EXPECT_NE(head.find(" 101 "), std::string::npos) << head;
      EXPECT_NE(client->read_until("auth_ok", 5s).find("auth_ok"), std::string::npos);
      client->read_until("}", 5s); // the rest of the auth_ok frame: received() starts at a frame
      return client;
   }
};

std::optional<std::string> header_value(const http_response& response, const std::string& name) {
   for (auto const& [key, value] : response.headers) {
      if (boost::beast::iequals(key, name)) {
         return value;
      }
   }
   return std::nullopt;
}

// --- Timeouts per stage ----------------------------------------------------------------------

TEST_F(abuse_test, a_connection_that_never_sends_a_request_is_closed_at_the_request_timeout) {
   start_gateway({"--set", "server.request_timeout_ms=300"});
   raw_connection idle(port());
   auto const started = std::chrono::steady_clock::now();
   EXPECT_TRUE(idle.wait_closed(5s));
   EXPECT_GE(std::chrono::steady_clock::now() - started, 250ms);
   EXPECT_TRUE(idle.received().empty()) << idle.received();
   EXPECT_EQ(timeouts("request"), 1);
}

TEST_F(abuse_test, a_request_head_that_trickles_in_is_cut_off_at_the_header_timeout) {
   start_gateway({"--set", "server.header_timeout_ms=600"});
   raw_connection slowloris(port());
   ASSERT_TRUE(slowloris.send("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
   auto const started = std::chrono::steady_clock::now();
   // One header byte every 50 ms would take far longer than the deadline to finish.
   std::string const header = "X-Padding: " + std::string(100, 'a') + "\r\n";
   for (std::size_t i = 0; i < header.size() && !slowloris.closed(); ++i) {
      if (!slowloris.send(header.substr(i, 1))) {
         break;
      }
      slowloris.read_until("\r\n\r\n", 50ms);
      if (i == 3) {
         // Meanwhile other clients are served as usual.
         auto other = connect_as("7");
         EXPECT_TRUE(other->is_open());
      }
   }
   slowloris.wait_closed(3s);
   EXPECT_TRUE(slowloris.closed());
   EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
   EXPECT_TRUE(slowloris.received().empty()) << slowloris.received();
   EXPECT_EQ(timeouts("header"), 1);
}

TEST_F(abuse_test, auth_and_idle_timeouts_are_counted_by_stage) {
   start_gateway({"--set", "auth.timeout_ms=300", "--set", "server.ping_interval_ms=200", "--set",
                  "server.idle_timeout_ms=700"});
   auto anonymous = connect_anonymous();
   EXPECT_EQ(anonymous->expect_close().code, 4002);
   silent_client silent(port(), "/ws?token=" + token_for("1"));
   ASSERT_TRUE(silent.upgraded());
   EXPECT_TRUE(eventually([&] { return timeouts("idle") == 1; }, 5s));
   EXPECT_EQ(timeouts("auth"), 1);
}

// --- Handshake rate and auth lockout ---------------------------------------------------------

TEST_F(abuse_test, handshakes_beyond_the_per_address_rate_get_429_with_retry_after) {
   start_gateway(
       {"--set", "limits.handshake_rate_per_ip=1", "--set", "limits.handshake_burst_per_ip=3"});
   auto const target = "/ws?token=" + token_for("1");
   for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(http_upgrade(port(), target).status, 101) << i;
   }
   auto const refused_upgrade = http_upgrade(port(), target);
   EXPECT_EQ(refused_upgrade.status, 429);
   auto const retry_after = header_value(refused_upgrade, "Retry-After");
   ASSERT_TRUE(retry_after.has_value());
   EXPECT_GE(std::stoi(*retry_after), 1);
   EXPECT_EQ(refused("handshake_rate"), 1);
   // Another address has its own bucket, and plain HTTP endpoints are not rate limited.
   raw_connection other(port(), "127.0.0.2");
   ASSERT_TRUE(other.send(upgrade_request(target)));
   EXPECT_NE(other.read_until("\r\n\r\n", 5s).find(" 101 "), std::string::npos);
   EXPECT_EQ(http_get(port(), "/healthz").status, 200);
   // The bucket refills: one handshake a second.
   EXPECT_TRUE(eventually([&] { return http_upgrade(port(), target).status == 101; }, 3s));
}

TEST_F(abuse_test, an_address_with_too_many_failed_authentications_is_locked_out) {
   start_gateway({"--set", "auth.max_failures=3", "--set", "auth.lockout_s=60"});
   auto waiting = connect_anonymous(); // opened before the lockout, authenticates after it
   for (int i = 0; i < 3; ++i) {
      ws_client guess;
      ASSERT_TRUE(guess.connect("127.0.0.1", port(), "/ws?token=not-a-token"));
      EXPECT_EQ(guess.expect_close().code, 4001) << i;
   }
   // Even a valid token is refused from that address now, at the handshake...
   auto const refused_upgrade = http_upgrade(port(), "/ws?token=" + token_for("42"));
   EXPECT_EQ(refused_upgrade.status, 429);
   auto const retry_after = header_value(refused_upgrade, "Retry-After");
   ASSERT_TRUE(retry_after.has_value());
   EXPECT_GT(std::stoi(*retry_after), 50);
   EXPECT_LE(std::stoi(*retry_after), 60);
   // ...and on an auth message.
   ASSERT_TRUE(waiting->send_text(R"({"type":"auth","token":")" + token_for("42") + R"("})"));
   EXPECT_EQ(waiting->expect_close().code, 4005);
   EXPECT_EQ(refused("auth_lockout"), 2);
   // Other addresses are not affected.
   raw_connection other(port(), "127.0.0.2");
   ASSERT_TRUE(other.send(upgrade_request("/ws?token=" + token_for("42"))));
   EXPECT_NE(other.read_until("auth_ok", 5s).find("auth_ok"), std::string::npos);
}

TEST_F(abuse_test, expired_tokens_get_4001_but_never_lock_the_address_out) {
   start_gateway({"--set", "auth.max_failures=3", "--set", "auth.lockout_s=60"});
   // Validly signed, expired an hour ago: what tabs reconnecting overnight present.
   auto const expired = auth::mint_jwt(test_jwt_secret, "42", std::chrono::seconds(60),
                                       std::chrono::system_clock::now() - 1h);
   for (int i = 0; i < 10; ++i) {
      ws_client stale;
      ASSERT_TRUE(stale.connect("127.0.0.1", port(), "/ws?token=" + expired));
      EXPECT_EQ(stale.expect_close().code, 4001) << i;
   }
   EXPECT_EQ(metric_value(port(), R"(notify_auth_failures_total{reason="expired"})"), 10);
   auto client = connect_as("42");
   EXPECT_TRUE(client->is_open());
   EXPECT_EQ(refused("auth_lockout"), 0);
   // Bad signatures still count: three lock the address out.
   auto forged = token_for("42");
   auto& signature_char = forged[forged.size() - 10]; // not the last: its low bits are padding
   signature_char = signature_char == 'A' ? 'B' : 'A';
   for (int i = 0; i < 3; ++i) {
      ws_client guess;
      ASSERT_TRUE(guess.connect("127.0.0.1", port(), "/ws?token=" + forged));
      EXPECT_EQ(guess.expect_close().code, 4001) << i;
   }
   EXPECT_EQ(metric_value(port(), R"(notify_auth_failures_total{reason="bad_signature"})"), 3);
   EXPECT_EQ(http_upgrade(port(), "/ws?token=" + token_for("42")).status, 429);
}

TEST_F(abuse_test, lockout_can_be_turned_off) {
   start_gateway({"--set", "auth.max_failures=0"});
   for (int i = 0; i < 8; ++i) {
      ws_client guess;
      ASSERT_TRUE(guess.connect("127.0.0.1", port(), "/ws?token=not-a-token"));
      EXPECT_EQ(guess.expect_close().code, 4001) << i;
   }
   auto client = connect_as("42");
   EXPECT_TRUE(client->is_open());
}

// --- Origins ---------------------------------------------------------------------------------

TEST_F(abuse_test, handshakes_from_pages_of_other_origins_get_403) {
   start_gateway({"--set", "server.allowed_origins=https://app.example, http://localhost:3000"});
   auto const target = "/ws?token=" + token_for("1");
   EXPECT_EQ(http_upgrade(port(), target, {{"Origin", "https://evil.example"}}).status, 403);
   EXPECT_EQ(http_upgrade(port(), target, {{"Origin", "null"}}).status, 403);
   EXPECT_EQ(http_upgrade(port(), target, {{"Origin", "https://app.example.evil"}}).status, 403);
   EXPECT_EQ(http_upgrade(port(), target, {{"Origin", "https://app.example"}}).status, 101);
   EXPECT_EQ(http_upgrade(port(), target, {{"Origin", "HTTP://LOCALHOST:3000"}}).status, 101);
   EXPECT_EQ(http_upgrade(port(), target).status, 101); // not a browser: no Origin
   EXPECT_EQ(refused("origin"), 3);
}

// --- Client frames ---------------------------------------------------------------------------

TEST_F(abuse_test, binary_messages_are_answered_with_errors_then_1008) {
   start_gateway({"--set", "limits.max_protocol_errors=2"});
   auto client = connect_as("1");
   for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(client->send_binary("\x01\x02\x03"));
   }
   EXPECT_EQ(client->expect_close().code, 1008);
   auto const first = nlohmann::json::parse(client->read_message().value_or("{}"));
   EXPECT_EQ(first.value("code", ""), "bad_message");
}

TEST_F(abuse_test, a_fragmented_flood_is_closed_with_1009_once_it_passes_the_limit) {
   start_gateway({"--set", "limits.max_inbound_bytes=4096"});
   auto client = raw_client_as("1");
   std::string flood = masked_frame(0x1, std::string(1000, 'a'), false);
   for (int i = 0; i < 100; ++i) {
      flood += masked_frame(0x0, std::string(1000, 'a'), false);
   }
   client->send(flood);
   EXPECT_TRUE(client->wait_closed(5s));
   EXPECT_EQ(close_code_of(parse_server_frames(client->received())), 1009);
}

TEST_F(abuse_test, a_frame_announcing_a_huge_payload_is_closed_with_1009_at_once) {
   start_gateway();
   auto client = raw_client_as("1");
   // Header only: 2^40 bytes announced, none sent. Nothing may wait for (or allocate) them.
   std::string header = "\x81\xFF";
   header += std::string("\x00\x00\x01\x00\x00\x00\x00\x00", 8);
   header += "abcd";
   ASSERT_TRUE(client->send(header));
   EXPECT_TRUE(client->wait_closed(5s));
   EXPECT_EQ(close_code_of(parse_server_frames(client->received())), 1009);
}

TEST_F(abuse_test, invalid_utf8_in_a_fragmented_message_is_closed_with_1007) {
   start_gateway();
   auto client = raw_client_as("1");
   ASSERT_TRUE(client->send(masked_frame(0x1, "{\"type\":\"pi", false) +
                            masked_frame(0x0, "\xC3\x28ng\"}", true)));
   EXPECT_TRUE(client->wait_closed(5s));
   EXPECT_EQ(close_code_of(parse_server_frames(client->received())), 1007);
}

TEST_F(abuse_test, a_ping_flood_from_a_client_that_never_reads_is_cut_off_as_a_slow_consumer) {
   start_gateway({"--set", "limits.max_queued_messages=256"});
   flood_without_reading(masked_frame(0x9, std::string(125, 'p')));
   EXPECT_EQ(metric_value(port(), "notify_slow_consumer_closes_total"), 1);
   // The gateway is fine and serves others.
   auto other = connect_as("2");
   publish("user:2:notifications", R"({"ok":true})");
   EXPECT_EQ(other->read_message(), R"({"ok":true})");
}

TEST_F(abuse_test, application_pings_from_a_client_that_never_reads_are_bounded_too) {
   start_gateway({"--set", "limits.max_queued_messages=256"});
   flood_without_reading(masked_frame(0x1, R"({"type":"ping"})"));
   EXPECT_EQ(metric_value(port(), "notify_slow_consumer_closes_total"), 1);
}

} // namespace
} // namespace notify::test
