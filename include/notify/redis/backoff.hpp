#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace notify::redis {

/// Capped exponential backoff with "equal jitter": attempt n waits a uniform random time in
/// [base/2, base], where base = min(cap, initial * 2^n). The random half spreads many gateways
/// reconnecting to one Redis; the fixed half keeps a floor, so a flapping server can never make
/// us spin with zero delay (full jitter can draw 0 ms).
class backoff {
public:
   /// `seed` makes the sequence reproducible in tests; use a random seed in production.
   backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap, std::uint64_t seed);

   /// The delay before the next attempt: about `initial` first, doubling, never above `cap`.
   std::chrono::milliseconds next();

   /// Back to `initial`, after a success.
   void reset() { base_ = initial_; }

   std::chrono::milliseconds initial() const { return initial_; }
   std::chrono::milliseconds cap() const { return cap_; }

private:
   std::chrono::milliseconds initial_;
   std::chrono::milliseconds cap_;
   std::chrono::milliseconds base_;
   std::mt19937_64 random_;
};

} // namespace notify::redis
