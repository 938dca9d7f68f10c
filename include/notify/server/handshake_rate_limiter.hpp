#pragma once

#include "notify/server/bounded_address_table.hpp"

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace notify::server {

/// A token bucket per client address for WebSocket handshakes, shared by all shards. Touched
/// once per handshake, never per message.
///
/// The table is bounded: buckets that have refilled carry no information and are dropped when
/// it grows; if it is still full of active addresses, new addresses are let through untracked
/// (the total and per-address connection limits still hold) rather than locking everyone out.
class handshake_rate_limiter {
public:
   using clock = std::chrono::steady_clock;

   /// `rate_per_second` 0 disables the limiter.
   handshake_rate_limiter(unsigned rate_per_second, unsigned burst,
                          std::size_t max_tracked_addresses = 100000);

   bool enabled() const { return rate_per_second_ > 0; }
   /// Takes one handshake from `address`'s bucket; false when it is empty.
   bool try_take(const std::string& address, clock::time_point now);
   /// Whole seconds until `address` has a token again (at least 1); for Retry-After.
   unsigned seconds_until_next(const std::string& address, clock::time_point now) const;
   std::size_t tracked_addresses() const;

private:
   struct bucket {
      double tokens;
      clock::time_point updated;
   };
   double refilled(const bucket& b, clock::time_point now) const;

   double rate_per_second_;
   double burst_;
   mutable std::mutex mutex_;
   bounded_address_table<bucket> buckets_;
};

} // namespace notify::server
