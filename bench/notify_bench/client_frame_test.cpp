#include "client_frame.hpp"

#include <gtest/gtest.h>
#include <string>

namespace notify::bench {
namespace {

std::string server_frame_bytes(std::uint8_t first, std::string_view payload) {
   std::string out(1, static_cast<char>(first));
   if (payload.size() < 126) {
      out.push_back(static_cast<char>(payload.size()));
   } else if (payload.size() <= 0xFFFF) {
      out.push_back(static_cast<char>(126));
      out.push_back(static_cast<char>(payload.size() >> 8));
      out.push_back(static_cast<char>(payload.size() & 0xFF));
   } else {
      out.push_back(static_cast<char>(127));
      for (int shift = 56; shift >= 0; shift -= 8) {
         out.push_back(static_cast<char>((payload.size() >> shift) & 0xFF));
      }
   }
   return out.append(payload);
}

TEST(ClientFrame, ParsesAShortTextFrame) {
   std::string const bytes = server_frame_bytes(0x81, "hello");
   server_frame frame;
   ASSERT_EQ(parse_server_frame(bytes, 1024, frame), frame_status::complete);
   EXPECT_TRUE(frame.fin);
   EXPECT_EQ(frame.opcode, ws::opcode::text);
   EXPECT_EQ(frame.header_bytes, 2u);
   EXPECT_EQ(frame.payload_bytes, 5u);
   EXPECT_EQ(bytes.substr(frame.header_bytes, frame.payload_bytes), "hello");
}

TEST(ClientFrame, ParsesExtendedLengths) {
   std::string const medium(300, 'a');
   std::string const large(70000, 'b');
   server_frame frame;
   ASSERT_EQ(parse_server_frame(server_frame_bytes(0x81, medium), 1 << 20, frame),
             frame_status::complete);
   EXPECT_EQ(frame.header_bytes, 4u);
   EXPECT_EQ(frame.payload_bytes, 300u);
   ASSERT_EQ(parse_server_frame(server_frame_bytes(0x82, large), 1 << 20, frame),
             frame_status::complete);
   EXPECT_EQ(frame.header_bytes, 10u);
   EXPECT_EQ(frame.payload_bytes, 70000u);
}

TEST(ClientFrame, AsksForMoreUntilTheFrameIsWhole) {
   std::string const bytes = server_frame_bytes(0x81, std::string(300, 'x'));
   server_frame frame;
   for (std::size_t cut : {0u, 1u, 2u, 3u, 4u, 100u, 303u}) {
      EXPECT_EQ(parse_server_frame(std::string_view(bytes).substr(0, cut), 1024, frame),
                frame_status::need_more)
          << cut;
   }
   EXPECT_EQ(parse_server_frame(bytes, 1024, frame), frame_status::complete);
}

TEST(ClientFrame, RefusesWhatAServerMayNotSend) {
   server_frame frame;
   std::string masked = server_frame_bytes(0x81, "hi");
   masked[1] = static_cast<char>(masked[1] | 0x80);
   EXPECT_EQ(parse_server_frame(masked, 1024, frame), frame_status::protocol_error);
   EXPECT_EQ(parse_server_frame(server_frame_bytes(0xC1, "hi"), 1024, frame),
             frame_status::protocol_error); // RSV1
   EXPECT_EQ(parse_server_frame(server_frame_bytes(0x83, "hi"), 1024, frame),
             frame_status::protocol_error); // reserved opcode
   EXPECT_EQ(parse_server_frame(server_frame_bytes(0x09, "hi"), 1024, frame),
             frame_status::protocol_error); // fragmented ping
   EXPECT_EQ(parse_server_frame(server_frame_bytes(0x89, std::string(126, 'p')), 1024, frame),
             frame_status::protocol_error); // control frame over 125 bytes
   std::string const not_minimal = std::string("\x81\x7e\x00\x05", 4) + "hello";
   EXPECT_EQ(parse_server_frame(not_minimal, 1024, frame), frame_status::protocol_error);
   std::string const huge = std::string("\x81\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10);
   EXPECT_EQ(parse_server_frame(huge, 1024, frame), frame_status::protocol_error);
}

TEST(ClientFrame, RefusesPayloadsOverTheLimitBeforeTheyArrive) {
   std::string const header = server_frame_bytes(0x81, std::string(2000, 'x')).substr(0, 4);
   server_frame frame;
   EXPECT_EQ(parse_server_frame(header, 1000, frame), frame_status::too_big);
}

TEST(ClientFrame, ClientFramesAreMaskedAndUnmaskBack) {
   for (std::size_t size : {0u, 5u, 125u, 126u, 65535u, 65536u}) {
      std::string const payload(size, 'q');
      std::string out;
      append_client_frame(out, ws::opcode::text, payload, 0x01020304);
      auto const first = static_cast<std::uint8_t>(out[0]);
      auto const second = static_cast<std::uint8_t>(out[1]);
      EXPECT_EQ(first, 0x81);
      EXPECT_NE(second & 0x80, 0) << "mask bit";
      std::size_t header = size < 126 ? 2 : size <= 0xFFFF ? 4 : 10;
      ASSERT_EQ(out.size(), header + 4 + size);
      std::string const mask = out.substr(header, 4);
      EXPECT_EQ(mask, std::string("\x01\x02\x03\x04", 4));
      for (std::size_t i = 0; i < size; ++i) {
         ASSERT_EQ(static_cast<char>(out[header + 4 + i] ^ mask[i % 4]), 'q') << i;
      }
   }
}

} // namespace
} // namespace notify::bench
