#pragma once

// RFC 6455 framing for the server side: frames we send are unmasked and built once (header and
// payload in one immutable buffer shared by every recipient); frames we receive must be masked.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace notify::ws {

enum class opcode : std::uint8_t {
   continuation = 0x0,
   text = 0x1,
   binary = 0x2,
   close = 0x8,
   ping = 0x9,
   pong = 0xA,
};

/// RFC 6455 close codes the gateway sends; its own codes (4001..) are in
/// notify/server/close_codes.hpp.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
/// Never sent: what a close frame without a code stands for.
inline constexpr std::uint16_t no_status = 1005;
} // namespace close_code

/// Whether a peer may put `code` in a close frame (RFC 6455 section 7.4).
bool is_valid_close_code(std::uint16_t code);

using shared_frame = std::shared_ptr<const std::string>;

/// Appends the header of one unmasked, final frame of `payload_bytes` bytes.
void append_frame_header(std::string& out, opcode op, std::size_t payload_bytes);

/// One complete unmasked frame (header + payload) in one buffer.
shared_frame make_frame(opcode op, std::string_view payload);

/// A close frame; the reason is cut to fit the 125-byte control frame limit on a UTF-8 boundary.
shared_frame make_close_frame(std::uint16_t code, std::string_view reason);

/// Where one client frame sits in a buffer, once its header is complete.
struct frame_view {
   bool fin = false;
   opcode op = opcode::text;
   std::size_t header_bytes = 0;
   std::size_t payload_bytes = 0;
   std::uint8_t mask[4] = {0, 0, 0, 0};
   std::size_t total_bytes() const { return header_bytes + payload_bytes; }
};

enum class parse_status {
   complete,       ///< a whole frame is in the buffer
   need_more,      ///< wait for more bytes
   protocol_error, ///< bad header: reserved bits, unknown opcode, unmasked, bad control frame
   too_big,        ///< payload longer than the limit
};

/// Reads the header of the client frame at the start of `bytes`. A data frame over
/// `max_payload_bytes` (less `continued_bytes`, the message so far, for a continuation frame) is
/// refused as soon as its length is known, before any of it is buffered. Control frames have
/// their own 125-byte limit.
parse_status parse_client_frame(std::string_view bytes, std::size_t max_payload_bytes,
                                frame_view& frame, std::size_t continued_bytes = 0);

/// Unmasks a client payload in place.
void unmask(char* payload, std::size_t bytes, const std::uint8_t (&mask)[4]);

/// Close frame payload: code (or 1005 "no status" when empty), reason. False when malformed
/// (one byte, a code that may not be sent, or a reason that is not UTF-8).
bool parse_close_payload(std::string_view payload, std::uint16_t& code, std::string_view& reason);

} // namespace notify::ws
