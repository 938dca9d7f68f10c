#include "notify/server/auth_lockout.hpp"

namespace notify::server {

auth_lockout::auth_lockout(unsigned max_failures, std::chrono::seconds lockout,
                           std::size_t max_tracked_addresses)
    : max_failures_(max_failures)
    , lockout_(lockout)
    , records_(max_tracked_addresses) {}

bool auth_lockout::expired(const record& r, clock::time_point now) const {
   return now >= r.locked_until && now - r.window_start >= lockout_;
}

std::chrono::seconds auth_lockout::locked_for(const std::string& address,
                                              clock::time_point now) const {
   if (!enabled()) {
      return std::chrono::seconds{0};
   }
   std::lock_guard lock(mutex_);
   auto const* const found = records_.find(address);
   if (found == nullptr || now >= found->locked_until) {
      return std::chrono::seconds{0};
   }
   // Rounded up: a client told "retry after 0 s" would come straight back.
   return std::chrono::ceil<std::chrono::seconds>(found->locked_until - now);
}

bool auth_lockout::record_failure(const std::string& address, clock::time_point now) {
   if (!enabled()) {
      return false;
   }
   std::lock_guard lock(mutex_);
   auto* const found = records_.find_or_add(
       address, now,
       [&] {
          return record{0, now, {}};
       },
       [this](const record& r, clock::time_point at) { return expired(r, at); });
   tracked_.store(records_.size(), std::memory_order_relaxed);
   if (found == nullptr) {
      return false;
   }
   auto& r = *found;
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

} // namespace notify::server
