// RFC 6455 conformance of the gateway as a server, case by case in the order of the Autobahn
// test suite's categories (1 framing, 2 pings/pongs, 3 reserved bits, 4 opcodes, 5 fragmentation,
// 6 UTF-8, 7 close) and then the opening handshake. Every case talks to a real gateway over
// loopback with hand-made masked frames and checks what the RFC requires of a server: frames
// parsed and answered, or the connection failed with the right close code and then closed.
//
// Client messages are JSON control messages, so a text message here is {"type":"ping"} (answered
// with {"type":"pong"}) padded to the size a case needs; binary messages are answered with an
// error by the gateway's own policy, which is not a protocol failure.

#include "gateway_fixture.hpp"
#include "support/raw_connection.hpp"

#include <string>
#include <vector>

namespace notify::test {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

constexpr std::uint8_t op_continuation = 0x0;
constexpr std::uint8_t op_text = 0x1;
constexpr std::uint8_t op_binary = 0x2;
constexpr std::uint8_t op_close = 0x8;
constexpr std::uint8_t op_ping = 0x9;
constexpr std::uint8_t op_pong = 0xA;

constexpr std::string_view app_pong = R"({"type":"pong"})";

/// {"type":"ping"} padded with a string field to exactly `bytes` bytes (at least 24).
std::string app_ping_of_size(std::size_t bytes) {
   std::string const head = R"({"type":"ping","p":")";
   std::string const tail = R"("})";
   return head + std::string(bytes - head.size() - tail.size(), 'x') + tail;
}

/// {"type":"ping"} carrying `text` (valid UTF-8, no characters JSON must escape).
std::string app_ping_with(std::string_view text) {
   return R"({"type":"ping","p":")" + std::string(text) + R"("})";
}

std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
   std::string out;
   out.push_back(static_cast<char>(code >> 8));
   out.push_back(static_cast<char>(code & 0xFF));
   return out.append(reason);
}

std::uint16_t code_of(const server_frame& close) {
   return close.payload.size() < 2
              ? 1005
              : static_cast<std::uint16_t>((static_cast<std::uint8_t>(close.payload[0]) << 8) |
                                           static_cast<std::uint8_t>(close.payload[1]));
}

class conformance : public gateway_test {
protected:
   void SetUp() override {
      gateway_test::SetUp();
      // Big enough for the 65536-byte cases; enough bad messages for a category in one go.
      start_gateway(
          {"--set", "limits.max_inbound_bytes=70000", "--set", "limits.max_protocol_errors=100"});
   }

   /// A raw connection past the 101, its received() at the first frame.
   std::unique_ptr<raw_connection> open() {
      auto connection = std::make_unique<raw_connection>(port());
      EXPECT_TRUE(connection->send(upgrade_request("/ws")));
      auto const head = connection->read_until("\r\n\r\n", 5s);
      EXPECT_NE(head.find(" 101 "), std::string::npos) << head;
      return connection;
   }

   /// The next frame, failing the test when none arrives.
   static server_frame expect_frame(raw_connection& connection) {
      auto frame = connection.read_frame(5s);
      EXPECT_TRUE(frame.has_value()) << "no frame from the server";
      return frame.value_or(server_frame{0xFF, "", 0});
   }

   /// Reads the answer to an app-level ping: the connection still parses and answers.
   static void expect_alive(raw_connection& connection) {
      ASSERT_TRUE(connection.send(masked_frame(op_text, R"({"type":"ping"})")));
      auto const frame = expect_frame(connection);
      EXPECT_EQ(frame.opcode, op_text);
      EXPECT_EQ(frame.payload, app_pong);
   }

