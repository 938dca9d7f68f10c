#include "notify/ws/server_protocol.hpp"

#include <cstdint>
#include <gtest/gtest.h>
#include <string>
#include <string_view>
#include <vector>

namespace notify::ws {
namespace {

using namespace std::string_literals;

constexpr std::size_t test_limit = 1000;

/// A masked client frame; `first_byte` carries FIN, RSV and the opcode.
std::string client_frame(std::uint8_t first_byte, std::string_view payload) {
   std::string out(1, static_cast<char>(first_byte));
   if (payload.size() < 126) {
      out.push_back(static_cast<char>(0x80 | payload.size()));
   } else if (payload.size() <= 0xFFFF) {
      out.push_back(static_cast<char>(0x80 | 126));
      out.push_back(static_cast<char>(payload.size() >> 8));
      out.push_back(static_cast<char>(payload.size() & 0xFF));
   } else {
      out.push_back(static_cast<char>(0x80 | 127));
      for (int shift = 56; shift >= 0; shift -= 8) {
         out.push_back(
             static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> shift) & 0xFF));
      }
   }
   std::uint8_t const mask[4] = {0x37, 0xFA, 0x21, 0x3D};
   out.append(reinterpret_cast<const char*>(mask), 4);
   for (std::size_t i = 0; i < payload.size(); ++i) {
      out.push_back(static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ mask[i % 4]));
   }
   return out;
}

std::string text(std::string_view payload, bool fin = true) {
   return client_frame(fin ? 0x81 : 0x01, payload);
}
std::string binary(std::string_view payload, bool fin = true) {
   return client_frame(fin ? 0x82 : 0x02, payload);
}
std::string continuation(std::string_view payload, bool fin = true) {
   return client_frame(fin ? 0x80 : 0x00, payload);
}
std::string ping(std::string_view payload) {
   return client_frame(0x89, payload);
}
std::string pong(std::string_view payload) {
   return client_frame(0x8A, payload);
}
std::string close_frame(std::string_view payload) {
   return client_frame(0x88, payload);
}
std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
   std::string out;
   out.push_back(static_cast<char>(code >> 8));
   out.push_back(static_cast<char>(code & 0xFF));
   return out.append(reason);
}

struct seen {
   event_type type;
   std::string payload;
   std::uint16_t code = 0;
   bool operator==(const seen&) const = default;
};

std::ostream& operator<<(std::ostream& out, const seen& event) {
   return out << "{type " << static_cast<int>(event.type) << ", \"" << event.payload << "\", "
              << event.code << "}";
}

/// Drives a server_protocol the way the session does, keeping every event.
class driver {
public:
   explicit driver(std::size_t limit = test_limit)
       : protocol(limit) {}

   /// Feeds `bytes` in pieces of `piece` bytes (0: all at once); returns the events they gave.
   std::vector<seen> feed(std::string bytes, std::size_t piece = 0) {
      std::vector<seen> events;
      buffers_.push_back(std::move(bytes)); // the core parses in place
      auto& data = buffers_.back();
      std::size_t offset = 0;
      do {
         auto const size = piece == 0 ? data.size() : std::min(piece, data.size() - offset);
         protocol.feed(data.data() + offset, size);
         offset += size;
         for (auto event = protocol.next(); event.type != event_type::need_more;
              event = protocol.next()) {
            events.push_back({event.type, std::string(event.payload), event.code});
         }
      } while (offset < data.size());
      return events;
   }

   server_protocol protocol;

private:
   std::vector<std::string> buffers_;
};

seen text_event(std::string payload) {
   return {event_type::text, std::move(payload)};
}
seen failure(std::uint16_t code) {
   return {event_type::failure, "", code};
}

/// Failure events compared by code only: the reason is for people.
std::vector<seen> codes_only(std::vector<seen> events) {
   for (auto& event : events) {
      if (event.type == event_type::failure) {
         event.payload.clear();
      }
   }
   return events;
}

TEST(server_protocol, a_whole_text_frame_is_one_event_pointing_into_the_input) {
   server_protocol protocol(test_limit);
   auto bytes = text(R"({"type":"ping"})");
   protocol.feed(bytes.data(), bytes.size());
   auto const event = protocol.next();
   EXPECT_EQ(event.type, event_type::text);
   EXPECT_EQ(event.payload, R"({"type":"ping"})");
   // Unmasked in place: no copy for the common case.
   EXPECT_GE(event.payload.data(), bytes.data());
   EXPECT_LE(event.payload.data() + event.payload.size(), bytes.data() + bytes.size());
   EXPECT_EQ(protocol.next().type, event_type::need_more);
}

