#include "proc_sampler.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <vector>

namespace notify::bench {
namespace {

TEST(ProcSampler, ReadsVmRss) {
   EXPECT_EQ(parse_vm_rss_kib("Name:\tx\nVmPeak:\t  9 kB\nVmRSS:\t   12345 kB\nRssAnon: 1 kB\n"),
             12345u);
   EXPECT_FALSE(parse_vm_rss_kib("Name:\tx\nVmPeak:\t 9 kB\n"));
   EXPECT_FALSE(parse_vm_rss_kib("VmRSS:\t kB\n"));
   EXPECT_FALSE(parse_vm_rss_kib("VmRSS:\t 12"));
   EXPECT_FALSE(parse_vm_rss_kib("XVmRSS:\t 12 kB\n"));
}

TEST(ProcSampler, ReadsUserPlusSystemTicksPastAnOddCommandName) {
   // Fields 14 and 15 are utime and stime; the name holds spaces and a ')'.
   std::string const stat =
       "4242 (we ird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 "
       "1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
   EXPECT_EQ(parse_cpu_ticks(stat), 300u);
   EXPECT_FALSE(parse_cpu_ticks("4242 (x) S 1 2 3"));
   EXPECT_FALSE(parse_cpu_ticks("no parenthesis at all"));
   EXPECT_FALSE(parse_cpu_ticks("1 (x) S 1 1 1 0 -1 0 0 0 0 0 -5 50 0"));
}

TEST(ProcSampler, SamplesALiveProcess) {
   proc_sampler const sampler(static_cast<int>(::getpid()));
   std::vector<char> touched(32 * 1024 * 1024, 1); // make sure there is some RSS
   auto const sample = sampler.sample();
   ASSERT_TRUE(sample);
   EXPECT_GT(sample->rss_kib, 32u * 1024);
   EXPECT_GE(sample->cpu_seconds, 0.0);
   EXPECT_GE(own_cpu_seconds(), 0.0);
   EXPECT_FALSE(proc_sampler(999'999'999).sample());
}

} // namespace
} // namespace notify::bench
