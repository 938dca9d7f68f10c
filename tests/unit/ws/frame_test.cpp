#include "notify/common/user_id.hpp"
#include "notify/ws/frame.hpp"

#include <cstdint>
#include <gtest/gtest.h>
#include <string>
#include <string_view>

namespace notify::ws {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

constexpr std::size_t generous_limit = 1 << 20;
constexpr std::uint8_t test_mask[4] = {0x37, 0xFA, 0x21, 0x3D};

/// What a browser sends: one masked frame. `first_byte` holds FIN, RSV and the opcode, so tests
/// can build any header; `length_override` writes a 64-bit length that differs from the payload.
struct client_frame {
   std::uint8_t first_byte = 0x81;
   std::string payload;
   bool masked = true;

   std::string bytes() const { return encode(payload.size()); }

   std::string encode(std::uint64_t declared_length) const {
      std::string out(1, static_cast<char>(first_byte));
      std::uint8_t const mask_bit = masked ? 0x80 : 0x00;
      if (declared_length < 126) {
         out.push_back(static_cast<char>(mask_bit | declared_length));
      } else if (declared_length <= 0xFFFF) {
         out.push_back(static_cast<char>(mask_bit | 126));
         out.push_back(static_cast<char>(declared_length >> 8));
         out.push_back(static_cast<char>(declared_length & 0xFF));
      } else {
         out.push_back(static_cast<char>(mask_bit | 127));
         for (int shift = 56; shift >= 0; shift -= 8) {
            out.push_back(static_cast<char>((declared_length >> shift) & 0xFF));
         }
      }
      if (masked) {
         out.append(reinterpret_cast<const char*>(test_mask), 4);
      }
      for (std::size_t i = 0; i < payload.size(); ++i) {
         out.push_back(static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^
                                         (masked ? test_mask[i % 4] : 0)));
      }
      return out;
   }
};

client_frame text(std::string payload) {
   return client_frame{0x81, std::move(payload)};
}

client_frame with_first_byte(std::uint8_t first_byte, std::string payload = "") {
   return client_frame{first_byte, std::move(payload)};
}

parse_status parse(std::string_view bytes, std::size_t limit = generous_limit) {
   frame_view frame;
   return parse_client_frame(bytes, limit, frame);
}

/// Parses a complete frame and returns its unmasked payload.
std::string parse_payload(const std::string& bytes, frame_view& frame) {
   EXPECT_EQ(parse_client_frame(bytes, generous_limit, frame), parse_status::complete);
   EXPECT_EQ(frame.total_bytes(), bytes.size());
   std::string payload = bytes.substr(frame.header_bytes, frame.payload_bytes);
   unmask(payload.data(), payload.size(), frame.mask);
   return payload;
}

std::string expected_header(std::uint8_t first_byte, std::size_t length) {
   std::string header(1, static_cast<char>(first_byte));
   if (length < 126) {
      header.push_back(static_cast<char>(length));
   } else if (length <= 0xFFFF) {
      header += "\x7E"sv;
      header.push_back(static_cast<char>(length >> 8));
      header.push_back(static_cast<char>(length & 0xFF));
   } else {
      header += "\x7F"sv;
      for (int shift = 56; shift >= 0; shift -= 8) {
         header.push_back(static_cast<char>((static_cast<std::uint64_t>(length) >> shift) & 0xFF));
      }
   }
   return header;
}

// ---- frames we send

TEST(make_frame, writes_an_unmasked_final_frame_at_every_length_class) {
   for (std::size_t const length : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 100000u}) {
      SCOPED_TRACE(length);
      std::string const payload(length, 'p');
      auto const frame = make_frame(opcode::text, payload);
      auto const header = expected_header(0x81, length);
      ASSERT_EQ(frame->size(), header.size() + length);
      EXPECT_EQ(frame->substr(0, header.size()), header);
      EXPECT_EQ(frame->substr(header.size()), payload);
      EXPECT_EQ(static_cast<std::uint8_t>((*frame)[1]) & 0x80, 0) << "server frames are unmasked";
   }
}

TEST(make_frame, uses_the_given_opcode) {
   EXPECT_EQ(*make_frame(opcode::binary, "ab"), "\x82\x02"
                                                "ab"sv);
   EXPECT_EQ(*make_frame(opcode::ping, ""), "\x89\x00"sv);
   EXPECT_EQ(*make_frame(opcode::pong, "x"), "\x8A\x01x"sv);
}

