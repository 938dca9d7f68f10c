#include "client_frame.hpp"

namespace notify::bench {

namespace {

constexpr std::uint8_t fin_bit = 0x80;
constexpr std::uint8_t reserved_bits = 0x70;
constexpr std::uint8_t opcode_bits = 0x0F;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::uint8_t length_bits = 0x7F;
constexpr std::size_t max_control_payload = 125;
constexpr std::uint8_t length_16 = 126;
constexpr std::uint8_t length_64 = 127;

constexpr std::uint8_t value_of(ws::opcode op) {
   return static_cast<std::uint8_t>(op);
}

bool known_opcode(std::uint8_t op) {
   return op <= value_of(ws::opcode::binary) ||
          (op >= value_of(ws::opcode::close) && op <= value_of(ws::opcode::pong));
}

bool control_opcode(ws::opcode op) {
   return value_of(op) >= value_of(ws::opcode::close);
}

std::uint8_t byte_at(std::string_view bytes, std::size_t i) {
   return static_cast<std::uint8_t>(bytes[i]);
}

} // namespace

frame_status parse_server_frame(std::string_view bytes, std::size_t max_payload_bytes,
                                server_frame& frame) {
   if (bytes.size() < 2) {
      return frame_status::need_more;
   }
   std::uint8_t const first = byte_at(bytes, 0);
   std::uint8_t const second = byte_at(bytes, 1);
   frame.fin = (first & fin_bit) != 0;
   std::uint8_t const op = first & opcode_bits;
   if ((first & reserved_bits) != 0 || (second & mask_bit) != 0 || !known_opcode(op)) {
      return frame_status::protocol_error;
   }
   frame.opcode = static_cast<ws::opcode>(op);
   std::uint64_t length = second & length_bits;
   std::size_t header = 2;
   if (length == length_16) {
      header = 4;
      if (bytes.size() < header) {
         return frame_status::need_more;
      }
      length = (std::uint64_t{byte_at(bytes, 2)} << 8) | byte_at(bytes, 3);
      if (length < length_16) {
         return frame_status::protocol_error; // not the minimal encoding
      }
   } else if (length == length_64) {
      header = 10;
      if (bytes.size() < header) {
         return frame_status::need_more;
      }
      length = 0;
      for (std::size_t i = 2; i < header; ++i) {
         length = (length << 8) | byte_at(bytes, i);
      }
      if ((length >> 63) != 0 || length <= 0xFFFF) {
         return frame_status::protocol_error;
      }
   }
   if (control_opcode(frame.opcode) && (!frame.fin || length > max_control_payload)) {
      return frame_status::protocol_error;
   }
   if (length > max_payload_bytes) {
      return frame_status::too_big;
   }
   frame.header_bytes = header;
   frame.payload_bytes = static_cast<std::size_t>(length);
   return bytes.size() - header < frame.payload_bytes ? frame_status::need_more
                                                      : frame_status::complete;
}

void append_client_frame(std::string& out, ws::opcode opcode, std::string_view payload,
                         std::uint32_t mask_key) {
   out.push_back(static_cast<char>(fin_bit | (value_of(opcode) & opcode_bits)));
   std::size_t const size = payload.size();
   if (size < length_16) {
      out.push_back(static_cast<char>(mask_bit | size));
   } else if (size <= 0xFFFF) {
      out.push_back(static_cast<char>(mask_bit | length_16));
      out.push_back(static_cast<char>(size >> 8));
      out.push_back(static_cast<char>(size & 0xFF));
   } else {
      out.push_back(static_cast<char>(mask_bit | length_64));
      for (int shift = 56; shift >= 0; shift -= 8) {
         out.push_back(static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xFF));
      }
   }
   char mask[4];
   for (int i = 0; i < 4; ++i) {
      mask[i] = static_cast<char>((mask_key >> (8 * (3 - i))) & 0xFF);
      out.push_back(mask[i]);
   }
   for (std::size_t i = 0; i < size; ++i) {
      out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
   }
}

} // namespace notify::bench
