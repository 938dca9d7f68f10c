// Channel names and payloads come from Redis. Input: the channel on the first line, the payload
// after it. Three schemes cover a prefix and a suffix, a prefix only, and a bare '*'; the history
// live channels take "<id> <previous id> <json>".

#include "fuzz_support.hpp"
#include "notify/common/user_id.hpp"
#include "notify/routing/channel.hpp"
#include "notify/routing/history_names.hpp"
#include "notify/routing/notification.hpp"

#include <array>
#include <nlohmann/json.hpp>

namespace {

using namespace notify;
using routing::route;

constexpr std::size_t max_user_id_bytes = 256;
constexpr std::size_t max_payload_bytes = 1024;

void check_channel(routing::channel_scheme const& scheme, std::string_view channel,
                   std::string_view payload) {
   auto const parsed = scheme.parse(channel);
   if (parsed.target && parsed.target->kind == route::scope::user) {
      FUZZ_CHECK(valid_user_id(parsed.target->user_id, max_user_id_bytes));
      FUZZ_CHECK(scheme.user_channel(parsed.target->user_id) == channel); // parse inverts it
   } else if (parsed.target) {
      FUZZ_CHECK(channel == scheme.global_channel() && parsed.target->user_id.empty());
   }

   auto const prepared = routing::prepare_notification(scheme, channel, payload, max_payload_bytes);
   if (!prepared.ready) {
      FUZZ_CHECK(!routing::reason(prepared.dropped).empty());
      return;
   }
   FUZZ_CHECK(parsed.target && prepared.ready->target.kind == parsed.target->kind &&
              prepared.ready->target.user_id == parsed.target->user_id);
   FUZZ_CHECK(payload.size() <= max_payload_bytes && valid_utf8(payload));
   FUZZ_CHECK(nlohmann::json::accept(payload));
   auto const& frame = prepared.ready->frame;
   FUZZ_CHECK(frame && frame->size() > payload.size() && frame->ends_with(payload));
   // The envelope embeds the payload as "data", so it must stay valid JSON.
   auto const& envelope = prepared.ready->envelope;
   FUZZ_CHECK(envelope && envelope->ends_with(std::string(payload) + "}"));
}

/// A history live channel: "<id> <previous id> <json>", positions strictly increasing.
void check_history_message(routing::channel_scheme const& live, std::string_view channel,
                           std::string_view message) {
   auto const prepared =
       routing::prepare_history_notification(live, channel, message, max_payload_bytes);
   if (!prepared.ready) {
      return;
   }
   auto const& position = prepared.ready->position;
   FUZZ_CHECK(position && position->previous < position->id);
   auto const parsed = routing::parse_live_message(message);
   FUZZ_CHECK(parsed && parsed->id == position->id);
   if (prepared.ready->frame) {
      FUZZ_CHECK(nlohmann::json::accept(parsed->payload));
      auto const& framed = *prepared.ready->envelope;
      // Skip the frame header (2, 4 or 10 bytes by payload length, RFC 6455 5.2).
      std::size_t const header = framed.size() - 2 < 126 ? 2 : framed.size() - 4 < 65536 ? 4 : 10;
      auto const envelope = nlohmann::json::parse(framed.substr(header), nullptr, false);
      FUZZ_CHECK(!envelope.is_discarded() && envelope["id"] == to_string(position->id));
   }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
   static std::array<routing::channel_scheme, 3> const schemes = {
       routing::channel_scheme("user:*:notifications", "global_notifications", max_user_id_bytes),
       routing::channel_scheme("u:*", "all", max_user_id_bytes),
       routing::channel_scheme("*", "", max_user_id_bytes),
   };
   auto const [channel, payload] = fuzz::split_first_line(fuzz::as_text(data, size));
   for (auto const& scheme : schemes) {
      check_channel(scheme, channel, payload);
   }
   static routing::history_names const history("notify:", max_user_id_bytes);
   check_history_message(history.live_channels(), channel, payload);
   return 0;
}