TEST(append_frame_header, appends_to_existing_bytes) {
   std::string out = "prefix";
   append_frame_header(out, opcode::text, 300);
   EXPECT_EQ(out, "prefix\x81\x7E\x01\x2C"sv);
}

// ---- frames we receive

TEST(parse_client_frame, reads_a_small_masked_text_frame) {
   auto const bytes = text("Hello").bytes();
   frame_view frame;
   EXPECT_EQ(parse_payload(bytes, frame), "Hello");
   EXPECT_TRUE(frame.fin);
   EXPECT_EQ(frame.op, opcode::text);
   EXPECT_EQ(frame.header_bytes, 6u);
   EXPECT_EQ(frame.payload_bytes, 5u);
   EXPECT_EQ(frame.mask[0], test_mask[0]);
   EXPECT_EQ(frame.mask[3], test_mask[3]);
}

TEST(parse_client_frame, reads_the_rfc_example) {
   // RFC 6455 section 5.7: a masked "Hello".
   auto const bytes = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"s;
   frame_view frame;
   EXPECT_EQ(parse_payload(bytes, frame), "Hello");
}

TEST(parse_client_frame, reads_empty_payload) {
   frame_view frame;
   EXPECT_EQ(parse_payload(text("").bytes(), frame), "");
   EXPECT_EQ(frame.header_bytes, 6u);
}

TEST(parse_client_frame, reads_16_and_64_bit_lengths) {
   for (std::size_t const length : {125u, 126u, 65535u, 65536u, 70000u}) {
      SCOPED_TRACE(length);
      std::string payload(length, '\0');
      for (std::size_t i = 0; i < length; ++i) {
         payload[i] = static_cast<char>('a' + i % 26);
      }
      frame_view frame;
      EXPECT_EQ(parse_payload(text(payload).bytes(), frame), payload);
      std::size_t const expected_header = length < 126 ? 6 : length <= 0xFFFF ? 8 : 14;
      EXPECT_EQ(frame.header_bytes, expected_header);
      EXPECT_EQ(frame.payload_bytes, length);
   }
}

TEST(parse_client_frame, needs_more_at_every_split_point) {
   for (std::size_t const length : {3u, 200u, 65540u}) {
      SCOPED_TRACE(length);
      auto const bytes = text(std::string(length, 'z')).bytes();
      for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
         ASSERT_EQ(parse(std::string_view(bytes).substr(0, cut)), parse_status::need_more)
             << "cut at " << cut;
      }
      EXPECT_EQ(parse(bytes), parse_status::complete);
   }
}

TEST(parse_client_frame, ignores_bytes_after_the_frame) {
   auto const first = text("one").bytes();
   auto const both = first + text("two").bytes();
   frame_view frame;
   EXPECT_EQ(parse_client_frame(both, generous_limit, frame), parse_status::complete);
   EXPECT_EQ(frame.total_bytes(), first.size());
}

TEST(parse_client_frame, decides_too_big_from_the_header_alone) {
   client_frame const big = text(std::string(1000, 'x'));
   auto const bytes = big.bytes();
   // Only the 4 header bytes: no mask, no payload yet.
   EXPECT_EQ(parse(std::string_view(bytes).substr(0, 4), 999), parse_status::too_big);
   EXPECT_EQ(parse(std::string_view(bytes).substr(0, 4), 1000), parse_status::need_more);
   EXPECT_EQ(parse(bytes, 1000), parse_status::complete);

   auto const huge_header = client_frame{0x82, ""}.encode(1ull << 40);
   EXPECT_EQ(parse(std::string_view(huge_header).substr(0, 10), generous_limit),
             parse_status::too_big);
   auto const small = text(std::string(10, 'x')).bytes();
   EXPECT_EQ(parse(std::string_view(small).substr(0, 2), 9), parse_status::too_big);
}

TEST(parse_client_frame, rejects_unmasked_frames) {
   client_frame unmasked = text("hi");
   unmasked.masked = false;
   EXPECT_EQ(parse(unmasked.bytes()), parse_status::protocol_error);
   EXPECT_EQ(parse(std::string_view(unmasked.bytes()).substr(0, 2)), parse_status::protocol_error);
}

