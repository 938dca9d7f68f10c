#include "notify/ws/frame.hpp"

#include "notify/common/user_id.hpp"

#include <algorithm>
#include <cstring>

namespace notify::ws {

namespace {

constexpr std::size_t max_control_payload = 125;

bool is_known_opcode(std::uint8_t op) {
   return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

bool is_control(std::uint8_t op) {
   return (op & 0x8) != 0;
}

} // namespace

bool is_valid_close_code(std::uint16_t code) {
   if (code >= 3000 && code <= 4999) {
      return true;
   }
   return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

void append_frame_header(std::string& out, opcode op, std::size_t payload_bytes) {
   out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(op)));
   if (payload_bytes < 126) {
      out.push_back(static_cast<char>(payload_bytes));
   } else if (payload_bytes <= 0xFFFF) {
      out.push_back(static_cast<char>(126));
      out.push_back(static_cast<char>((payload_bytes >> 8) & 0xFF));
      out.push_back(static_cast<char>(payload_bytes & 0xFF));
   } else {
      out.push_back(static_cast<char>(127));
      for (int shift = 56; shift >= 0; shift -= 8) {
         out.push_back(
             static_cast<char>((static_cast<std::uint64_t>(payload_bytes) >> shift) & 0xFF));
      }
   }
}

shared_frame make_frame(opcode op, std::string_view payload) {
   std::string frame;
   frame.reserve(payload.size() + 10);
   append_frame_header(frame, op, payload.size());
   frame.append(payload);
   return std::make_shared<const std::string>(std::move(frame));
}

shared_frame make_close_frame(std::uint16_t code, std::string_view reason) {
   if (reason.size() > max_control_payload - 2) {
      reason = reason.substr(0, max_control_payload - 2);
      while (!reason.empty() && !valid_utf8(reason)) {
         reason.remove_suffix(1);
      }
   }
   std::string payload;
   payload.push_back(static_cast<char>(code >> 8));
   payload.push_back(static_cast<char>(code & 0xFF));
   payload.append(reason);
   return make_frame(opcode::close, payload);
}

parse_status parse_client_frame(std::string_view bytes, std::size_t max_payload_bytes,
                                frame_view& frame, std::size_t continued_bytes) {
   if (bytes.size() < 2) {
      return parse_status::need_more;
   }
   auto const b0 = static_cast<std::uint8_t>(bytes[0]);
   auto const b1 = static_cast<std::uint8_t>(bytes[1]);
   std::uint8_t const op = b0 & 0x0F;
   bool const fin = (b0 & 0x80) != 0;
   // No extension is negotiated, so reserved bits must be clear; clients must mask.
   if ((b0 & 0x70) != 0 || !is_known_opcode(op) || (b1 & 0x80) == 0) {
      return parse_status::protocol_error;
   }
   std::uint64_t length = b1 & 0x7F;
   std::size_t header = 2;
   if (length == 126) {
      if (bytes.size() < 4) {
         return parse_status::need_more;
      }
      length = (static_cast<std::uint64_t>(static_cast<std::uint8_t>(bytes[2])) << 8) |
               static_cast<std::uint8_t>(bytes[3]);
      header = 4;
   } else if (length == 127) {
      if (bytes.size() < 10) {
         return parse_status::need_more;
      }
      length = 0;
      for (std::size_t i = 2; i < 10; ++i) {
         length = (length << 8) | static_cast<std::uint8_t>(bytes[i]);
      }
      if ((length >> 63) != 0) {
         return parse_status::protocol_error;
      }
      header = 10;
   }
   if (is_control(op)) {
      if (!fin || length > max_control_payload) {
         return parse_status::protocol_error;
      }
   } else {
      auto const used = op == 0x0 ? std::min(continued_bytes, max_payload_bytes) : 0;
      if (length > max_payload_bytes - used) {
         return parse_status::too_big;
      }
   }
   if (bytes.size() < header + 4) {
      return parse_status::need_more;
   }
   std::memcpy(frame.mask, bytes.data() + header, 4);
   frame.fin = fin;
   frame.op = static_cast<opcode>(op);
   frame.header_bytes = header + 4;
   frame.payload_bytes = static_cast<std::size_t>(length);
   return bytes.size() < frame.total_bytes() ? parse_status::need_more : parse_status::complete;
}

void unmask(char* payload, std::size_t bytes, const std::uint8_t (&mask)[4]) {
   for (std::size_t i = 0; i < bytes; ++i) {
      payload[i] = static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ mask[i & 3]);
   }
}

bool parse_close_payload(std::string_view payload, std::uint16_t& code, std::string_view& reason) {
   if (payload.empty()) {
      code = close_code::no_status;
      reason = {};
      return true;
   }
   if (payload.size() < 2) {
      return false;
   }
   code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                     static_cast<std::uint8_t>(payload[1]));
   reason = payload.substr(2);
   return is_valid_close_code(code) && valid_utf8(reason);
}

} // namespace notify::ws
