#pragma once

// Memory and CPU of a process from /proc (the server under test), and of notify-bench itself.

#include <cstdint>
#include <optional>
#include <string_view>

namespace notify::bench {

/// VmRSS from the text of /proc/PID/status, in KiB.
std::optional<std::uint64_t> parse_vm_rss_kib(std::string_view status_text);

/// utime + stime (clock ticks, all threads) from the text of /proc/PID/stat. The command name in
/// parentheses may hold spaces and parentheses itself, so fields are counted after the last ')'.
std::optional<std::uint64_t> parse_cpu_ticks(std::string_view stat_text);

struct process_sample {
   std::uint64_t rss_kib = 0;
   double cpu_seconds = 0;
};

class proc_sampler {
public:
   explicit proc_sampler(int pid);
   /// nullopt when the process is gone or /proc cannot be read.
   std::optional<process_sample> sample() const;

private:
   int pid_;
   double ticks_per_second_;
};

/// CPU time (user + system) this process has used so far.
double own_cpu_seconds();

} // namespace notify::bench
