#include "notify/history/stream_watermark.hpp"

namespace notify::history {

namespace {

constexpr std::chrono::milliseconds clock_skew_margin{60'000};

} // namespace

bool still_current(stream_id seen, std::chrono::milliseconds max_age,
                   std::chrono::system_clock::time_point now) {
   if (seen.is_zero()) {
      return true; // an empty stream cannot expire; its first entry follows 0-0
   }
   auto const now_ms =
       std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
   if (now_ms < 0 || max_age <= clock_skew_margin) {
      return false;
   }
   auto const now_u = static_cast<std::uint64_t>(now_ms);
   if (seen.ms >= now_u) {
      return true; // written "later" than now: the other host's clock is ahead
   }
   return now_u - seen.ms < static_cast<std::uint64_t>((max_age - clock_skew_margin).count());
}

std::optional<stream_id>
stream_watermark::start_position(std::chrono::milliseconds max_age,
                                 std::chrono::system_clock::time_point now) const {
   if (newest_ && still_current(*newest_, max_age, now)) {
      return newest_;
   }
   return std::nullopt;
}

} // namespace notify::history
