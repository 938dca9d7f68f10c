// Checks the integration-test clients (tests/support) against a tiny in-process server, so that
// a failing integration test points at the gateway and not at its tools.

#include "support/gateway_process.hpp"
#include "support/http_get.hpp"
#include "support/ws_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <gtest/gtest.h>
#include <set>
#include <string>
#include <thread>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using notify::test::http_get;
using notify::test::ws_client;

/// Serves one connection at a time on its own thread. HTTP: 200 "ok" as text/plain, 403 for
/// upgrades to /refuse. WebSocket: echoes text, and obeys "close", "drop" and "burst" commands.
class local_server {
public:
   local_server()
       : acceptor_(ioc_, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), 0)) {
      port_ = acceptor_.local_endpoint().port();
      thread_ = std::thread([this] { serve(); });
   }
   ~local_server() {
      // A request for /quit ends the accept loop from its own thread.
      http_get(port_, "/quit", 2s);
      thread_.join();
   }
   std::uint16_t port() const { return port_; }

private:
   void serve() {
      while (true) {
         tcp::socket socket(ioc_);
         beast::error_code ec;
         acceptor_.accept(socket, ec);
         if (ec) {
            return;
         }
         beast::flat_buffer buffer;
         http::request<http::string_body> request;
         http::read(socket, buffer, request, ec);
         if (ec) {
            continue;
         }
         if (request.target() == "/quit") {
            return;
         }
         if (websocket::is_upgrade(request) && request.target() != "/refuse") {
            serve_websocket(std::move(socket), request);
            continue;
         }
         http::response<http::string_body> response{
             request.target() == "/refuse" ? http::status::forbidden : http::status::ok, 11};
         response.set(http::field::content_type, "text/plain");
         response.body() = "ok";
         response.prepare_payload();
         http::write(socket, response, ec);
      }
   }

   static void serve_websocket(tcp::socket socket,
                               const http::request<http::string_body>& request) {
      websocket::stream<tcp::socket> ws(std::move(socket));
      beast::error_code ec;
      ws.accept(request, ec);
      while (!ec) {
         beast::flat_buffer buffer;
         ws.read(buffer, ec);
         if (ec) {
            return;
         }
         const std::string text = beast::buffers_to_string(buffer.data());
         if (text == "close") {
            ws.close(websocket::close_reason(static_cast<websocket::close_code>(4001), "bye"), ec);
            // Let the close handshake finish.
            while (!ec) {
               ws.read(buffer, ec);
            }
            return;
         }
         if (text == "drop") {
            ws.next_layer().close(ec);
            return;
         }
         if (text == "burst") {
            for (int i = 0; i < 1000 && !ec; ++i) {
               ws.text(true);
               ws.write(net::buffer(std::to_string(i)), ec);
            }
            continue;
         }
         ws.text(ws.got_text());
         ws.write(buffer.data(), ec);
      }
   }

   net::io_context ioc_;
   tcp::acceptor acceptor_;
   std::uint16_t port_ = 0;
   std::thread thread_;
};

TEST(http_get, reads_status_body_and_content_type) {
   local_server server;
   const auto response = http_get(server.port(), "/healthz");
   EXPECT_EQ(response.status, 200);
   EXPECT_EQ(response.body, "ok");
   EXPECT_EQ(response.content_type, "text/plain");
}

TEST(http_get, reports_status_0_when_nothing_listens) {
   const auto response = http_get(notify::test::free_loopback_port(), "/", 2s);
   EXPECT_EQ(response.status, 0);
   EXPECT_FALSE(response.body.empty());
}

TEST(http_get, gives_up_at_its_deadline_when_the_server_never_answers) {
   net::io_context ioc;
   tcp::acceptor silent(ioc, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), 0));
   const auto start = std::chrono::steady_clock::now();
   const auto response = http_get(silent.local_endpoint().port(), "/", 300ms);
   EXPECT_EQ(response.status, 0);
   EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(ws_client, echoes_in_order_and_survives_read_timeouts) {
   local_server server;
   ws_client client;
   ASSERT_TRUE(client.connect("127.0.0.1", server.port(), "/ws?token=x")) << client.last_error();
   EXPECT_EQ(client.handshake_status(), 101);

   const auto start = std::chrono::steady_clock::now();
   EXPECT_EQ(client.read_message(200ms), std::nullopt);
   EXPECT_GE(std::chrono::steady_clock::now() - start, 190ms);
   EXPECT_TRUE(client.is_open());

   ASSERT_TRUE(client.send_text("one"));
   ASSERT_TRUE(client.send_text("two"));
   EXPECT_EQ(client.read_message(), "one");
   EXPECT_TRUE(client.last_message_was_text());
   EXPECT_EQ(client.read_message(), "two");
   ASSERT_TRUE(client.send_binary("bin"));
   EXPECT_EQ(client.read_message(), "bin");
   EXPECT_FALSE(client.last_message_was_text());
   EXPECT_TRUE(client.ping());
}

TEST(ws_client, receives_a_burst_complete_and_in_order) {
   local_server server;
   ws_client client;
   ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
   ASSERT_TRUE(client.send_text("burst"));
   for (int i = 0; i < 1000; ++i) {
      ASSERT_EQ(client.read_message(), std::to_string(i));
   }
}

TEST(ws_client, reports_the_servers_close_code_and_reason) {
   local_server server;
   ws_client client;
   ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
   ASSERT_TRUE(client.send_text("close"));
   const auto closed = client.expect_close();
   EXPECT_EQ(closed.code, 4001);
   EXPECT_EQ(closed.reason, "bye");
   EXPECT_FALSE(client.is_open());
   EXPECT_EQ(client.read_message(50ms), std::nullopt);
}

TEST(ws_client, reports_1006_when_the_connection_just_ends) {
   local_server server;
   ws_client client;
   ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
   ASSERT_TRUE(client.send_text("drop"));
   EXPECT_EQ(client.expect_close().code, 1006);
}

TEST(ws_client, expect_close_times_out_with_code_0) {
   local_server server;
   ws_client client;
   ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
   EXPECT_EQ(client.expect_close(100ms).code, 0);
   EXPECT_TRUE(client.close());
}

TEST(ws_client, tells_the_status_of_a_refused_upgrade) {
   local_server server;
   ws_client client;
   EXPECT_FALSE(client.connect("127.0.0.1", server.port(), "/refuse"));
   EXPECT_EQ(client.handshake_status(), 403);
   EXPECT_EQ(notify::test::http_upgrade(server.port(), "/refuse").status, 403);
   EXPECT_EQ(notify::test::http_upgrade(server.port(), "/ws").status, 101);
}

TEST(ws_client, connect_gives_up_at_its_deadline) {
   net::io_context ioc;
   tcp::acceptor silent(ioc, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), 0));
   ws_client client;
   const auto start = std::chrono::steady_clock::now();
   EXPECT_FALSE(client.connect("127.0.0.1", silent.local_endpoint().port(), "/ws", {}, 300ms));
   EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
   EXPECT_FALSE(client.is_open());
}

TEST(free_loopback_port, never_repeats) {
   std::set<std::uint16_t> ports;
   for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE(ports.insert(notify::test::free_loopback_port()).second);
   }
}

} // namespace
