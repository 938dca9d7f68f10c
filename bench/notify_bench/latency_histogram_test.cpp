#include "latency_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <gtest/gtest.h>
#include <random>

namespace notify::bench {
namespace {

TEST(LatencyHistogram, EmptyReportsZero) {
   latency_histogram histogram;
   EXPECT_EQ(histogram.count(), 0u);
   EXPECT_EQ(histogram.percentile_ns(0.5), 0u);
   EXPECT_EQ(histogram.max_ns(), 0u);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
   latency_histogram histogram;
   for (std::uint64_t v = 1; v <= 100; ++v) {
      histogram.record(v);
   }
   EXPECT_EQ(histogram.percentile_ns(0.5), 50u);
   EXPECT_EQ(histogram.percentile_ns(0.99), 99u);
   EXPECT_EQ(histogram.percentile_ns(1.0), 100u);
   EXPECT_EQ(histogram.max_ns(), 100u);
}

TEST(LatencyHistogram, BucketsAreContiguousAndCoverTheirValues) {
   for (std::uint64_t v : {0ull, 255ull, 256ull, 257ull, 1000ull, 123456789ull, 1ull << 40,
                           (1ull << 63) + 12345, ~0ull}) {
      std::size_t const bucket = latency_histogram::bucket_of(v);
      std::uint64_t const low = latency_histogram::bucket_low(bucket);
      ASSERT_LE(low, v) << v;
      EXPECT_LT(v - low, latency_histogram::bucket_width(bucket)) << v;
      // The width is never more than 1/128 of the bucket's values: the error bound.
      EXPECT_LE(latency_histogram::bucket_width(bucket) * 128, std::max<std::uint64_t>(low, 128))
          << v;
   }
   for (std::size_t b = 1; b < 7000; ++b) {
      EXPECT_EQ(latency_histogram::bucket_low(b - 1) + latency_histogram::bucket_width(b - 1),
                latency_histogram::bucket_low(b))
          << b;
   }
}

TEST(LatencyHistogram, PercentilesWithinHalfAPercentOfTheTruth) {
   // Uniform values from 1 us to 10 s: every percentile lands within 0.4 % of the exact one.
   latency_histogram histogram;
   std::vector<std::uint64_t> values;
   std::mt19937_64 random(42);
   std::uniform_int_distribution<std::uint64_t> spread(1'000, 10'000'000'000ull);
   for (int i = 0; i < 100'000; ++i) {
      values.push_back(spread(random));
      histogram.record(values.back());
   }
   std::sort(values.begin(), values.end());
   for (double q : {0.5, 0.9, 0.95, 0.99, 0.999}) {
      auto const exact = static_cast<double>(
          values[static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size()))) - 1]);
      auto const measured = static_cast<double>(histogram.percentile_ns(q));
      EXPECT_NEAR(measured, exact, exact * 0.004) << "q=" << q;
   }
   EXPECT_EQ(histogram.max_ns(), values.back());
   EXPECT_EQ(histogram.percentile_ns(1.0), values.back());
}

TEST(LatencyHistogram, MergeAndReset) {
   latency_histogram a;
   latency_histogram b;
   a.record(1'000);
   b.record(5'000'000);
   b.record(5'000'000);
   a.merge(b);
   EXPECT_EQ(a.count(), 3u);
   EXPECT_EQ(a.max_ns(), 5'000'000u);
   EXPECT_NEAR(static_cast<double>(a.percentile_ns(0.5)), 5e6, 5e6 * 0.004);
   a.reset();
   EXPECT_EQ(a.count(), 0u);
   EXPECT_EQ(a.percentile_ns(0.5), 0u);
}

} // namespace
} // namespace notify::bench
