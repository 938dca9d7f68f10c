#include "notify/ws/server_protocol.hpp"

#include <algorithm>
#include <utility>

namespace notify::ws {

namespace {

/// An idle connection keeps no big buffer: anything larger is freed once it is used up.
constexpr std::size_t kept_buffer_capacity = 256;

void release(std::string& buffer) {
   if (buffer.capacity() > kept_buffer_capacity) {
      std::string().swap(buffer);
   } else {
      buffer.clear();
   }
}

/// Header size of a masked client frame, from its second byte.
std::size_t masked_header_bytes(char second_byte) {
   auto const length = static_cast<std::uint8_t>(second_byte) & 0x7F;
   return 2 + (length == 126 ? 2 : length == 127 ? 8 : 0) + 4;
}

event_type event_for(opcode op) {
   return op == opcode::text ? event_type::text : event_type::binary;
}

} // namespace

server_protocol::server_protocol(std::uint32_t max_message_bytes)
    : max_message_bytes_(max_message_bytes) {}

void server_protocol::feed(char* data, std::size_t size) {
   if (discarding_) {
      return;
   }
   input_ = data;
   input_bytes_ = size;
}

void server_protocol::discard_input() {
   discarding_ = true;
   input_bytes_ = 0;
}

protocol_event server_protocol::next() {
   release_delivered();
   while (!discarding_) {
      frame_view frame;
      char* start = nullptr;
      parse_status status = parse_status::need_more;
      if (!partial_.empty()) {
         status = complete_partial_frame(frame);
         if (status == parse_status::need_more) {
            return check_partial_text(frame);
         }
         start = partial_.data();
         partial_delivered_ = true;
      } else {
         if (input_bytes_ == 0) {
            return {};
         }
         status = parse(std::string_view(input_, input_bytes_), frame);
         if (status == parse_status::need_more) {
            partial_.assign(input_, input_bytes_);
            input_bytes_ = 0;
            return check_partial_text(frame);
         }
         start = input_;
         if (status == parse_status::complete) {
            input_ += frame.total_bytes();
            input_bytes_ -= frame.total_bytes();
         }
      }
      if (status == parse_status::protocol_error) {
         return fail(close_code::protocol_error, "protocol error");
      }
      if (status == parse_status::too_big) {
         return fail(close_code::message_too_big, "message too big");
      }
      char* payload = start + frame.header_bytes;
      auto const checked = std::exchange(partial_checked_, 0);
      unmask_from(payload, checked, frame.payload_bytes, frame.mask);
      auto event = on_frame(frame, std::string_view(payload, frame.payload_bytes), checked);
      if (event.type != event_type::need_more) {
         return event;
      }
      release_delivered();
   }
   // Dropped unread; what is still held goes too.
   input_bytes_ = 0;
   release(partial_);
   partial_checked_ = 0;
   std::string().swap(message_);
   return {};
}

parse_status server_protocol::parse(std::string_view bytes, frame_view& frame) const {
   return parse_client_frame(bytes, max_message_bytes_, frame, message_.size());
}

parse_status server_protocol::complete_partial_frame(frame_view& frame) {
   auto take_up_to = [&](std::size_t wanted) {
      if (partial_.size() >= wanted) {
         return;
      }
      auto const bytes = std::min(wanted - partial_.size(), input_bytes_);
      partial_.append(input_, bytes);
      input_ += bytes;
      input_bytes_ -= bytes;
   };
   take_up_to(2);
   if (partial_.size() < 2) {
      return parse_status::need_more;
   }
   take_up_to(masked_header_bytes(partial_[1]));
   auto const status = parse(partial_, frame);
   if (status != parse_status::need_more || frame.header_bytes == 0) {
      return status;
   }
   take_up_to(frame.total_bytes());
   return parse(partial_, frame);
}

protocol_event server_protocol::check_partial_text(const frame_view& frame) {
   bool const continuation = frame.op == opcode::continuation;
   bool const text = continuation
                         ? message_opcode_ == opcode::text
                         : frame.op == opcode::text && message_opcode_ == opcode::continuation;
   if (frame.header_bytes == 0 || !text || close_sent_) {
      return {}; // not (yet) known to be text; the whole frame is checked when it is complete
   }
   auto const arrived = std::min(partial_.size() - frame.header_bytes, frame.payload_bytes);
   if (arrived == partial_checked_) {
      return {};
   }
   if (!continuation && partial_checked_ == 0) {
      utf8_.reset();
   }
   char* payload = partial_.data() + frame.header_bytes;
   unmask_from(payload, partial_checked_, arrived, frame.mask);
   auto const fresh = std::string_view(payload + partial_checked_, arrived - partial_checked_);
   partial_checked_ = static_cast<std::uint32_t>(arrived);
   if (!utf8_.feed(fresh)) {
      return fail(close_code::invalid_payload, "text is not valid UTF-8");
   }
   return {};
}

void server_protocol::unmask_from(char* payload, std::size_t from, std::size_t to,
                                  const std::uint8_t (&mask)[4]) {
   if (from >= to) {
      return;
   }
   // The mask repeats every four bytes from the start of the payload.
   std::uint8_t const rotated[4] = {mask[from & 3], mask[(from + 1) & 3], mask[(from + 2) & 3],
                                    mask[(from + 3) & 3]};
   unmask(payload + from, to - from, rotated);
}

protocol_event server_protocol::on_frame(const frame_view& frame, std::string_view payload,
                                         std::size_t checked) {
   switch (frame.op) {
   case opcode::ping:
      return close_sent_ ? protocol_event{} : protocol_event{event_type::ping, payload};
   case opcode::pong:
      return close_sent_ ? protocol_event{} : protocol_event{event_type::pong, payload};
   case opcode::close:
      return on_close_frame(payload);
   case opcode::continuation:
   case opcode::text:
   case opcode::binary:
      break;
   }
   return on_data_frame(frame, payload, checked);
}

protocol_event server_protocol::on_close_frame(std::string_view payload) {
   // Nothing may follow the client's close (RFC 6455 section 5.5.1).
   close_received_ = true;
   discarding_ = true;
   input_bytes_ = 0;
   std::uint16_t code = 0;
   std::string_view reason;
   if (parse_close_payload(payload, code, reason)) {
      return {event_type::close, reason, code};
   }
   if (payload.size() >= 2 && is_valid_close_code(code)) {
      return fail(close_code::invalid_payload, "close reason is not valid UTF-8");
   }
   return fail(close_code::protocol_error, "bad close frame");
}

protocol_event server_protocol::on_data_frame(const frame_view& frame, std::string_view payload,
                                              std::size_t checked) {
   if (close_sent_) {
      return {}; // the client may still be sending what it had started
   }
   bool const continuation = frame.op == opcode::continuation;
   bool const in_progress = message_opcode_ != opcode::continuation;
   if (continuation != in_progress) {
      return fail(close_code::protocol_error, continuation
                                                  ? "continuation frame without a message"
                                                  : "new message inside a fragmented message");
   }
   if (!continuation && checked == 0) {
      utf8_.reset();
   }
   auto const op = continuation ? message_opcode_ : frame.op;
   // Checked fragment by fragment (and the first `checked` bytes while the frame was still
   // arriving), so bad text fails before the rest of the message is even sent.
   if (op == opcode::text &&
       (!utf8_.feed(payload.substr(checked)) || (frame.fin && !utf8_.complete()))) {
      return fail(close_code::invalid_payload, "text is not valid UTF-8");
   }
   if (frame.fin && !continuation) {
      return {event_for(op), payload}; // the common case: no copy
   }
   if (!continuation) {
      message_opcode_ = frame.op;
   }
   message_.append(payload);
   if (!frame.fin) {
      return {};
   }
   message_opcode_ = opcode::continuation;
   message_delivered_ = true;
   return {event_for(op), message_};
}

protocol_event server_protocol::fail(std::uint16_t code, std::string_view reason) {
   discard_input();
   return {event_type::failure, reason, code};
}

void server_protocol::release_delivered() {
   if (partial_delivered_) {
      partial_delivered_ = false;
      release(partial_);
   }
   if (message_delivered_) {
      message_delivered_ = false;
      std::string().swap(message_);
   }
}

} // namespace notify::ws