   /// The connection is failed: a close frame with `code` (after any frames answered before),
   /// then the server closes TCP.
   static void expect_failed_with(raw_connection& connection, std::uint16_t code) {
      for (;;) {
         auto const frame = connection.read_frame(5s);
         ASSERT_TRUE(frame.has_value()) << "no close frame from the server";
         if (frame->opcode == op_close) {
            EXPECT_EQ(code_of(*frame), code) << "close reason: " << frame->payload.substr(2);
            EXPECT_EQ(frame->first_byte, 0x88); // FIN, no RSV bits
            break;
         }
         EXPECT_NE(frame->opcode, op_pong) << "answered a ping after the failing frame";
      }
      EXPECT_TRUE(connection.wait_closed(5s)) << "TCP not closed after the close frame";
   }

   /// Sends `bytes` on a fresh connection and expects the close `code`.
   void expect_bytes_fail_with(const std::string& bytes, std::uint16_t code) {
      auto connection = open();
      ASSERT_TRUE(connection->send(bytes));
      expect_failed_with(*connection, code);
   }

   /// The client closes with `payload`; the server must answer with a close and end TCP.
   server_frame close_and_expect_echo(const std::string& payload) {
      auto connection = open();
      EXPECT_TRUE(connection->send(masked_frame(op_close, payload)));
      auto const frame = expect_frame(*connection);
      EXPECT_EQ(frame.opcode, op_close);
      EXPECT_TRUE(connection->wait_closed(5s)) << "TCP not closed after the close handshake";
      return frame;
   }

   /// The status line and headers the gateway answers `request` with.
   std::string handshake_response(const std::string& request) {
      raw_connection connection(port());
      EXPECT_TRUE(connection.send(request));
      return connection.read_until("\r\n\r\n", 5s);
   }
};

std::string request_with(std::string_view lines) {
   return "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(lines) + "\r\n";
}

constexpr std::string_view sample_key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

// ---------------------------------------------------------------------------------------------
// 1 Framing

TEST_F(conformance, case_1_1_text_messages_of_125_126_127_65535_65536_bytes_are_parsed) {
   auto connection = open();
   for (std::size_t const size : {125U, 126U, 127U, 65535U, 65536U}) {
      ASSERT_TRUE(connection->send(masked_frame(op_text, app_ping_of_size(size))));
      auto const frame = expect_frame(*connection);
      EXPECT_EQ(frame.payload, app_pong) << "size " << size;
   }
}

TEST_F(conformance, case_1_1_1_an_empty_text_message_is_parsed_and_the_connection_lives_on) {
   auto connection = open();
   ASSERT_TRUE(connection->send(masked_frame(op_text, "")));
   auto const error = expect_frame(*connection); // not JSON: an app-level error
   EXPECT_NE(error.payload.find("bad_json"), std::string::npos) << error.payload;
   expect_alive(*connection);
}

TEST_F(conformance, case_1_2_binary_messages_of_every_size_are_parsed_and_refused_by_policy) {
   auto connection = open();
   for (std::size_t const size : {0U, 125U, 126U, 127U, 65535U, 65536U}) {
      ASSERT_TRUE(connection->send(masked_frame(op_binary, std::string(size, '\xfe'))));
      auto const error = expect_frame(*connection);
      EXPECT_EQ(error.opcode, op_text);
      EXPECT_NE(error.payload.find("binary messages are not supported"), std::string::npos)
          << "size " << size << ": " << error.payload;
   }
   expect_alive(*connection);
}

TEST_F(conformance, case_1_a_message_over_the_configured_limit_closes_with_1009) {
   expect_bytes_fail_with(masked_frame(op_text, app_ping_of_size(70001)), 1009);
}

TEST_F(conformance, case_1_frames_trickled_one_byte_at_a_time_are_reassembled) {
   auto connection = open();
   auto const frame = masked_frame(op_text, app_ping_of_size(300));
   for (char const byte : frame) {
      ASSERT_TRUE(connection->send(std::string(1, byte)));
   }
   EXPECT_EQ(expect_frame(*connection).payload, app_pong);
}

TEST_F(conformance, case_1_an_unmasked_client_frame_closes_with_1002) {
   expect_bytes_fail_with("\x81\x0f{\"type\":\"ping\"}"s, 1002);
}

