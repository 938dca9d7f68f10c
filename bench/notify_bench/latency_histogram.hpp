#pragma once

// Fixed-size log-bucketed histogram of nanosecond latencies: recording is an index computation
// and an increment, never an allocation; percentiles are within 0.4 % of the true value.

#include <array>
#include <cstddef>
#include <cstdint>

namespace notify::bench {

class latency_histogram {
public:
   void record(std::uint64_t ns);
   void merge(const latency_histogram& other);
   void reset();

   std::uint64_t count() const { return count_; }
   std::uint64_t max_ns() const { return max_ns_; }
   /// The value at quantile q (0..1] by nearest rank: the middle of its bucket, never above the
   /// maximum recorded. 0 when empty.
   std::uint64_t percentile_ns(double q) const;

   /// Bucket layout, exposed for tests: values below 2 * sub_buckets have a bucket each; above,
   /// every power of two is split into sub_buckets equal parts.
   static std::size_t bucket_of(std::uint64_t ns);
   static std::uint64_t bucket_low(std::size_t bucket);
   static std::uint64_t bucket_width(std::size_t bucket);

private:
   static constexpr unsigned sub_bucket_bits = 7;
   static constexpr std::size_t sub_buckets = std::size_t{1} << sub_bucket_bits; // 128
   static constexpr std::size_t bucket_count = (64 - sub_bucket_bits) * sub_buckets + sub_buckets;

   std::array<std::uint64_t, bucket_count> counts_{};
   std::uint64_t count_ = 0;
   std::uint64_t max_ns_ = 0;
};

} // namespace notify::bench
