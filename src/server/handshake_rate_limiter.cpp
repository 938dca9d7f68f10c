#include "notify/server/handshake_rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace notify::server {

namespace {

/// A full table is swept at most this often, so a flood of new addresses cannot make every
/// handshake walk it.
constexpr std::chrono::seconds sweep_interval{1};

} // namespace

handshake_rate_limiter::handshake_rate_limiter(unsigned rate_per_second, unsigned burst,
                                               std::size_t max_tracked_addresses)
    : rate_per_second_(rate_per_second)
    , burst_(std::max(1U, burst))
    , max_tracked_(max_tracked_addresses) {}

double handshake_rate_limiter::refilled(const bucket& b, clock::time_point now) const {
   auto const elapsed = std::chrono::duration<double>(now - b.updated).count();
   return std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_per_second_);
}

bool handshake_rate_limiter::try_take(const std::string& address, clock::time_point now) {
   if (!enabled()) {
      return true;
   }
   std::lock_guard lock(mutex_);
   auto found = buckets_.find(address);
   if (found == buckets_.end()) {
      if (buckets_.size() >= max_tracked_) {
         forget_full_buckets(now);
         if (buckets_.size() >= max_tracked_) {
            return true;
         }
      }
      buckets_.emplace(address, bucket{burst_ - 1, now});
      return true;
   }
   auto& b = found->second;
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
   auto const found = buckets_.find(address);
   if (!enabled() || found == buckets_.end()) {
      return 1;
   }
   auto const missing = 1 - refilled(found->second, now);
   return static_cast<unsigned>(std::max(1.0, std::ceil(missing / rate_per_second_)));
}

std::size_t handshake_rate_limiter::tracked_addresses() const {
   std::lock_guard lock(mutex_);
   return buckets_.size();
}

void handshake_rate_limiter::forget_full_buckets(clock::time_point now) {
   if (now - last_sweep_ < sweep_interval && last_sweep_ != clock::time_point{}) {
      return;
   }
   last_sweep_ = now;
   std::erase_if(buckets_,
                 [&](auto const& entry) { return refilled(entry.second, now) >= burst_; });
}

} // namespace notify::server