// ---------------------------------------------------------------------------------------------
// 2 Pings and pongs

TEST_F(conformance, case_2_1_an_empty_ping_gets_an_empty_pong) {
   auto connection = open();
   ASSERT_TRUE(connection->send(masked_frame(op_ping, "")));
   auto const pong = expect_frame(*connection);
   EXPECT_EQ(pong.first_byte, 0x8A);
   EXPECT_EQ(pong.payload, "");
}

TEST_F(conformance, case_2_2_and_2_3_ping_payloads_text_and_binary_are_echoed_exactly) {
   auto connection = open();
   std::string binary;
   for (int i = 0; i < 125; ++i) {
      binary.push_back(static_cast<char>(255 - i * 2));
   }
   for (std::string const& payload :
        {"Hello, world!"s, "\x00\xff\xfe\xfd\xfc\xfb\x00\xff"s, binary}) {
      ASSERT_TRUE(connection->send(masked_frame(op_ping, payload)));
      auto const pong = expect_frame(*connection);
      EXPECT_EQ(pong.opcode, op_pong);
      EXPECT_EQ(pong.payload, payload);
   }
}

TEST_F(conformance, case_2_4_a_125_byte_ping_is_answered) {
   auto connection = open();
   ASSERT_TRUE(connection->send(masked_frame(op_ping, std::string(125, '\xfe'))));
   EXPECT_EQ(expect_frame(*connection).payload, std::string(125, '\xfe'));
}

TEST_F(conformance, case_2_5_a_126_byte_ping_closes_with_1002) {
   expect_bytes_fail_with(masked_frame(op_ping, std::string(126, '\xfe')), 1002);
}

TEST_F(conformance, case_2_6_a_ping_trickled_in_is_answered) {
   auto connection = open();
   auto const ping = masked_frame(op_ping, std::string(125, 'p'));
   for (std::size_t at = 0; at < ping.size(); at += 7) {
      ASSERT_TRUE(connection->send(ping.substr(at, 7)));
   }
   EXPECT_EQ(expect_frame(*connection).payload, std::string(125, 'p'));
}

TEST_F(conformance, case_2_7_and_2_8_unsolicited_pongs_are_ignored) {
   auto connection = open();
   ASSERT_TRUE(connection->send(masked_frame(op_pong, "")));
   ASSERT_TRUE(connection->send(masked_frame(op_pong, "unsolicited pong payload")));
   expect_alive(*connection); // the next frame is the answer: nothing was sent for the pongs
}

TEST_F(conformance, case_2_10_ten_pings_get_ten_pongs_in_order) {
   auto connection = open();
   std::string pings;
   for (int i = 0; i < 10; ++i) {
      pings += masked_frame(op_ping, "payload-" + std::to_string(i));
   }
   ASSERT_TRUE(connection->send(pings));
   for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(expect_frame(*connection).payload, "payload-" + std::to_string(i));
   }
}

// ---------------------------------------------------------------------------------------------
// 3 Reserved bits (no extension is negotiated, so any set RSV bit fails the connection)

TEST_F(conformance, case_3_1_to_3_7_any_reserved_bit_closes_with_1002) {
   struct rsv_case {
      std::uint8_t first_byte;
      std::string payload;
   };
   for (auto const& [first_byte, payload] : std::vector<rsv_case>{{0xC1, R"({"type":"ping"})"},
                                                                  {0xA1, R"({"type":"ping"})"},
                                                                  {0xE1, R"({"type":"ping"})"},
                                                                  {0x92, "\x00\xff"},
                                                                  {0xD2, "\x00\xff"},
                                                                  {0xB9, "ping"},
                                                                  {0xF9, "ping"}}) {
      SCOPED_TRACE("first byte " + std::to_string(first_byte));
      expect_bytes_fail_with(masked_frame_with_first_byte(first_byte, payload), 1002);
   }
}

