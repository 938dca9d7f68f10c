#pragma once

// A synchronous WebSocket client for integration tests (Boost.Beast, client role). Every call
// has a deadline, so a test can fail but never hang. Reading runs in the background of every
// call: whatever the server sends meanwhile is kept, in order, for read_message().

#include "support/http_get.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace notify::test {

/// The close frame the server sent. code 1006 (with the error as reason) when the connection
/// ended without one; code 0 when nothing ended within the deadline.
struct close_result {
   std::uint16_t code = 0;
   std::string reason;
};

/// Not movable: pending operations refer to the object. Hold several in a std::deque or in
/// std::unique_ptr.
class ws_client {
public:
   ws_client();
   ~ws_client();
   ws_client(const ws_client&) = delete;
   ws_client& operator=(const ws_client&) = delete;

   /// Connects to host:port and performs the WebSocket handshake for `target` (e.g.
   /// "/ws?token=..."), adding `extra_headers` (e.g. {{"Authorization", "Bearer ..."}}).
   /// False on failure, with last_error() and, for a refused upgrade, handshake_status().
   bool connect(const std::string& host, std::uint16_t port, const std::string& target = "/ws",
                const header_list& extra_headers = {},
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

   /// Sends one text (or binary) message. False, and the connection dropped, on error or timeout.
   bool send_text(std::string_view text,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5));
   bool send_binary(std::string_view data,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

   /// The next message from the server; nullopt when none arrived within `timeout` or the
   /// connection has ended (then last_close() tells how).
   std::optional<std::string>
   read_message(std::chrono::milliseconds timeout = std::chrono::seconds(5));
   /// Whether the message last returned by read_message() came in a text (not binary) message.
   bool last_message_was_text() const { return last_was_text_; }
   /// Messages already received and not yet read.
   std::size_t buffered_messages() const { return inbox_.size(); }

   /// Waits until the server ends the connection and returns its close frame (1006 on an abrupt
   /// end, 0 on timeout). Messages that arrive meanwhile stay readable.
   close_result expect_close(std::chrono::milliseconds timeout = std::chrono::seconds(5));
   /// How the connection ended so far (code 0 while it is open).
   const close_result& last_close() const { return close_; }

   /// Starts the close handshake from our side and waits for it to finish.
   bool close(std::uint16_t code = 1000,
              std::chrono::milliseconds timeout = std::chrono::seconds(5));

   /// Sends a WebSocket ping and waits for the pong.
   bool ping(std::chrono::milliseconds timeout = std::chrono::seconds(5));
   /// WebSocket-level pings the server has sent us (Beast answers them automatically).
   std::size_t pings_received() const { return pings_received_; }

   bool is_open() const { return open_; }
   /// HTTP status of the last handshake: 101 on success, the refusal's status otherwise, 0 when
   /// no response arrived.
   int handshake_status() const { return handshake_status_; }
   const std::string& last_error() const { return last_error_; }

private:
   using clock = std::chrono::steady_clock;
   struct message {
      std::string data;
      bool text = true;
   };

   template <class Done> bool run_until(clock::time_point deadline, Done done);
   void start_read();
   void on_read(boost::system::error_code ec);
   void record_end(boost::system::error_code ec);
   /// Closes the socket at once and runs handlers until our read and `finished` are done.
   void abort_connection(const std::string& why, const std::function<bool()>& finished = {});
   bool write(std::string_view data, bool text, std::chrono::milliseconds timeout);

   boost::asio::io_context ioc_;
   boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
   boost::beast::flat_buffer read_buffer_;
   boost::beast::websocket::response_type handshake_response_;
   std::deque<message> inbox_;
   close_result close_;
   std::string last_error_;
   int handshake_status_ = 0;
   std::size_t pings_received_ = 0;
   std::size_t pongs_received_ = 0;
   bool connect_called_ = false;
   bool open_ = false;
   bool reading_ = false;
   bool last_was_text_ = true;
};

/// Sends a WebSocket upgrade request for `target` as a raw HTTP request and returns the HTTP
/// response (101 when the server accepts), for checks on refused handshakes. Never throws.
http_response http_upgrade(std::uint16_t port, const std::string& target,
                           const header_list& extra_headers = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));

} // namespace notify::test
