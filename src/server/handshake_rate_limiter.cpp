#include "notify/server/handshake_rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace notify::server {

handshake_rate_limiter::handshake_rate_limiter(unsigned rate_per_second, unsigned burst,
                                               std::size_t max_tracked_addresses)
    : rate_per_second_(rate_per_second)
    , burst_(std::max(1U, burst))
    , buckets_(max_tracked_addresses) {}

double handshake_rate_limiter::refilled(const bucket& b, clock::time_point now) const {
   auto const elapsed = std::chrono::duration<double>(now - b.updated).count();
   return std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_per_second_);
}

bool handshake_rate_limiter::try_take(const std::string& address, clock::time_point now) {
   if (!enabled()) {
      return true;
   }
   std::lock_guard lock(mutex_);
   // A full bucket carries no information, so it is what a full table drops; an address the
   // full table cannot track is let through (the connection limits still hold) rather than
   // everyone being locked out.
   auto* const found = buckets_.find_or_add(
       address, now,
       [&] {
          return bucket{burst_, now};
       },
       [this](const bucket& b, clock::time_point at) { return refilled(b, at) >= burst_; });
   if (found == nullptr) {
      return true;
   }
   auto& b = *found;
   b.tokens = refilled(b, now);
   b.updated = now;
   if (b.tokens < 1) {
      return false;
   }
   b.tokens -= 1;
   return true;
}

unsigned handshake_rate_limiter::seconds_until_next(const std::string& address,
                                                    clock::time_point now) const {
   std::lock_guard lock(mutex_);
   auto const* const found = buckets_.find(address);
   if (!enabled() || found == nullptr) {
      return 1;
   }
   auto const missing = 1 - refilled(*found, now);
   return static_cast<unsigned>(std::max(1.0, std::ceil(missing / rate_per_second_)));
}

std::size_t handshake_rate_limiter::tracked_addresses() const {
   std::lock_guard lock(mutex_);
   return buckets_.size();
}

} // namespace notify::server
