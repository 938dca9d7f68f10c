#include "event_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <system_error>
#include <unistd.h>

namespace notify::bench {

namespace {

constexpr std::size_t max_events_per_wait = 1024;

[[noreturn]] void throw_errno(const char* what) {
   throw std::system_error(errno, std::generic_category(), what);
}

} // namespace

event_loop::event_loop()
    : events_(max_events_per_wait) {
   epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
   if (epoll_fd_ < 0) {
      throw_errno("epoll_create1");
   }
}

event_loop::~event_loop() {
   ::close(epoll_fd_);
}

void event_loop::add(int fd, std::uint32_t events, std::uint64_t tag) {
   epoll_event event{};
   event.events = events;
   event.data.u64 = tag;
   if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      throw_errno("epoll_ctl(ADD)");
   }
}

void event_loop::modify(int fd, std::uint32_t events, std::uint64_t tag) {
   epoll_event event{};
   event.events = events;
   event.data.u64 = tag;
   if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0) {
      throw_errno("epoll_ctl(MOD)");
   }
}

void event_loop::remove(int fd) noexcept {
   ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

std::span<const epoll_event> event_loop::wait(std::chrono::nanoseconds timeout) {
   timeout = std::max(timeout, std::chrono::nanoseconds(0));
   int ready = -1;
   int const capacity = static_cast<int>(events_.size());
   if (has_pwait2_) {
      timespec const ts{static_cast<time_t>(timeout.count() / 1'000'000'000),
                        static_cast<long>(timeout.count() % 1'000'000'000)};
      ready = ::epoll_pwait2(epoll_fd_, events_.data(), capacity, &ts, nullptr);
      if (ready < 0 && errno == ENOSYS) {
         has_pwait2_ = false;
      }
   }
   if (!has_pwait2_) {
      // Round up, so a wait for 100 us does not become a busy poll.
      auto const ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
      ready = ::epoll_wait(epoll_fd_, events_.data(), capacity,
                           static_cast<int>(std::min<long long>(ms, 1'000'000)));
   }
   if (ready < 0) {
      if (errno == EINTR) {
         return {};
      }
      throw_errno("epoll_wait");
   }
   return {events_.data(), static_cast<std::size_t>(ready)};
}

} // namespace notify::bench
