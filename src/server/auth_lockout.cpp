#include "notify/server/auth_lockout.hpp"

namespace notify::server {

namespace {

constexpr std::chrono::seconds sweep_interval{1};

} // namespace

auth_lockout::auth_lockout(unsigned max_failures, std::chrono::seconds lockout,
                           std::size_t max_tracked_addresses)
    : max_failures_(max_failures)
    , lockout_(lockout)
    , max_tracked_(max_tracked_addresses) {}

bool auth_lockout::expired(const record& r, clock::time_point now) const {
   return now >= r.locked_until && now - r.window_start >= lockout_;
}

std::chrono::seconds auth_lockout::locked_for(const std::string& address,
                                              clock::time_point now) const {
   if (!enabled()) {
      return std::chrono::seconds{0};
   }
   std::lock_guard lock(mutex_);
   auto const found = records_.find(address);
   if (found == records_.end() || now >= found->second.locked_until) {
      return std::chrono::seconds{0};
   }
   // Rounded up: a client told "retry after 0 s" would come straight back.
   auto const left = found->second.locked_until - now;
   return std::chrono::ceil<std::chrono::seconds>(left);
}

bool auth_lockout::record_failure(const std::string& address, clock::time_point now) {
   if (!enabled()) {
      return false;
   }
   std::lock_guard lock(mutex_);
   auto found = records_.find(address);
   if (found == records_.end()) {
      if (records_.size() >= max_tracked_) {
         forget_expired(now);
         if (records_.size() >= max_tracked_) {
            return false;
         }
      }
      found = records_.emplace(address, record{0, now, {}}).first;
      tracked_.store(records_.size(), std::memory_order_relaxed);
   }
   auto& r = found->second;
   if (expired(r, now)) {
      r = record{0, now, {}};
   }
   ++r.failures;
   if (r.failures >= max_failures_ && now >= r.locked_until) {
      r.locked_until = now + lockout_;
      return true;
   }
   return false;
}

void auth_lockout::record_success(const std::string& address) {
   if (!enabled()) {
      return;
   }
   std::lock_guard lock(mutex_);
   records_.erase(address);
   tracked_.store(records_.size(), std::memory_order_relaxed);
}

std::size_t auth_lockout::tracked_addresses() const {
   std::lock_guard lock(mutex_);
   return records_.size();
}

void auth_lockout::forget_expired(clock::time_point now) {
   if (now - last_sweep_ < sweep_interval && last_sweep_ != clock::time_point{}) {
      return;
   }
   last_sweep_ = now;
   std::erase_if(records_, [&](auto const& entry) { return expired(entry.second, now); });
   tracked_.store(records_.size(), std::memory_order_relaxed);
}

} // namespace notify::server