TEST_F(conformance, case_3_2_a_good_message_before_the_bad_frame_is_answered_a_ping_after_not) {
   auto connection = open();
   ASSERT_TRUE(connection->send(masked_frame(op_text, R"({"type":"ping"})") +
                                masked_frame_with_first_byte(0xA1, R"({"type":"ping"})") +
                                masked_frame(op_ping, "")));
   EXPECT_EQ(expect_frame(*connection).payload, app_pong);
   expect_failed_with(*connection, 1002);
}

// ---------------------------------------------------------------------------------------------
// 4 Opcodes

TEST_F(conformance, case_4_1_and_4_2_reserved_opcodes_close_with_1002) {
   for (std::uint8_t const op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
      SCOPED_TRACE("opcode " + std::to_string(op));
      expect_bytes_fail_with(masked_frame(op, "reserved"), 1002);
   }
}

TEST_F(conformance, case_4_1_2_a_reserved_opcode_after_a_good_message_still_answers_that_one) {
   auto connection = open();
   ASSERT_TRUE(connection->send(masked_frame(op_text, R"({"type":"ping"})") +
                                masked_frame(0x4, "") + masked_frame(op_ping, "")));
   EXPECT_EQ(expect_frame(*connection).payload, app_pong);
   expect_failed_with(*connection, 1002);
}

// ---------------------------------------------------------------------------------------------
// 5 Fragmentation

TEST_F(conformance, case_5_1_and_5_2_fragmented_control_frames_close_with_1002) {
   expect_bytes_fail_with(
       masked_frame(op_ping, "frag", false) + masked_frame(op_continuation, "ment"), 1002);
   expect_bytes_fail_with(
       masked_frame(op_pong, "frag", false) + masked_frame(op_continuation, "ment"), 1002);
}

TEST_F(conformance, case_5_3_to_5_5_a_text_message_in_fragments_is_reassembled) {
   auto connection = open();
   auto const message = app_ping_of_size(100);
   ASSERT_TRUE(connection->send(masked_frame(op_text, message.substr(0, 30), false) +
                                masked_frame(op_continuation, message.substr(30))));
   EXPECT_EQ(expect_frame(*connection).payload, app_pong);
   // One byte per fragment, each in its own write.
   ASSERT_TRUE(connection->send(masked_frame(op_text, message.substr(0, 1), false)));
   for (std::size_t at = 1; at + 1 < message.size(); ++at) {
      ASSERT_TRUE(connection->send(masked_frame(op_continuation, message.substr(at, 1), false)));
   }
   ASSERT_TRUE(connection->send(masked_frame(op_continuation, message.substr(99))));
   EXPECT_EQ(expect_frame(*connection).payload, app_pong);
}

TEST_F(conformance, case_5_6_to_5_8_a_ping_between_fragments_is_answered_before_the_end) {
   auto connection = open();
   auto const message = app_ping_of_size(60);
   ASSERT_TRUE(connection->send(masked_frame(op_text, message.substr(0, 20), false) +
                                masked_frame(op_ping, "in the middle")));
   auto const pong = expect_frame(*connection);
   EXPECT_EQ(pong.opcode, op_pong);
   EXPECT_EQ(pong.payload, "in the middle");
   ASSERT_TRUE(connection->send(masked_frame(op_continuation, message.substr(20, 20), false) +
                                masked_frame(op_pong, "unsolicited") + masked_frame(op_ping, "2") +
                                masked_frame(op_continuation, message.substr(40))));
   EXPECT_EQ(expect_frame(*connection).payload, "2");
   EXPECT_EQ(expect_frame(*connection).payload, app_pong);
}

TEST_F(conformance, case_5_9_to_5_14_a_continuation_without_a_message_closes_with_1002) {
   expect_bytes_fail_with(masked_frame(op_continuation, "fragment") +
                              masked_frame(op_text, R"({"type":"ping"})"),
                          1002);
   expect_bytes_fail_with(masked_frame(op_continuation, "fragment", false) +
                              masked_frame(op_text, R"({"type":"ping"})"),
                          1002);
}

