#pragma once

// A thin epoll wrapper: one thread, level-triggered, events tagged with a 64-bit number chosen by
// the owner of the file descriptor, and waits with nanosecond timeouts (epoll_pwait2, falling
// back to whole milliseconds on kernels without it).

#include <chrono>
#include <cstdint>
#include <span>
#include <sys/epoll.h>
#include <vector>

namespace notify::bench {

class event_loop {
public:
   event_loop();
   ~event_loop();
   event_loop(const event_loop&) = delete;
   event_loop& operator=(const event_loop&) = delete;

   /// Throw std::system_error on failure.
   void add(int fd, std::uint32_t events, std::uint64_t tag);
   void modify(int fd, std::uint32_t events, std::uint64_t tag);
   /// Never throws: a descriptor that is about to be closed may already be gone.
   void remove(int fd) noexcept;

   /// Waits up to `timeout` (0: just poll) for events; the span is valid until the next wait.
   /// Returns no events when interrupted by a signal.
   std::span<const epoll_event> wait(std::chrono::nanoseconds timeout);

private:
   int epoll_fd_ = -1;
   bool has_pwait2_ = true;
   std::vector<epoll_event> events_;
};

} // namespace notify::bench
