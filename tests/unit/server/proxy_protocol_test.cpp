#include "notify/server/proxy_protocol.hpp"

#include <gtest/gtest.h>
#include <string>

namespace notify::server {
namespace {

using status = proxy_header::status;

std::string v2(std::uint8_t command, std::uint8_t family, std::string payload) {
   std::string header("\r\n\r\n\0\r\nQUIT\n", 12);
   header += static_cast<char>(0x20 | command);
   header += static_cast<char>(family);
   header += static_cast<char>(payload.size() >> 8);
   header += static_cast<char>(payload.size() & 0xFF);
   return header + payload;
}

std::string v2_tcp4() {
   // 203.0.113.7:4711 -> 10.0.0.1:443
   return v2(1, 0x11, std::string("\xCB\x00\x71\x07\x0A\x00\x00\x01\x12\x67\x01\xBB", 12));
}

TEST(proxy_protocol, v1_gives_the_source_address_and_leaves_what_follows) {
   std::string const header = "PROXY TCP4 203.0.113.7 10.0.0.1 4711 443\r\n";
   auto const parsed = parse_proxy_header(header + "GET / HTTP/1.1\r\n");
   ASSERT_EQ(parsed.result, status::complete) << parsed.problem;
   EXPECT_EQ(parsed.length, header.size());
   EXPECT_EQ(parsed.source->to_string(), "203.0.113.7");
   auto const v6 = parse_proxy_header("PROXY TCP6 2001:db8::7 2001:db8::1 4711 443\r\n\x16\x03");
   ASSERT_EQ(v6.result, status::complete) << v6.problem;
   EXPECT_EQ(v6.source->to_string(), "2001:db8::7");
   auto const unknown = parse_proxy_header("PROXY UNKNOWN whatever\r\nGET");
   ASSERT_EQ(unknown.result, status::complete);
   EXPECT_FALSE(unknown.source.has_value());
   EXPECT_EQ(unknown.length, 24U);
}

TEST(proxy_protocol, every_split_of_a_header_needs_more_until_it_is_whole) {
   for (std::string const& header :
        {std::string("PROXY TCP4 203.0.113.7 10.0.0.1 4711 443\r\n"), v2_tcp4()}) {
      for (std::size_t i = 0; i < header.size(); ++i) {
         EXPECT_EQ(parse_proxy_header(header.substr(0, i)).result, status::need_more) << i;
      }
      EXPECT_EQ(parse_proxy_header(header).result, status::complete);
   }
}

TEST(proxy_protocol, v2_gives_the_source_address_for_tcp_and_none_for_local) {
   auto const tcp4 = parse_proxy_header(v2_tcp4() + "\x16\x03\x01");
   ASSERT_EQ(tcp4.result, status::complete) << tcp4.problem;
   EXPECT_EQ(tcp4.length, 28U);
   EXPECT_EQ(tcp4.source->to_string(), "203.0.113.7");
   std::string v6_payload(36, '\0');
   v6_payload[0] = '\x20';
   v6_payload[1] = '\x01';
   v6_payload[15] = '\x07';
   auto const tcp6 = parse_proxy_header(v2(1, 0x21, v6_payload));
   ASSERT_EQ(tcp6.result, status::complete) << tcp6.problem;
   EXPECT_EQ(tcp6.source->to_string(), "2001::7");
   // TLVs after the addresses are skipped with the header.
   auto const with_tlv =
       parse_proxy_header(v2(1, 0x11, std::string(12, '\1') + std::string("\x04\x00\x01x", 4)));
   ASSERT_EQ(with_tlv.result, status::complete);
   EXPECT_EQ(with_tlv.length, 32U);
   auto const local = parse_proxy_header(v2(0, 0x00, ""));
   ASSERT_EQ(local.result, status::complete);
   EXPECT_FALSE(local.source.has_value());
   EXPECT_EQ(local.length, 16U);
}

TEST(proxy_protocol, anything_else_is_invalid) {
   for (std::string const& bad : {
            std::string("GET / HTTP/1.1\r\n"),
            std::string("\x16\x03\x01\x02\x00", 5), // a TLS ClientHello without a header
            std::string("PROXY\r\n"), std::string("PROXY TCP4 203.0.113.7 10.0.0.1 4711\r\n"),
            std::string("PROXY TCP4 203.0.113.7 10.0.0.1 4711 443 x\r\n"),
            std::string("PROXY TCP4 2001:db8::7 10.0.0.1 4711 443\r\n"),
            std::string("PROXY TCP6 203.0.113.7 2001:db8::1 4711 443\r\n"),
            std::string("PROXY TCP4 203.0.113.7 10.0.0.1 65536 443\r\n"),
            std::string("PROXY TCP4 203.0.113.7 10.0.0.1 -1 443\r\n"),
            std::string("PROXY TCP4 203.0.113.7  10.0.0.1 4711 443\r\n"),
            std::string("PROXY UDP4 203.0.113.7 10.0.0.1 4711 443\r\n"),
            std::string("PROXY TCP4 203.0.113.7\n"),
            // the address parser stops at a NUL; the whole line must be printable
            std::string("PROXY TCP4 1.2.3.4 5.6.7.8\0\0\0\0 30 1\r\n", 37),
            std::string("PROXY TCP4 1.2.3.4\r5.6.7.8 30 1\r\n"),
            std::string("PROXY ") + std::string(200, '1'),
            v2(2, 0x11, std::string(12, '\0')),                  // unknown command
            v2(1, 0x12, std::string(12, '\0')),                  // UDP
            v2(1, 0x11, std::string(11, '\0')),                  // too short for TCP4
            v2(1, 0x21, std::string(35, '\0')),                  // too short for TCP6
            v2(1, 0x11, std::string(2000, '\0')),                // too long
            std::string("\r\n\r\n\0\r\nQUIT\n\x10\x11\0\0", 16), // version 1 in v2 form
        }) {
      EXPECT_EQ(parse_proxy_header(bad).result, status::invalid) << bad;
   }
}

} // namespace
} // namespace notify::server