TEST_F(conformance, case_5_18_a_new_message_inside_a_fragmented_one_closes_with_1002) {
   expect_bytes_fail_with(
       masked_frame(op_text, "{", false) + masked_frame(op_text, R"({"type":"ping"})"), 1002);
   expect_bytes_fail_with(masked_frame(op_text, "{", false) + masked_frame(op_binary, "x"), 1002);
}

TEST_F(conformance, case_5_fragments_over_the_limit_close_with_1009) {
   auto connection = open();
   ASSERT_TRUE(connection->send(masked_frame(op_text, std::string(40000, ' '), false)));
   ASSERT_TRUE(connection->send(masked_frame(op_continuation, std::string(40000, ' '))));
   expect_failed_with(*connection, 1009);
}

// ---------------------------------------------------------------------------------------------
// 6 UTF-8 handling

TEST_F(conformance, case_6_2_valid_multibyte_text_split_at_every_byte_across_fragments) {
   auto connection = open();
   // "κόσμε", U+10FFFF and an emoji: 2-, 3- and 4-byte sequences.
   auto const message = app_ping_with("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
                                      "\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80");
   for (std::size_t split = 20; split < message.size() - 2; ++split) {
      ASSERT_TRUE(connection->send(masked_frame(op_text, message.substr(0, split), false) +
                                   masked_frame(op_continuation, message.substr(split))));
      EXPECT_EQ(expect_frame(*connection).payload, app_pong) << "split at " << split;
   }
}

TEST_F(conformance, case_6_invalid_utf8_text_closes_with_1007) {
   for (std::string const& bad : {
            "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"s, // 6.3: a surrogate
            "\xc0\xaf"s,                                                 // 6.8: overlong '/'
            "\xe0\x80\xaf"s, "\xf0\x80\x80\xaf"s, "\xc1\xbf"s,
            "\xed\xa0\x80"s,     // 6.19: U+D800
            "\xed\xbf\xbf"s,     // U+DFFF
            "\xf4\x90\x80\x80"s, // U+110000
            "\xf7\xbf\xbf\xbf"s,
            "\x80"s, // a lone continuation byte
            "\xfe"s,
            "\xe2\x82"s, // cut short at the end of the message
        }) {
      SCOPED_TRACE("payload of " + std::to_string(bad.size()) + " bytes");
      expect_bytes_fail_with(masked_frame(op_text, app_ping_with(bad)), 1007);
   }
}

TEST_F(conformance, case_6_invalid_utf8_across_fragments_closes_with_1007) {
   expect_bytes_fail_with(masked_frame(op_text, app_ping_with("\xce\xba\xed"), false) +
                              masked_frame(op_continuation, "\xa0\x80\"}"),
                          1007);
}

