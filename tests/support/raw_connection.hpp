#pragma once

// A byte-level TCP client for tests that must misbehave on purpose: send nothing, trickle a
// request, forge WebSocket frames, flood without reading, or connect from another loopback
// address (127.0.0.2) to show that per-address rules leave other addresses alone. Every call
// has a deadline.

#include "support/http_get.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notify::test {

/// One frame from the server (unmasked).
struct server_frame {
   std::uint8_t opcode = 0;
   std::string payload;
   std::uint8_t first_byte = 0; ///< FIN, RSV bits and opcode as sent
};

class raw_connection {
public:
   /// Connects to 127.0.0.1:port from `source_address` (any 127.0.0.0/8 address). Throws
   /// std::runtime_error when it cannot.
   explicit raw_connection(std::uint16_t port, const std::string& source_address = "127.0.0.1",
                           int receive_buffer_bytes = 0);
   ~raw_connection();
   raw_connection(const raw_connection&) = delete;
   raw_connection& operator=(const raw_connection&) = delete;

   /// Sends all of `bytes` within `timeout`; false when the peer is gone or it took too long.
   bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(5));
   /// Sends as much of `bytes` as the socket takes right now; returns how much.
   std::size_t send_without_waiting(std::string_view bytes);
   /// Reads until `marker` has arrived (returns everything read so far, marker included), the
   /// peer closes or `timeout` passes (then returns what arrived, without the marker).
   std::string read_until(std::string_view marker, std::chrono::milliseconds timeout);
   /// Reads until the peer closes (true) or `timeout` passes (false); keeps what arrived.
   bool wait_closed(std::chrono::milliseconds timeout);
   /// The next whole server frame (which must start received()), or nullopt when none arrived
   /// within `timeout` or the peer closed first.
   std::optional<server_frame> read_frame(std::chrono::milliseconds timeout);
   /// Everything received so far and not yet returned by read_until or read_frame.
   const std::string& received() const { return received_; }
   bool closed() const { return closed_; }

private:
   /// Reads what is there, waiting at most until `deadline`; false when nothing more can come.
   bool read_once(std::chrono::steady_clock::time_point deadline);

   int fd_ = -1;
   std::string received_;
   bool closed_ = false;
};

/// A client-to-server WebSocket frame (masked, as RFC 6455 requires of clients).
std::string masked_frame(std::uint8_t opcode, std::string_view payload, bool fin = true);
/// The same with the whole first byte given (FIN, RSV bits, opcode), to forge any header.
std::string masked_frame_with_first_byte(std::uint8_t first_byte, std::string_view payload);

/// A WebSocket upgrade request for `target` on 127.0.0.1.
std::string upgrade_request(const std::string& target, const header_list& extra_headers = {});

/// The complete server frames at the start of `bytes` (which must begin at a frame boundary);
/// stops at an incomplete one.
std::vector<server_frame> parse_server_frames(std::string_view bytes);

/// The close code of the first close frame among `frames`, if any.
std::optional<std::uint16_t> close_code_of(const std::vector<server_frame>& frames);

} // namespace notify::test