TEST(server_protocol, reports_every_kind_of_event) {
   driver d;
   auto const events = d.feed(text("hi") + binary("\x00\xff"s) + ping("p") + pong("q") +
                              close_frame(close_payload(1000, "bye")));
   std::vector<seen> const expected = {{event_type::text, "hi"},
                                       {event_type::binary, "\x00\xff"s},
                                       {event_type::ping, "p"},
                                       {event_type::pong, "q"},
                                       {event_type::close, "bye", 1000}};
   EXPECT_EQ(events, expected);
   EXPECT_TRUE(d.protocol.close_received());
   EXPECT_FALSE(d.protocol.close_sent());
}

TEST(server_protocol, byte_at_a_time_gives_the_same_events) {
   auto const stream = text("héllo") + ping("") + text("{", false) + ping("mid") +
                       continuation("\"a\":", false) + continuation("1}") +
                       binary(std::string(300, 'b')) + close_frame(close_payload(3000));
   driver whole;
   driver trickled;
   auto const expected = whole.feed(stream);
   ASSERT_EQ(expected.size(), 6U);
   EXPECT_EQ(trickled.feed(stream, 1), expected);
   for (std::size_t piece : {2U, 3U, 7U, 13U}) {
      driver pieces;
      EXPECT_EQ(pieces.feed(stream, piece), expected) << "pieces of " << piece;
   }
}

TEST(server_protocol, an_empty_message_and_a_message_of_empty_fragments) {
   driver d;
   EXPECT_EQ(d.feed(text("") + text("", false) + continuation("", false) + continuation("")),
             (std::vector<seen>{text_event(""), text_event("")}));
}

TEST(server_protocol, reassembles_fragments_and_answers_pings_in_between) {
   driver d;
   auto events = d.feed(text("one ", false) + ping("ping 1") + continuation("two ", false));
   // The ping is reported before the message is complete.
   EXPECT_EQ(events, (std::vector<seen>{{event_type::ping, "ping 1"}}));
   events = d.feed(pong("") + continuation("three"));
   EXPECT_EQ(events, (std::vector<seen>{{event_type::pong, ""}, text_event("one two three")}));
}

TEST(server_protocol, binary_messages_are_reassembled_without_utf8_checks) {
   driver d;
   EXPECT_EQ(d.feed(binary("\xff", false) + continuation("\xfe")),
             (std::vector<seen>{{event_type::binary, "\xff\xfe"}}));
}

TEST(server_protocol, fragmentation_errors_fail_with_1002) {
   driver without_start;
   EXPECT_EQ(codes_only(without_start.feed(continuation("x") + text("after"))),
             (std::vector<seen>{failure(1002)}));
   driver nested;
   EXPECT_EQ(codes_only(nested.feed(text("a", false) + text("b"))),
             (std::vector<seen>{failure(1002)}));
   driver nested_binary;
   EXPECT_EQ(codes_only(nested_binary.feed(text("a", false) + binary("b"))),
             (std::vector<seen>{failure(1002)}));
   driver fragmented_ping;
   EXPECT_EQ(codes_only(fragmented_ping.feed(client_frame(0x09, "a") + continuation("b"))),
             (std::vector<seen>{failure(1002)}));
}

TEST(server_protocol, header_errors_fail_with_1002_and_discard_the_rest) {
   for (std::uint8_t const first_byte : {0xC1, 0xA1, 0x91, 0x83, 0x87, 0x8B, 0x8F}) {
      driver d;
      EXPECT_EQ(codes_only(d.feed(client_frame(first_byte, "x") + text("later"))),
                (std::vector<seen>{failure(1002)}))
          << "first byte " << int(first_byte);
      EXPECT_TRUE(d.protocol.discarding());
      EXPECT_TRUE(d.feed(text("much later")).empty());
   }
   driver unmasked;
   EXPECT_EQ(codes_only(unmasked.feed("\x81\x02hi"s)), (std::vector<seen>{failure(1002)}));
   driver big_ping;
   EXPECT_EQ(codes_only(big_ping.feed(ping(std::string(126, 'p')))),
             (std::vector<seen>{failure(1002)}));
   driver max_ping;
   EXPECT_EQ(max_ping.feed(ping(std::string(125, 'p'))),
             (std::vector<seen>{{event_type::ping, std::string(125, 'p')}}));
}