TEST(parse_client_frame, rejects_reserved_bits) {
   for (std::uint8_t const rsv : {0x40, 0x20, 0x10, 0x70}) {
      EXPECT_EQ(parse(with_first_byte(static_cast<std::uint8_t>(0x81 | rsv), "x").bytes()),
                parse_status::protocol_error)
          << int(rsv);
   }
}

TEST(parse_client_frame, rejects_unknown_opcodes) {
   for (std::uint8_t op = 0x3; op <= 0xF; ++op) {
      if (op >= 0x8 && op <= 0xA) {
         continue;
      }
      EXPECT_EQ(parse(with_first_byte(static_cast<std::uint8_t>(0x80 | op)).bytes()),
                parse_status::protocol_error)
          << "opcode " << int(op);
   }
}

TEST(parse_client_frame, accepts_every_known_opcode) {
   for (std::uint8_t const op : {0x0, 0x1, 0x2, 0x8, 0x9, 0xA}) {
      frame_view frame;
      auto const bytes = with_first_byte(static_cast<std::uint8_t>(0x80 | op), "ab").bytes();
      EXPECT_EQ(parse_client_frame(bytes, generous_limit, frame), parse_status::complete)
          << int(op);
      EXPECT_EQ(static_cast<std::uint8_t>(frame.op), op);
   }
}

TEST(parse_client_frame, reads_non_final_data_frames) {
   frame_view frame;
   auto const bytes = with_first_byte(0x01, "part").bytes();
   EXPECT_EQ(parse_client_frame(bytes, generous_limit, frame), parse_status::complete);
   EXPECT_FALSE(frame.fin);
   EXPECT_EQ(frame.op, opcode::text);
}

TEST(parse_client_frame, rejects_fragmented_control_frames) {
   for (std::uint8_t const op : {0x8, 0x9, 0xA}) {
      EXPECT_EQ(parse(with_first_byte(op, "x").bytes()), parse_status::protocol_error) << int(op);
   }
}

TEST(parse_client_frame, limits_control_payload_to_125_bytes) {
   for (std::uint8_t const first : {0x88, 0x89, 0x8A}) {
      SCOPED_TRACE(int(first));
      EXPECT_EQ(parse(with_first_byte(first, std::string(125, 'c')).bytes()),
                parse_status::complete);
      EXPECT_EQ(parse(with_first_byte(first, std::string(126, 'c')).bytes()),
                parse_status::protocol_error);
      auto const long_ping = with_first_byte(first, "").encode(70000);
      EXPECT_EQ(parse(std::string_view(long_ping).substr(0, 10)), parse_status::protocol_error);
   }
}

TEST(parse_client_frame, control_payload_limit_wins_over_size_limit) {
   // A 126-byte ping is a protocol error even when the data limit is smaller.
   EXPECT_EQ(parse(with_first_byte(0x89, std::string(126, 'c')).bytes(), 10),
             parse_status::protocol_error);
}

TEST(parse_client_frame, rejects_64_bit_length_with_top_bit_set) {
   auto const bytes = client_frame{0x82, ""}.encode(0x8000000000000000ull);
   EXPECT_EQ(parse(bytes, static_cast<std::size_t>(-1)), parse_status::protocol_error);
   auto const all_ones = client_frame{0x82, ""}.encode(~0ull);
   EXPECT_EQ(parse(all_ones, static_cast<std::size_t>(-1)), parse_status::protocol_error);
}

TEST(parse_client_frame, never_reads_past_a_short_buffer) {
   // Every byte value in every header position must give an answer without crashing.
   for (int b0 = 0; b0 < 256; ++b0) {
      for (int b1 = 0; b1 < 256; ++b1) {
         std::string const bytes{static_cast<char>(b0), static_cast<char>(b1)};
         frame_view frame;
         auto const status = parse_client_frame(bytes, 1000, frame);
         EXPECT_NE(status, parse_status::complete) << b0 << " " << b1;
      }
   }
}

TEST(unmask, round_trips) {
   std::string const original = "The quick brown fox \xF0\x9F\xA6\x8A jumps\0over"s;
   std::string data = original;
   unmask(data.data(), data.size(), test_mask);
   EXPECT_NE(data, original);
   for (std::size_t i = 0; i < data.size(); ++i) {
      ASSERT_EQ(static_cast<std::uint8_t>(data[i]),
                static_cast<std::uint8_t>(original[i]) ^ test_mask[i % 4]);
   }
   unmask(data.data(), data.size(), test_mask);
   EXPECT_EQ(data, original);
   unmask(data.data(), 0, test_mask);
   EXPECT_EQ(data, original);
}

