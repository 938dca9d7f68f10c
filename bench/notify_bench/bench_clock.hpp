#pragma once

// The one clock of notify-bench: steady_clock nanoseconds since the process started. Publisher
// and receivers share the process, so send and receive stamps compare directly; counting from
// the start keeps the numbers small enough to survive a server that round-trips them through a
// double (JSON.parse).

#include <chrono>
#include <cstdint>

namespace notify::bench {

inline std::int64_t bench_now_ns() {
   static auto const start = std::chrono::steady_clock::now();
   return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                               start)
       .count();
}

} // namespace notify::bench
