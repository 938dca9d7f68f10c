#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace notify::bench {

std::size_t latency_histogram::bucket_of(std::uint64_t ns) {
   if (ns < 2 * sub_buckets) {
      return static_cast<std::size_t>(ns);
   }
   // Keep the top sub_bucket_bits + 1 bits: the mantissa lands in [sub_buckets, 2*sub_buckets).
   unsigned const shift = static_cast<unsigned>(std::bit_width(ns)) - (sub_bucket_bits + 1);
   return shift * sub_buckets + static_cast<std::size_t>(ns >> shift);
}

std::uint64_t latency_histogram::bucket_low(std::size_t bucket) {
   if (bucket < 2 * sub_buckets) {
      return bucket;
   }
   std::size_t const shift = bucket / sub_buckets - 1;
   return static_cast<std::uint64_t>(bucket - shift * sub_buckets) << shift;
}

std::uint64_t latency_histogram::bucket_width(std::size_t bucket) {
   if (bucket < 2 * sub_buckets) {
      return 1;
   }
   return std::uint64_t{1} << (bucket / sub_buckets - 1);
}

void latency_histogram::record(std::uint64_t ns) {
   ++counts_[bucket_of(ns)];
   ++count_;
   max_ns_ = std::max(max_ns_, ns);
}

void latency_histogram::merge(const latency_histogram& other) {
   for (std::size_t i = 0; i < bucket_count; ++i) {
      counts_[i] += other.counts_[i];
   }
   count_ += other.count_;
   max_ns_ = std::max(max_ns_, other.max_ns_);
}

void latency_histogram::reset() {
   counts_.fill(0);
   count_ = 0;
   max_ns_ = 0;
}

std::uint64_t latency_histogram::percentile_ns(double q) const {
   if (count_ == 0) {
      return 0;
   }
   q = std::clamp(q, 0.0, 1.0);
   auto const rank = std::max<std::uint64_t>(
       1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
   std::uint64_t seen = 0;
   for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
         std::uint64_t const middle = bucket_low(i) + bucket_width(i) / 2;
         return std::min(middle, max_ns_);
      }
   }
   return max_ns_;
}

} // namespace notify::bench