// ---- close frames

std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
   std::string out{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
   out.append(reason);
   return out;
}

TEST(parse_close_payload, empty_means_no_status) {
   std::uint16_t code = 0;
   std::string_view reason = "stale";
   EXPECT_TRUE(parse_close_payload("", code, reason));
   EXPECT_EQ(code, 1005);
   EXPECT_TRUE(reason.empty());
}

TEST(parse_close_payload, rejects_a_single_byte) {
   std::uint16_t code = 0;
   std::string_view reason;
   EXPECT_FALSE(parse_close_payload("\x03"sv, code, reason));
}

TEST(parse_close_payload, reads_code_and_reason) {
   std::uint16_t code = 0;
   std::string_view reason;
   auto const payload = close_payload(1000, "bye \xC3\xA9");
   EXPECT_TRUE(parse_close_payload(payload, code, reason));
   EXPECT_EQ(code, 1000);
   EXPECT_EQ(reason, "bye \xC3\xA9");
}

TEST(parse_close_payload, accepts_sendable_codes) {
   for (std::uint16_t const sendable :
        {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4001, 4999}) {
      std::uint16_t code = 0;
      std::string_view reason;
      EXPECT_TRUE(parse_close_payload(close_payload(sendable), code, reason)) << sendable;
      EXPECT_EQ(code, sendable);
   }
}

TEST(parse_close_payload, rejects_codes_that_may_not_be_sent) {
   for (std::uint16_t const forbidden :
        {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
      std::uint16_t code = 0;
      std::string_view reason;
      EXPECT_FALSE(parse_close_payload(close_payload(forbidden), code, reason)) << forbidden;
   }
}

TEST(parse_close_payload, rejects_a_reason_that_is_not_utf8) {
   for (auto const bad : {"\xFF"sv, "ok\xC3"sv, "\xED\xA0\x80"sv, "\xC0\x80"sv}) {
      std::uint16_t code = 0;
      std::string_view reason;
      EXPECT_FALSE(parse_close_payload(close_payload(1000, bad), code, reason));
   }
}

TEST(make_close_frame, writes_code_and_reason) {
   auto const frame = make_close_frame(4001, "auth failed");
   EXPECT_EQ(*frame, "\x88\x0D\x0F\xA1"
                     "auth failed"sv);
}

TEST(make_close_frame, keeps_a_reason_that_fits) {
   std::string const reason(123, 'r');
   auto const frame = make_close_frame(1000, reason);
   ASSERT_EQ(frame->size(), 2u + 125u);
   EXPECT_EQ(frame->substr(4), reason);
}

TEST(make_close_frame, truncates_a_long_multibyte_reason_on_a_utf8_boundary) {
   // 3-byte characters: 123 bytes would end exactly on a boundary, so offset by one ASCII byte
   // to make the cut fall inside a character; also try 2- and 4-byte characters.
   for (auto const character : {"\xE2\x82\xAC"sv, "\xC3\xA9"sv, "\xF0\x9F\x98\x80"sv}) {
      for (std::string_view const lead : {""sv, "a"sv, "ab"sv, "abc"sv}) {
         std::string reason(lead);
         while (reason.size() < 400) {
            reason.append(character);
         }
         auto const frame = make_close_frame(1001, reason);
         ASSERT_GE(frame->size(), 4u);
         std::size_t const payload_bytes = static_cast<std::uint8_t>((*frame)[1]);
         ASSERT_LE(payload_bytes, 125u);
         ASSERT_EQ(frame->size(), 2 + payload_bytes);
         auto const sent_reason = std::string_view(*frame).substr(4);
         EXPECT_TRUE(valid_utf8(sent_reason));
         EXPECT_EQ(reason.substr(0, sent_reason.size()), sent_reason) << "a prefix of the reason";
         EXPECT_GT(sent_reason.size() + character.size(), 123u) << "cut no more than needed";

         std::uint16_t code = 0;
         std::string_view parsed_reason;
         EXPECT_TRUE(parse_close_payload(std::string_view(*frame).substr(2), code, parsed_reason));
         EXPECT_EQ(code, 1001);
      }
   }
}

} // namespace
} // namespace notify::ws
