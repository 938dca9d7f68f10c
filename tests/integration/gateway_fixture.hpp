#pragma once

// Shared set-up for integration tests: a private redis-server, the real gateway binary on a free
// loopback port, and authenticated WebSocket clients.

#include "notify/auth/jwt.hpp"
#include "support/gateway_process.hpp"
#include "support/http_get.hpp"
#include "support/redis_server.hpp"
#include "support/ws_client.hpp"

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <gtest/gtest.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility> // before Boost 1.74 Asio, see notify/server/net.hpp
#include <vector>

namespace notify::test {

inline constexpr std::string_view test_jwt_secret = "integration-test-secret-0123456789abcdef";

/// Polls `condition` until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
   auto const deadline = std::chrono::steady_clock::now() + timeout;
   while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) {
         return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
   }
   return condition();
}

/// The value of one unlabelled (or exactly labelled) sample in a /metrics body, or -1.
inline double sample_value(const std::string& body, const std::string& sample) {
   auto const prefix = sample + " ";
   std::size_t position = 0;
   while (position < body.size()) {
      auto const end = body.find('\n', position);
      auto const line = body.substr(position, end - position);
      if (line.rfind(prefix, 0) == 0) {
         return std::stod(line.substr(prefix.size()));
      }
      if (end == std::string::npos) {
         break;
      }
      position = end + 1;
   }
   return -1;
}

/// The value of one unlabelled (or exactly labelled) sample in /metrics, or -1.
inline double metric_value(std::uint16_t port, const std::string& sample) {
   auto const response = http_get(port, "/metrics");
   if (response.status != 200) {
      return -1;
   }
   return sample_value(response.body, sample);
}

/// A client that completes the WebSocket handshake and then goes silent: it never reads, never
/// answers a ping and never closes, like a peer whose network died. Stays open until destroyed.
class silent_client {
public:
   silent_client(std::uint16_t port, const std::string& target)
       : socket_(io_) {
      namespace net = boost::asio;
      socket_.connect({net::ip::make_address("127.0.0.1"), port});
      std::string const request = "GET " + target +
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
      net::write(socket_, net::buffer(request));
      std::string response;
      net::read_until(socket_, net::dynamic_buffer(response), "\r\n\r\n");
      status_line_ = response.substr(0, response.find("\r\n"));
   }
   bool upgraded() const { return status_line_.find(" 101 ") != std::string::npos; }

private:
   boost::asio::io_context io_;
   boost::asio::ip::tcp::socket socket_;
   std::string status_line_;
};

class gateway_test : public ::testing::Test {
protected:
   void SetUp() override {
      if (!redis_server::available()) {
         GTEST_FAIL() << "redis-server is not installed (scripts/install-deps installs it)";
      }
      redis_ = std::make_unique<redis_server>();
   }

   /// Starts the gateway against the fixture's Redis, with a JWT secret and 1 or 2 event loops.
   void start_gateway(std::vector<std::string> args = {}, env_list env = {}) {
      env.emplace_back("NOTIFY_JWT_SECRET", std::string(test_jwt_secret));
      env.emplace_back("REDIS_PORT", std::to_string(redis_->port()));
      env.emplace_back("REDIS_HOST", "127.0.0.1");
      gateway_ = std::make_unique<gateway_process>(std::move(args), std::move(env));
      ASSERT_TRUE(eventually([&] { return http_get(port(), "/readyz").status == 200; }))
          << gateway_->log_text();
   }

   std::uint16_t port() const { return gateway_->port(); }

   static std::string token_for(const std::string& user_id) {
      return auth::mint_jwt(test_jwt_secret, user_id, std::chrono::seconds(3600));
   }

   /// A client authenticated as `user_id` with a token in the URL; auth_ok already read.
   std::unique_ptr<ws_client> connect_as(const std::string& user_id) {
      auto client = std::make_unique<ws_client>();
      EXPECT_TRUE(client->connect("127.0.0.1", port(), "/ws?token=" + token_for(user_id)))
          << client->last_error();
      auto const ok = client->read_message();
      EXPECT_TRUE(ok.has_value()) << "no auth_ok for " << user_id;
      if (ok) {
         auto const reply = nlohmann::json::parse(*ok, nullptr, false);
         EXPECT_EQ(reply.value("type", ""), "auth_ok") << *ok;
         EXPECT_EQ(reply.value("userId", ""), user_id) << *ok;
      }
      return client;
   }

   /// An envelope-format client of `user_id` (`query`: more URL parameters, such as
   /// "&resume_user=..."); auth_ok already read.
   std::unique_ptr<ws_client> connect_envelope(const std::string& user_id,
                                               const std::string& query = "") {
      auto client = std::make_unique<ws_client>();
      EXPECT_TRUE(client->connect("127.0.0.1", port(),
                                  "/ws?token=" + token_for(user_id) + "&format=envelope" + query))
          << client->last_error();
      auto const ok = read_json(*client);
      EXPECT_EQ(ok.value("type", ""), "auth_ok") << ok.dump();
      return client;
   }

   /// The next message as JSON; {"type":"nothing"} after `timeout` of silence.
   static nlohmann::json read_json(ws_client& client,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
      auto const text = client.read_message(timeout);
      if (!text) {
         return nlohmann::json{{"type", "nothing"}};
      }
      return nlohmann::json::parse(*text, nullptr, false);
   }

   /// A connected client that has not authenticated.
   std::unique_ptr<ws_client> connect_anonymous() {
      auto client = std::make_unique<ws_client>();
      EXPECT_TRUE(client->connect("127.0.0.1", port(), "/ws")) << client->last_error();
      return client;
   }

   /// Publishes and checks the gateway (the only subscriber) got it.
   void publish(const std::string& channel, const std::string& payload) {
      ASSERT_EQ(redis_->publish(channel, payload), 1) << "gateway not subscribed";
   }

   std::unique_ptr<redis_server> redis_;
   std::unique_ptr<gateway_process> gateway_;
};

} // namespace notify::test