TEST(server_protocol, utf8_split_across_fragments_is_accepted) {
   std::string const euro = "\xe2\x82\xac";
   std::string const emoji = "\xf0\x9f\x98\x80";
   driver d;
   EXPECT_EQ(d.feed(text(euro.substr(0, 1), false) + continuation(euro.substr(1, 1), false) +
                    continuation(euro.substr(2) + emoji.substr(0, 3), false) +
                    continuation(emoji.substr(3))),
             (std::vector<seen>{text_event(euro + emoji)}));
}

TEST(server_protocol, invalid_utf8_in_the_first_fragment_fails_before_the_rest_arrives) {
   driver d;
   // The surrogate U+D800 in the first of three fragments.
   EXPECT_EQ(codes_only(d.feed(text("ok \xed\xa0\x80", false))),
             (std::vector<seen>{failure(1007)}));
   EXPECT_TRUE(d.feed(continuation("more", false) + continuation("end")).empty());
}

TEST(server_protocol, invalid_utf8_early_in_a_big_frame_fails_before_the_frame_is_complete) {
   driver d;
   auto const frame = text("valid start \xf4\x90\x80\x80" + std::string(900, 'x'));
   EXPECT_TRUE(d.feed(frame.substr(0, 15)).empty()); // header and "valid sta"
   EXPECT_EQ(codes_only(d.feed(frame.substr(15, 10))), (std::vector<seen>{failure(1007)}));
   EXPECT_TRUE(d.feed(frame.substr(25)).empty());
   // The same in a continuation frame, its mask offset not a multiple of four.
   driver continued;
   auto const second = continuation("abc\xed\xa0\x80" + std::string(900, 'y'));
   EXPECT_TRUE(continued.feed(text("{", false) + second.substr(0, 11)).empty());
   EXPECT_EQ(codes_only(continued.feed(second.substr(11, 3))), (std::vector<seen>{failure(1007)}));
}

TEST(server_protocol, a_big_valid_frame_checked_while_arriving_is_delivered_intact) {
   std::string message = "{\"text\":\"";
   for (int i = 0; i < 200; ++i) {
      message += "\xce\xba\xe1\xbd\xb9\xf0\x9f\x98\x80";
   }
   message += "\"}";
   for (std::size_t const piece : {1U, 3U, 5U, 64U}) {
      driver d(4000);
      EXPECT_EQ(d.feed(text("[", false) + continuation(message.substr(0, 999), false) +
                           continuation(message.substr(999)),
                       piece),
                (std::vector<seen>{text_event("[" + message)}))
          << "pieces of " << piece;
      driver single(4000);
      EXPECT_EQ(single.feed(text(message), piece), (std::vector<seen>{text_event(message)}));
   }
}

TEST(server_protocol, a_code_point_cut_off_by_the_final_fragment_fails_with_1007) {
   driver d;
   EXPECT_EQ(codes_only(d.feed(text("a", false) + continuation("\xe2\x82"))),
             (std::vector<seen>{failure(1007)}));
   driver single;
   EXPECT_EQ(codes_only(single.feed(text("\xe2\x82"))), (std::vector<seen>{failure(1007)}));
}

TEST(server_protocol, rejects_overlong_surrogate_and_out_of_range_sequences) {
   for (std::string const& bad :
        {"\xc0\xaf"s, "\xe0\x80\xaf"s, "\xf0\x80\x80\xaf"s, "\xed\xbf\xbf"s, "\xf4\x90\x80\x80"s,
         "\xf5\x80\x80\x80"s, "\x80"s, "\xff"s}) {
      driver d;
      EXPECT_EQ(codes_only(d.feed(text(bad))), (std::vector<seen>{failure(1007)}));
   }
   for (std::string const& good : {"\x7f"s, "\xc2\x80"s, "\xed\x9f\xbf"s, "\xee\x80\x80"s,
                                   "\xf4\x8f\xbf\xbf"s, "\xef\xbb\xbf"s}) {
      driver d;
      EXPECT_EQ(d.feed(text(good)), (std::vector<seen>{text_event(good)}));
   }
}

TEST(server_protocol, a_frame_over_the_limit_fails_as_soon_as_its_length_is_known) {
   driver d(100);
   // Only the first four bytes of a 101-byte frame (no mask, no payload yet).
   auto const header = text(std::string(101, 'x')).substr(0, 4);
   EXPECT_EQ(codes_only(d.feed(header)), (std::vector<seen>{failure(1009)}));
   driver exact(100);
   EXPECT_EQ(exact.feed(text(std::string(100, 'x'))),
             (std::vector<seen>{text_event(std::string(100, 'x'))}));
}

