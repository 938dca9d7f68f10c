#pragma once

// The server side of RFC 6455 after the handshake, without I/O: client bytes in, events out.
// The session that drives it does the reading and writing (it builds the frames it sends with
// ws::make_frame / make_close_frame) and owns every application rule; this class owns framing,
// fragment reassembly, the inbound size limit, UTF-8 checking of text and the close handshake
// state. It is pure and deterministic, so unit tests and the fuzzer run exactly what ships.

#include "notify/ws/frame.hpp"
#include "notify/ws/utf8_validator.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace notify::ws {

enum class event_type : std::uint8_t {
   need_more, ///< every byte fed so far is consumed; feed more
   text,      ///< a whole text message, valid UTF-8
   binary,    ///< a whole binary message
   ping,      ///< answer with a pong carrying the same payload
   pong,
   close,   ///< the client's close: `code` (1005 when it sent none) and reason
   failure, ///< the client broke the protocol: close with `code`; later input is discarded
};

struct protocol_event {
   event_type type = event_type::need_more;
   /// The message, ping/pong payload, close reason or failure reason. Valid until the next
   /// call of next() or feed().
   std::string_view payload;
   std::uint16_t code = 0;
};

class server_protocol {
public:
   /// `max_message_bytes`: the largest message, fragments added up (below 4 GiB); a frame that
   /// would pass it fails with 1009 as soon as its length is known, before its payload is
   /// buffered.
   explicit server_protocol(std::uint32_t max_message_bytes);

   /// Hands over the next bytes from the client. Whole frames are parsed and unmasked where they
   /// lie (so `data` must stay valid and writable until next() returns need_more); only an
   /// incomplete frame at the end is copied, to be completed by later input. Call it only after
   /// next() has returned need_more.
   void feed(char* data, std::size_t size);

   /// The next event from the bytes fed; need_more once they are all consumed.
   protocol_event next();

   /// Our close frame is queued: data frames and pings are ignored from now on (RFC 6455
   /// section 5.5.1), only the client's close is still looked for.
   void on_close_sent() { close_sent_ = true; }
   /// Ignore everything the client sends from now on (the session gave up on the stream).
   void discard_input();

   bool close_sent() const { return close_sent_; }
   bool close_received() const { return close_received_; }
   /// Both closes are through: the TCP connection may be closed.
   bool handshake_complete() const { return close_sent_ && close_received_; }
   /// Input is dropped unread: after a failure, the client's close, or discard_input().
   bool discarding() const { return discarding_; }

private:
   /// Parses the frame header at the start of `bytes`; the limit counts the message so far.
   parse_status parse(std::string_view bytes, frame_view& frame) const;
   /// Moves input into partial_ until its frame is whole; need_more when input runs out first.
   parse_status complete_partial_frame(frame_view& frame);
   /// UTF-8 checks the part of an incomplete text frame that has arrived, so a bad byte early in
   /// a big frame fails at once.
   protocol_event check_partial_text(const frame_view& frame);
   /// Unmasks payload bytes [from, to).
   static void unmask_from(char* payload, std::size_t from, std::size_t to,
                           const std::uint8_t (&mask)[4]);
   /// `checked`: leading payload bytes already unmasked and UTF-8 checked by check_partial_text.
   protocol_event on_frame(const frame_view& frame, std::string_view payload, std::size_t checked);
   protocol_event on_close_frame(std::string_view payload);
   protocol_event on_data_frame(const frame_view& frame, std::string_view payload,
                                std::size_t checked);
   protocol_event fail(std::uint16_t code, std::string_view reason);
   /// Frees what the last event pointed into.
   void release_delivered();

   // One per connection: 32-bit sizes (frames are below the limit) keep the object small.
   std::uint32_t max_message_bytes_;
   /// Payload bytes at the start of partial_'s frame already unmasked and UTF-8 checked.
   std::uint32_t partial_checked_ = 0;
   char* input_ = nullptr;
   std::size_t input_bytes_ = 0;
   std::string partial_; ///< an incomplete frame, kept between feeds
   std::string message_; ///< the fragments of a message in progress
   utf8_validator utf8_;
   /// continuation: no fragmented message in progress
   opcode message_opcode_ = opcode::continuation;
   bool partial_delivered_ = false; ///< the last event pointed into partial_
   bool message_delivered_ = false; ///< the last event pointed into message_
   bool close_sent_ = false;
   bool close_received_ = false;
   bool discarding_ = false;
};

} // namespace notify::ws
