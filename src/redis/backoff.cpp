#include "notify/redis/backoff.hpp"

#include <algorithm>

namespace notify::redis {

backoff::backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap,
                 std::uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1)))
    , cap_(std::max(cap, initial_))
    , base_(initial_)
    , random_(seed) {}

std::chrono::milliseconds backoff::next() {
   auto const base = base_.count();
   std::uniform_int_distribution<std::chrono::milliseconds::rep> jitter(base - base / 2, base);
   auto const delay = std::chrono::milliseconds(jitter(random_));
   // Doubling saturates at the cap, so it can never overflow however long the outage lasts.
   base_ = base_ > cap_ / 2 ? cap_ : base_ * 2;
   return delay;
}

} // namespace notify::redis
