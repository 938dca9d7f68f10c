#pragma once

#include "notify/server/bounded_address_table.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace notify::server {

/// The seed's brute-force rule, per client address and in memory (per gateway instance): after
/// `max_failures` failed authentications within `lockout` of the first one, the address is
/// refused until `lockout` has passed since the failure that locked it. A success forgets the
/// address's failures. Touched on authentication only, never per message.
///
/// The table is bounded (bounded_address_table): expired records are dropped when it is full,
/// and a table still full of active records tracks no new address.
class auth_lockout {
public:
   using clock = std::chrono::steady_clock;

   /// `max_failures` 0 disables the lockout.
   auth_lockout(unsigned max_failures, std::chrono::seconds lockout,
                std::size_t max_tracked_addresses = 100000);

   bool enabled() const { return max_failures_ > 0; }
   /// How long `address` stays locked out; zero when it may authenticate.
   std::chrono::seconds locked_for(const std::string& address, clock::time_point now) const;
   /// Counts a failure; true when it is the one that locks the address out.
   bool record_failure(const std::string& address, clock::time_point now);
   void record_success(const std::string& address);
   /// False when no address has a failure on record: the common case, checked without a lock
   /// so a successful authentication need not look its address up.
   bool tracking_any() const { return tracked_.load(std::memory_order_relaxed) > 0; }
   std::size_t tracked_addresses() const;

private:
   struct record {
      unsigned failures = 0;
      clock::time_point window_start;
      clock::time_point locked_until;
   };
   bool expired(const record& r, clock::time_point now) const;

   unsigned max_failures_;
   std::chrono::seconds lockout_;
   mutable std::mutex mutex_;
   bounded_address_table<record> records_;
   std::atomic<std::size_t> tracked_{0};
};

} // namespace notify::server
