// Client bytes through ws::server_protocol, the core websocket_session drives, checked against
// what it promises: no crash; nothing after a failure; no message over the limit; text always
// valid UTF-8; and the same events however the bytes are split across reads (once at a point
// the input picks, once a byte at a time). Text messages are then parsed as JSON like
// websocket_session::on_text_message does.

#include "fuzz_support.hpp"
#include "notify/common/user_id.hpp"
#include "notify/ws/server_protocol.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using namespace notify;

constexpr std::size_t max_inbound_bytes = 4096; // the default of limits.max_inbound_bytes

struct recorded_event {
   ws::event_type type;
   std::string payload;
   std::uint16_t code;
   bool operator==(const recorded_event&) const = default;
};

void on_text_message(std::string_view text) {
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

/// What the session would do with `event`, and what the core promises about it.
void check_event(const ws::protocol_event& event, bool& failed) {
   FUZZ_CHECK(!failed); // a failure ends the stream
   switch (event.type) {
   case ws::event_type::need_more:
      break;
   case ws::event_type::text:
      FUZZ_CHECK(event.payload.size() <= max_inbound_bytes);
      FUZZ_CHECK(valid_utf8(event.payload));
      on_text_message(event.payload);
      break;
   case ws::event_type::binary:
      FUZZ_CHECK(event.payload.size() <= max_inbound_bytes);
      break;
   case ws::event_type::ping:
   case ws::event_type::pong:
      FUZZ_CHECK(event.payload.size() <= 125);
      FUZZ_CHECK(ws::make_frame(ws::opcode::pong, event.payload)->size() ==
                 2 + event.payload.size());
      break;
   case ws::event_type::close:
      FUZZ_CHECK(event.code == ws::close_code::no_status || ws::is_valid_close_code(event.code));
      FUZZ_CHECK(valid_utf8(event.payload));
      FUZZ_CHECK(ws::make_close_frame(event.code, event.payload)->size() <= 2 + 125);
      failed = true; // nothing may follow the client's close either
      break;
   case ws::event_type::failure:
      FUZZ_CHECK(event.code == ws::close_code::protocol_error ||
                 event.code == ws::close_code::invalid_payload ||
                 event.code == ws::close_code::message_too_big);
      failed = true;
      break;
   }
}

/// Feeds `stream` in pieces of `first` bytes, then `piece` bytes at a time (0: the rest).
std::vector<recorded_event> run(std::string stream, std::size_t first, std::size_t piece) {
   ws::server_protocol protocol(max_inbound_bytes);
   std::vector<recorded_event> events;
   bool failed = false;
   std::size_t offset = 0;
   while (offset < stream.size()) {
      auto const wanted = offset == 0 ? first : piece;
      auto const bytes =
          wanted == 0 ? stream.size() - offset : std::min(wanted, stream.size() - offset);
      protocol.feed(stream.data() + offset, bytes); // unmasked in place, as in the read buffer
      offset += bytes;
      for (auto event = protocol.next(); event.type != ws::event_type::need_more;
           event = protocol.next()) {
         check_event(event, failed);
         events.push_back({event.type, std::string(event.payload), event.code});
      }
      FUZZ_CHECK(!failed || protocol.discarding());
   }
   return events;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
   std::string const stream(fuzz::as_text(data, size));
   auto const whole = run(stream, stream.size(), 0);
   // The input picks the split through its last byte, so the stream itself keeps its meaning.
   auto const split = size == 0 ? 0 : (data[size - 1] * 131U + size) % (size + 1);
   FUZZ_CHECK(run(stream, split, 0) == whole);
   if (size <= 2048) {
      FUZZ_CHECK(run(stream, 1, 1) == whole);
   }
   return 0;
}
