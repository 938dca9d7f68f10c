#pragma once

// RFC 6455 framing for the client side: frames we send are masked, frames we receive must not be.
// Parsing works in place on whatever buffer the bytes were read into.

#include "notify/ws/frame.hpp" // ws::opcode, shared with the gateway

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace notify::bench {

/// Where one server frame sits in a buffer.
struct server_frame {
   bool fin = false;
   ws::opcode opcode = ws::opcode::continuation;
   std::size_t header_bytes = 0;
   std::size_t payload_bytes = 0;
   std::size_t total_bytes() const { return header_bytes + payload_bytes; }
};

enum class frame_status {
   complete,       ///< header and payload are all in the buffer
   need_more,      ///< wait for more bytes
   protocol_error, ///< masked, reserved bits, unknown opcode, bad control frame, bad length
   too_big,        ///< payload longer than the limit
};

/// Reads the frame at the start of `bytes`.
frame_status parse_server_frame(std::string_view bytes, std::size_t max_payload_bytes,
                                server_frame& frame);

/// Appends one final, masked frame with the given masking key.
void append_client_frame(std::string& out, ws::opcode opcode, std::string_view payload,
                         std::uint32_t mask_key);

} // namespace notify::bench
