// TLS on the gateway's port: wss:// and https:// with a certificate made at test time.

#include "gateway_fixture.hpp"
#include "support/proxy_relay.hpp"
#include "support/raw_connection.hpp"
#include "support/self_signed_cert.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace notify::test {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using error_code = boost::system::error_code;

/// A TLS client that trusts exactly the test's certificate. Every operation is asynchronous
/// under a deadline, so a test can fail but never hang.
class tls_client {
public:
   explicit tls_client(const std::string& trusted_pem) {
      context_.add_certificate_authority(net::buffer(trusted_pem));
      context_.set_verify_mode(ssl::verify_peer);
   }

   /// TCP connect + TLS handshake (checking the certificate for 127.0.0.1). `proxy_header`,
   /// if any, is written before the handshake, as a TCP load balancer does.
   error_code open(std::uint16_t port, const std::string& proxy_header = {}) {
      auto& stream = ws_.next_layer();
      stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
      error_code result;
      run([&](auto done) {
         beast::get_lowest_layer(stream).async_connect(
             {net::ip::make_address("127.0.0.1"), port}, [&, done](error_code ec) {
                if (ec) {
                   result = ec;
                   done();
                   return;
                }
                net::async_write(beast::get_lowest_layer(stream), net::buffer(proxy_header),
                                 [&, done](error_code written, std::size_t) {
                                    if (written) {
                                       result = written;
                                       done();
                                       return;
                                    }
                                    stream.async_handshake(ssl::stream_base::client,
                                                           [&, done](error_code hs) {
                                                              result = hs;
                                                              done();
                                                           });
                                 });
             });
      });
      return result;
   }

   http::response<http::string_body> get(const std::string& target) {
      http::request<http::empty_body> request{http::verb::get, target, 11};
      request.set(http::field::host, "127.0.0.1");
      http::response<http::string_body> response;
      run([&](auto done) {
         http::async_write(ws_.next_layer(), request, [&, done](error_code ec, std::size_t) {
            if (ec) {
               done();
               return;
            }
            http::async_read(ws_.next_layer(), buffer_, response,
                             [done](error_code, std::size_t) { done(); });
         });
      });
      return response;
   }

   error_code upgrade(const std::string& target) {
      error_code result = net::error::timed_out;
      run([&](auto done) {
         ws_.async_handshake("127.0.0.1", target, [&, done](error_code ec) {
            result = ec;
            done();
         });
      });
      return result;
   }

   std::optional<std::string> read() {
      std::optional<std::string> message;
      run([&](auto done) {
         ws_.async_read(buffer_, [&, done](error_code ec, std::size_t) {
            if (!ec) {
               message = beast::buffers_to_string(buffer_.data());
               buffer_.consume(buffer_.size());
            } else {
               // The close frame counts even if the TLS teardown after it was not clean.
               close_code_ = ws_.reason().code;
               last_error_ = ec.message();
            }
            done();
         });
      });
      return message;
   }

   bool send(const std::string& text) {
      error_code result = net::error::timed_out;
      run([&](auto done) {
         ws_.async_write(net::buffer(text), [&, done](error_code ec, std::size_t) {
            result = ec;
            done();
         });
      });
      return !result;
   }

   std::uint16_t close_code() const { return close_code_; }
   const std::string& last_error() const { return last_error_; }

private:
   template <class Start> void run(Start start) {
      bool finished = false;
      io_.restart();
      start([&finished] { finished = true; });
      auto const deadline = std::chrono::steady_clock::now() + 5s;
      while (!finished && std::chrono::steady_clock::now() < deadline) {
         io_.run_one_for(100ms);
      }
      if (!finished) {
         error_code ignored;
         beast::get_lowest_layer(ws_).socket().close(ignored);
         io_.run_for(1s);
      }
   }

   net::io_context io_;
   ssl::context context_{ssl::context::tls_client};
   beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_{io_, context_};
   beast::flat_buffer buffer_;
   std::uint16_t close_code_ = 0;
   std::string last_error_;
};