TEST(server_protocol, fragments_count_against_the_limit_when_the_next_header_arrives) {
   driver d(100);
   EXPECT_TRUE(d.feed(text(std::string(60, 'x'), false)).empty());
   auto const second = continuation(std::string(41, 'y'));
   EXPECT_EQ(codes_only(d.feed(second.substr(0, 2))), (std::vector<seen>{failure(1009)}));
   driver at_limit(100);
   EXPECT_EQ(at_limit.feed(text(std::string(60, 'x'), false) + ping("") +
                           continuation(std::string(40, 'y'))),
             (std::vector<seen>{{event_type::ping, ""},
                                text_event(std::string(60, 'x') + std::string(40, 'y'))}));
}

TEST(server_protocol, pings_still_pass_when_a_fragmented_message_is_near_the_limit) {
   driver d(10);
   EXPECT_EQ(
       d.feed(text(std::string(10, 'x'), false) + ping(std::string(125, 'p')) + continuation("")),
       (std::vector<seen>{{event_type::ping, std::string(125, 'p')},
                          text_event(std::string(10, 'x'))}));
}

TEST(server_protocol, close_codes_that_may_be_sent_are_reported) {
   for (std::uint16_t const code :
        {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999}) {
      driver d;
      EXPECT_EQ(d.feed(close_frame(close_payload(code))),
                (std::vector<seen>{{event_type::close, "", code}}));
   }
   driver empty;
   EXPECT_EQ(empty.feed(close_frame("")),
             (std::vector<seen>{{event_type::close, "", close_code::no_status}}));
}

TEST(server_protocol, bad_close_frames_fail_with_1002_and_bad_reasons_with_1007) {
   for (std::uint16_t const code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
      driver d;
      EXPECT_EQ(codes_only(d.feed(close_frame(close_payload(code)))),
                (std::vector<seen>{failure(1002)}))
          << code;
      EXPECT_TRUE(d.protocol.close_received());
   }
   driver one_byte;
   EXPECT_EQ(codes_only(one_byte.feed(close_frame("\x03"))), (std::vector<seen>{failure(1002)}));
   driver bad_reason;
   EXPECT_EQ(codes_only(bad_reason.feed(close_frame(close_payload(1000, "\xed\xa0\x80")))),
             (std::vector<seen>{failure(1007)}));
   driver long_reason;
   auto const reason = std::string(123, 'r');
   EXPECT_EQ(long_reason.feed(close_frame(close_payload(1000, reason))),
             (std::vector<seen>{{event_type::close, reason, 1000}}));
}

TEST(server_protocol, nothing_after_the_clients_close_is_read) {
   driver d;
   auto const events = d.feed(close_frame(close_payload(1000)) + text("late") + ping("late"));
   EXPECT_EQ(events, (std::vector<seen>{{event_type::close, "", 1000}}));
   EXPECT_TRUE(d.protocol.discarding());
   EXPECT_FALSE(d.protocol.handshake_complete());
   d.protocol.on_close_sent();
   EXPECT_TRUE(d.protocol.handshake_complete());
}

TEST(server_protocol, after_our_close_only_the_clients_close_counts) {
   driver d;
   d.protocol.on_close_sent();
   EXPECT_TRUE(d.protocol.close_sent());
   EXPECT_FALSE(d.protocol.handshake_complete());
   auto const events = d.feed(text("ignored") + ping("ignored") + text("half", false) +
                              continuation("rest") + close_frame(close_payload(1000)));
   EXPECT_EQ(events, (std::vector<seen>{{event_type::close, "", 1000}}));
   EXPECT_TRUE(d.protocol.handshake_complete());
}

TEST(server_protocol, discard_input_drops_everything_including_a_partial_frame) {
   driver d;
   auto const frame = text("complete later");
   EXPECT_TRUE(d.feed(frame.substr(0, 5)).empty());
   d.protocol.discard_input();
   EXPECT_TRUE(d.feed(frame.substr(5) + text("more")).empty());
   EXPECT_TRUE(d.protocol.discarding());
}

TEST(server_protocol, a_64_bit_length_with_the_top_bit_set_is_a_protocol_error) {
   driver d;
   std::string const header = "\x81\xff\x80\x00\x00\x00\x00\x00\x00\x01"s;
   EXPECT_EQ(codes_only(d.feed(header)), (std::vector<seen>{failure(1002)}));
}

} // namespace
} // namespace notify::ws
