#include "notify/common/stream_id.hpp"

#include <charconv>

namespace notify {

namespace {

std::optional<std::uint64_t> decimal(std::string_view text) {
   constexpr std::size_t max_digits = 20; // 18446744073709551615
   if (text.empty() || text.size() > max_digits || (text.size() > 1 && text.front() == '0')) {
      return std::nullopt;
   }
   std::uint64_t value = 0;
   auto const* end = text.data() + text.size();
   auto const [stop, ec] = std::from_chars(text.data(), end, value);
   if (ec != std::errc{} || stop != end) {
      return std::nullopt;
   }
   return value;
}

} // namespace

std::optional<stream_id> parse_stream_id(std::string_view text) {
   auto const dash = text.find('-');
   if (dash == std::string_view::npos) {
      return std::nullopt;
   }
   auto const ms = decimal(text.substr(0, dash));
   auto const seq = decimal(text.substr(dash + 1));
   if (!ms || !seq) {
      return std::nullopt;
   }
   return stream_id{*ms, *seq};
}

std::string to_string(stream_id id) {
   return std::to_string(id.ms) + "-" + std::to_string(id.seq);
}

} // namespace notify