class tls_test : public gateway_test {
protected:
   void start_tls_gateway(std::vector<std::string> args = {}) {
      args.insert(args.end(), {"--set", "server.tls.cert_file=" + cert_.cert_file(), "--set",
                               "server.tls.key_file=" + cert_.key_file()});
      env_list env{{"NOTIFY_JWT_SECRET", std::string(test_jwt_secret)},
                   {"REDIS_PORT", std::to_string(redis_->port())},
                   {"REDIS_HOST", "127.0.0.1"}};
      // The fixture's readiness check speaks plain HTTP; this one waits on the log instead.
      gateway_ = std::make_unique<gateway_process>(std::move(args), std::move(env), false);
      ASSERT_TRUE(gateway_->wait_for_log("subscribed to")) << gateway_->log_text();
   }

   std::unique_ptr<tls_client> connected_client() {
      auto client = std::make_unique<tls_client>(cert_.cert_pem());
      auto const ec = client->open(port());
      EXPECT_FALSE(ec) << ec.message();
      return client;
   }

   self_signed_cert cert_;
};

TEST_F(tls_test, health_endpoints_answer_over_https) {
   start_tls_gateway();
   auto client = connected_client();
   auto const health = client->get("/healthz");
   EXPECT_EQ(health.result_int(), 200);
   EXPECT_NE(health.body().find("ok"), std::string::npos);
   auto const ready = client->get("/readyz"); // keep-alive on the same TLS connection
   EXPECT_EQ(ready.result_int(), 200) << ready.body();
}

TEST_F(tls_test, wss_clients_authenticate_and_receive_notifications_in_order) {
   start_tls_gateway();
   auto client = connected_client();
   ASSERT_FALSE(client->upgrade("/ws?token=" + token_for("42")));
   auto const ok = client->read();
   ASSERT_TRUE(ok.has_value());
   EXPECT_NE(ok->find("auth_ok"), std::string::npos) << *ok;
   ASSERT_TRUE(client->send(R"({"type":"ping"})"));
   EXPECT_EQ(client->read(), R"({"type":"pong"})");

   // Bigger than one TLS record and than one encrypted write, then many small ones.
   std::string const big = R"({"blob":")" + std::string(300 * 1024, 'x') + R"("})";
   publish("user:42:notifications", big);
   constexpr int count = 500;
   for (int i = 0; i < count; ++i) {
      publish(i % 2 == 0 ? "user:42:notifications" : "global_notifications",
              R"({"n":)" + std::to_string(i) + "}");
   }
   EXPECT_EQ(client->read(), big);
   for (int i = 0; i < count; ++i) {
      auto const message = client->read();
      ASSERT_EQ(message, R"({"n":)" + std::to_string(i) + "}");
   }
}

TEST_F(tls_test, sigterm_closes_wss_clients_with_1001) {
   start_tls_gateway();
   auto client = connected_client();
   ASSERT_FALSE(client->upgrade("/ws?token=" + token_for("1")));
   ASSERT_TRUE(client->read().has_value()); // auth_ok
   ASSERT_TRUE(gateway_->signal(SIGTERM));
   EXPECT_FALSE(client->read().has_value());
   EXPECT_EQ(client->close_code(), 1001) << client->last_error();
   EXPECT_EQ(gateway_->wait_exit(5s), 0);
}

