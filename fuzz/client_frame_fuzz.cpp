// Client bytes as websocket_session::consume_frames reads them: a stream of masked frames, each
// unmasked in place; control frames answered, close payloads checked; data frames reassembled
// within the inbound limit; text checked as UTF-8, then parsed as JSON like on_text_message.

#include "fuzz_support.hpp"
#include "notify/common/user_id.hpp"
#include "notify/ws/frame.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace {

using namespace notify;

constexpr std::size_t max_inbound_bytes = 4096; // the default of limits.max_inbound_bytes

bool is_control(ws::opcode op) {
   return static_cast<std::uint8_t>(op) >= 0x8;
}

void on_text_message(std::string_view text) {
   if (!valid_utf8(text)) {
      return; // the session closes with 1007
   }
   auto const message = nlohmann::json::parse(text, nullptr, false);
   if (message.is_discarded() || !message.is_object()) {
      return;
   }
   if (auto const type = message.find("type"); type != message.end() && type->is_string()) {
      (void)type->get_ref<std::string const&>();
   }
   if (auto const user = message.find("userId"); user != message.end()) {
      if (user->is_string()) {
         (void)user->get<std::string>();
      } else if (user->is_number_integer()) {
         FUZZ_CHECK(!user->dump().empty()); // the session takes the decimal text as the id
      }
   }
}

void on_close_frame(std::string_view payload) {
   std::uint16_t code = 0;
   std::string_view reason;
   if (!ws::parse_close_payload(payload, code, reason)) {
      return;
   }
   FUZZ_CHECK(valid_utf8(reason));
   FUZZ_CHECK(reason.empty() || (reason.data() >= payload.data() &&
                                 reason.data() + reason.size() <= payload.data() + payload.size()));
   auto const reply = ws::make_close_frame(code, reason);
   FUZZ_CHECK(reply && reply->size() <= 2 + 125);
}

/// Reassembly as websocket_session::on_frame does it; false when the session would close.
class message_assembler {
public:
   bool on_frame(ws::frame_view const& frame, std::string_view payload) {
      if (frame.op == ws::opcode::ping) {
         FUZZ_CHECK(ws::make_frame(ws::opcode::pong, payload)->size() == 2 + payload.size());
         return true;
      }
      if (frame.op == ws::opcode::close) {
         on_close_frame(payload);
         return false;
      }
      if (frame.op == ws::opcode::pong) {
         return true;
      }
      bool const continuation = frame.op == ws::opcode::continuation;
      if (continuation != in_progress_) {
         return false;
      }
      if (frame.fin && !continuation) {
         deliver(frame.op, payload);
         return true;
      }
      if (message_.size() + payload.size() > max_inbound_bytes) {
         return false;
      }
      if (!continuation) {
         first_opcode_ = frame.op;
         in_progress_ = true;
      }
      message_.append(payload);
      if (frame.fin) {
         deliver(first_opcode_, message_);
         message_.clear();
         in_progress_ = false;
      }
      return true;
   }

private:
   static void deliver(ws::opcode op, std::string_view message) {
      if (op == ws::opcode::text) {
         on_text_message(message);
      }
   }

   std::string message_;
   ws::opcode first_opcode_ = ws::opcode::text;
   bool in_progress_ = false;
};

/// What parse_client_frame promises about a complete frame.
void check_frame(std::string_view bytes, ws::frame_view const& frame) {
   // Client frames are masked: 2 header bytes + 4 mask bytes + 0, 2 or 8 length bytes.
   FUZZ_CHECK(frame.header_bytes == 6 || frame.header_bytes == 8 || frame.header_bytes == 14);
   FUZZ_CHECK(frame.total_bytes() <= bytes.size());
   FUZZ_CHECK(frame.payload_bytes <= max_inbound_bytes);
   if (is_control(frame.op)) {
      FUZZ_CHECK(frame.fin && frame.payload_bytes <= 125);
   }
   // One byte less is not a whole frame yet.
   ws::frame_view shorter;
   FUZZ_CHECK(ws::parse_client_frame(bytes.substr(0, frame.total_bytes() - 1), max_inbound_bytes,
                                     shorter) == ws::parse_status::need_more);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
   std::string stream(fuzz::as_text(data, size)); // unmask writes in place, as the session does
   message_assembler assembler;
   std::size_t offset = 0;
   while (offset < stream.size()) {
      auto const rest = std::string_view(stream).substr(offset);
      ws::frame_view frame;
      if (ws::parse_client_frame(rest, max_inbound_bytes, frame) != ws::parse_status::complete) {
         break; // need_more waits; protocol_error and too_big close the connection
      }
      check_frame(rest, frame);
      char* payload = stream.data() + offset + frame.header_bytes;
      std::string const masked(payload, frame.payload_bytes);
      ws::unmask(payload, frame.payload_bytes, frame.mask);
      std::string twice(payload, frame.payload_bytes);
      ws::unmask(twice.data(), twice.size(), frame.mask);
      FUZZ_CHECK(twice == masked); // XOR with the same mask is its own inverse
      if (!assembler.on_frame(frame, std::string_view(payload, frame.payload_bytes))) {
         break;
      }
      offset += frame.total_bytes();
   }
   return 0;
}