TEST_F(conformance, case_6_4_invalid_utf8_in_the_first_fragment_fails_before_the_rest_is_sent) {
   auto connection = open();
   ASSERT_TRUE(connection->send(masked_frame(
       op_text, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80", false)));
   // The close comes while the message is still open: the rest is never sent.
   expect_failed_with(*connection, 1007);
}

TEST_F(conformance, case_6_4_3_invalid_utf8_early_in_one_frame_fails_before_the_frame_is_sent) {
   auto connection = open();
   auto const frame =
       masked_frame(op_text, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80" +
                                 std::string(60000, '-'));
   ASSERT_TRUE(connection->send(frame.substr(0, 100))); // the header says 60015 bytes follow
   expect_failed_with(*connection, 1007);
}

// ---------------------------------------------------------------------------------------------
// 7 Close handling

TEST_F(conformance, case_7_1_1_a_close_is_echoed_and_the_server_closes_tcp) {
   auto const echo = close_and_expect_echo(close_payload(1000));
   EXPECT_EQ(code_of(echo), 1000);
   EXPECT_EQ(echo.first_byte, 0x88);
}

TEST_F(conformance, case_7_1_2_to_7_1_4_data_and_pings_after_the_close_are_ignored) {
   auto connection = open();
   ASSERT_TRUE(connection->send(masked_frame(op_close, close_payload(1000)) +
                                masked_frame(op_ping, "after close") +
                                masked_frame(op_text, R"({"type":"ping"})")));
   auto const echo = expect_frame(*connection);
   EXPECT_EQ(echo.opcode, op_close);
   EXPECT_EQ(code_of(echo), 1000);
   EXPECT_TRUE(connection->wait_closed(5s));
   EXPECT_TRUE(parse_server_frames(connection->received()).empty()) << "frames after the close";
}

TEST_F(conformance, case_7_1_5_a_close_in_the_middle_of_a_fragmented_message_is_echoed) {
   auto connection = open();
   ASSERT_TRUE(connection->send(masked_frame(op_text, "{\"type\":", false) +
                                masked_frame(op_close, close_payload(1000)) +
                                masked_frame(op_continuation, "\"ping\"}")));
   auto const echo = expect_frame(*connection);
   EXPECT_EQ(echo.opcode, op_close);
   EXPECT_EQ(code_of(echo), 1000);
   EXPECT_TRUE(connection->wait_closed(5s));
}

TEST_F(conformance, case_7_3_1_an_empty_close_is_answered_with_a_close) {
   auto const echo = close_and_expect_echo("");
   // No code to echo: the RFC allows an empty close or a code; the gateway sends 1000.
   EXPECT_EQ(code_of(echo), 1000);
}

TEST_F(conformance, case_7_3_2_a_one_byte_close_payload_closes_with_1002) {
   EXPECT_EQ(code_of(close_and_expect_echo("\x03")), 1002);
}

TEST_F(conformance, case_7_3_3_to_7_3_5_close_reasons_up_to_123_bytes_are_accepted) {
   EXPECT_EQ(code_of(close_and_expect_echo(close_payload(1000, "Hello World!"))), 1000);
   EXPECT_EQ(code_of(close_and_expect_echo(close_payload(1000, std::string(123, '*')))), 1000);
}

TEST_F(conformance, case_7_3_6_a_close_payload_over_125_bytes_closes_with_1002) {
   expect_bytes_fail_with(masked_frame(op_close, close_payload(1000, std::string(124, '*'))), 1002);
}

TEST_F(conformance, case_7_5_1_a_close_reason_that_is_not_utf8_closes_with_1007) {
   EXPECT_EQ(
       code_of(close_and_expect_echo(close_payload(
           1000,
           "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"))),
       1007);
}

TEST_F(conformance, case_7_7_valid_close_codes_are_echoed) {
   for (std::uint16_t const code :
        {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
      SCOPED_TRACE("code " + std::to_string(code));
      EXPECT_EQ(code_of(close_and_expect_echo(close_payload(code))), code);
   }
}

TEST_F(conformance, case_7_9_invalid_close_codes_close_with_1002) {
   for (std::uint16_t const code :
        {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
      SCOPED_TRACE("code " + std::to_string(code));
      EXPECT_EQ(code_of(close_and_expect_echo(close_payload(code))), 1002);
   }
}

// ---------------------------------------------------------------------------------------------
// Opening handshake (RFC 6455 section 4.2)

TEST_F(conformance, handshake_answers_101_with_the_accept_key_and_nothing_unasked) {
   auto const response = handshake_response(upgrade_request("/ws"));
   EXPECT_EQ(response.rfind("HTTP/1.1 101 ", 0), 0U) << response;
   EXPECT_NE(response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
             std::string::npos)
       << response;
}

TEST_F(conformance, handshake_connection_keep_alive_upgrade_is_accepted) {
   auto const response = handshake_response(request_with(
       "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
       std::string(sample_key)));
   EXPECT_EQ(response.rfind("HTTP/1.1 101 ", 0), 0U) << response;
}

TEST_F(conformance, handshake_header_names_and_values_are_case_insensitive) {
   auto const response = handshake_response(
       request_with("upgrade: WebSocket\r\nCONNECTION: UPGRADE\r\nsec-websocket-version: 13\r\n"
                    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
   EXPECT_EQ(response.rfind("HTTP/1.1 101 ", 0), 0U) << response;
}

TEST_F(conformance, handshake_without_a_key_gets_400) {
   auto const response = handshake_response(
       request_with("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"));
   EXPECT_EQ(response.rfind("HTTP/1.1 400 ", 0), 0U) << response;
}

TEST_F(conformance, handshake_with_a_key_that_is_not_16_bytes_gets_400) {
   for (std::string const key : {"dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZXM=",
                                 "dGhlIHNhbXBsZSBub25jZSBvbmU=", "!!!!!!!!!!!!!!!!!!!!!!=="}) {
      auto const response = handshake_response(
          request_with("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                       "Sec-WebSocket-Key: " +
                       key + "\r\n"));
      EXPECT_EQ(response.rfind("HTTP/1.1 400 ", 0), 0U) << key << ": " << response;
   }
}

TEST_F(conformance, handshake_version_8_gets_426_naming_version_13) {
   auto const response = handshake_response(
       request_with("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n" +
                    std::string(sample_key)));
   EXPECT_EQ(response.rfind("HTTP/1.1 426 ", 0), 0U) << response;
   EXPECT_NE(response.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos) << response;
}

TEST_F(conformance, handshake_post_gets_a_4xx) {
   auto const response = handshake_response(
       "POST /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Version: 13\r\n" +
       std::string(sample_key) + "Content-Length: 0\r\n\r\n");
   EXPECT_EQ(response.rfind("HTTP/1.1 4", 0), 0U) << response;
}

TEST_F(conformance, handshake_over_http_1_0_gets_400) {
   auto const response =
       handshake_response("GET /ws HTTP/1.0\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
                          std::string(sample_key) + "\r\n");
   EXPECT_NE(response.find(" 400 "), std::string::npos) << response;
}

TEST_F(conformance, handshake_selects_no_subprotocol_and_no_extension) {
   auto const response = handshake_response(upgrade_request(
       "/ws", {{"Sec-WebSocket-Protocol", "chat, superchat"},
               {"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"}}));
   EXPECT_EQ(response.rfind("HTTP/1.1 101 ", 0), 0U) << response;
   EXPECT_EQ(response.find("Sec-WebSocket-Protocol"), std::string::npos) << response;
   EXPECT_EQ(response.find("Sec-WebSocket-Extensions"), std::string::npos) << response;
}

TEST_F(conformance, handshake_frames_pipelined_behind_the_request_are_processed) {
   raw_connection connection(port());
   ASSERT_TRUE(connection.send(
       upgrade_request("/ws") + masked_frame(op_ping, "early") +
       masked_frame(op_text, R"({"type":"ping"})") +
       masked_frame(op_text, R"({"type":"auth","token":")" + token_for("pipelined") + R"("})")));
   EXPECT_NE(connection.read_until("\r\n\r\n", 5s).find(" 101 "), std::string::npos);
   EXPECT_EQ(expect_frame(connection).payload, "early");
   EXPECT_EQ(expect_frame(connection).payload, app_pong);
   auto const auth_ok = expect_frame(connection);
   EXPECT_NE(auth_ok.payload.find("auth_ok"), std::string::npos) << auth_ok.payload;
}

TEST_F(conformance, handshake_a_pipelined_frame_split_across_the_request_packet_is_completed) {
   raw_connection connection(port());
   auto const ping = masked_frame(op_ping, "split");
   ASSERT_TRUE(connection.send(upgrade_request("/ws") + ping.substr(0, 3)));
   EXPECT_NE(connection.read_until("\r\n\r\n", 5s).find(" 101 "), std::string::npos);
   ASSERT_TRUE(connection.send(ping.substr(3)));
   EXPECT_EQ(expect_frame(connection).payload, "split");
}

} // namespace
} // namespace notify::test
