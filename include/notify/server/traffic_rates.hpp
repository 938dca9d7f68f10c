#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace notify::server {

/// Messages in and deliveries out per second, for /stats: measured between the counter
/// readings of successive requests at least a second apart, so no timer has to run for a page
/// nobody looks at.
class traffic_rates {
public:
   using clock = std::chrono::steady_clock;
   struct per_second {
      double messages_in = 0;
      double deliveries_out = 0;
   };

   per_second update(clock::time_point now, std::uint64_t messages_in,
                     std::uint64_t deliveries_out);

private:
   struct reading {
      clock::time_point at;
      std::uint64_t messages_in = 0;
      std::uint64_t deliveries_out = 0;
   };
   std::mutex mutex_;
   bool have_base_ = false;
   reading base_;
   per_second last_;
};

} // namespace notify::server