TEST_F(tls_test, plain_http_on_the_tls_port_is_dropped_and_the_gateway_carries_on) {
   start_tls_gateway();
   raw_connection plain(port());
   ASSERT_TRUE(plain.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
   EXPECT_TRUE(plain.wait_closed(5s));
   EXPECT_EQ(plain.received().find("HTTP/1.1 200"), std::string::npos);
   auto client = connected_client();
   EXPECT_EQ(client->get("/healthz").result_int(), 200);
}

TEST_F(tls_test, a_stalled_tls_handshake_is_cut_at_the_handshake_timeout) {
   start_tls_gateway({"--set", "server.handshake_timeout_ms=400"});
   raw_connection stalled(port());
   // Half a ClientHello record header, then nothing.
   ASSERT_TRUE(stalled.send(std::string("\x16\x03\x01", 3)));
   auto const started = std::chrono::steady_clock::now();
   EXPECT_TRUE(stalled.wait_closed(5s));
   EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
   auto client = connected_client();
   auto const metrics = client->get("/metrics");
   EXPECT_NE(metrics.body().find("notify_timeouts_total{stage=\"handshake\"} 1"),
             std::string::npos);
}

TEST_F(tls_test, a_proxy_header_before_the_tls_handshake_names_the_client) {
   start_tls_gateway({"--set", "server.proxy_protocol=true", "--set",
                      "server.trusted_proxies=127.0.0.1", "--set", "limits.handshake_rate_per_ip=1",
                      "--set", "limits.handshake_burst_per_ip=1"});
   auto const through_balancer = [&](const std::string& client_address) {
      auto client = std::make_unique<tls_client>(cert_.cert_pem());
      auto const ec =
          client->open(port(), "PROXY TCP4 " + client_address + " 127.0.0.1 40000 443\r\n");
      EXPECT_FALSE(ec) << ec.message();
      return client;
   };
   auto first = through_balancer("203.0.113.7");
   ASSERT_FALSE(first->upgrade("/ws?token=" + token_for("7")));
   auto const ok = first->read();
   ASSERT_TRUE(ok.has_value());
   EXPECT_NE(ok->find("auth_ok"), std::string::npos) << *ok;
   EXPECT_TRUE(through_balancer("203.0.113.7")->upgrade("/ws?token=" + token_for("7")))
       << "the same client's second handshake should be over its rate";
   EXPECT_FALSE(through_balancer("203.0.113.8")->upgrade("/ws?token=" + token_for("8")));
   // Without the header the TLS handshake never starts.
   tls_client direct(cert_.cert_pem());
   EXPECT_TRUE(direct.open(port()));
}

TEST_F(tls_test, a_client_hello_in_the_same_segment_as_the_proxy_header_is_not_lost) {
   start_tls_gateway(
       {"--set", "server.proxy_protocol=true", "--set", "server.trusted_proxies=127.0.0.1"});
   proxy_relay balancer(port(), "PROXY TCP4 203.0.113.9 127.0.0.1 40000 443\r\n");
   tls_client client(cert_.cert_pem());
   auto const ec = client.open(balancer.port());
   ASSERT_FALSE(ec) << ec.message();
   ASSERT_FALSE(client.upgrade("/ws?token=" + token_for("9")));
   auto const ok = client.read();
   ASSERT_TRUE(ok.has_value());
   EXPECT_NE(ok->find("auth_ok"), std::string::npos) << *ok;
   publish("user:9:notifications", R"({"via":"balancer"})");
   EXPECT_EQ(client.read(), R"({"via":"balancer"})");
}

TEST_F(tls_test, unusable_certificate_files_exit_with_2_naming_the_setting) {
   auto const missing =
       run_gateway_command({"--set", "server.tls.cert_file=/nonexistent/cert.pem", "--set",
                            "server.tls.key_file=" + cert_.key_file(), "--port", "1"},
                           {{"NOTIFY_JWT_SECRET", std::string(test_jwt_secret)}});
   EXPECT_EQ(missing.exit_code, 2);
   EXPECT_NE((missing.out + missing.err).find("server.tls.cert_file"), std::string::npos)
       << missing.err;
   self_signed_cert other;
   auto const mismatched =
       run_gateway_command({"--set", "server.tls.cert_file=" + cert_.cert_file(), "--set",
                            "server.tls.key_file=" + other.key_file(), "--port", "1"},
                           {{"NOTIFY_JWT_SECRET", std::string(test_jwt_secret)}});
   EXPECT_EQ(mismatched.exit_code, 2);
   EXPECT_NE((mismatched.out + mismatched.err).find("server.tls.key_file"), std::string::npos)
       << mismatched.err;
}

} // namespace
} // namespace notify::test
