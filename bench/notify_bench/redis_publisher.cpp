#include "redis_publisher.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace notify::bench {

namespace {

constexpr int connect_timeout_ms = 3000;
constexpr std::string_view global_channel = "global_notifications";

int connect_with_timeout(const host_port& redis) {
   addrinfo hints{};
   hints.ai_family = AF_UNSPEC;
   hints.ai_socktype = SOCK_STREAM;
   addrinfo* found = nullptr;
   std::string const port = std::to_string(redis.port);
   if (int const rc = ::getaddrinfo(redis.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      throw std::runtime_error("redis: cannot resolve " + redis.host + ": " + ::gai_strerror(rc));
   }
   std::string failure = "no address";
   for (addrinfo* at = found; at != nullptr; at = at->ai_next) {
      int const fd = ::socket(at->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
         failure = std::strerror(errno);
         continue;
      }
      int rc = ::connect(fd, at->ai_addr, at->ai_addrlen);
      if (rc != 0 && errno == EINPROGRESS) {
         pollfd waiting{fd, POLLOUT, 0};
         rc = ::poll(&waiting, 1, connect_timeout_ms) == 1 ? 0 : -1;
         int error = rc == 0 ? 0 : ETIMEDOUT;
         socklen_t length = sizeof error;
         if (rc == 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
            error = errno;
         }
         rc = error == 0 ? 0 : -1;
         errno = error;
      }
      if (rc == 0) {
         ::freeaddrinfo(found);
         int const one = 1;
         ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
         return fd;
      }
      failure = std::strerror(errno);
      ::close(fd);
   }
   ::freeaddrinfo(found);
   throw std::runtime_error("redis: cannot connect to " + redis.host + ":" + port + ": " + failure);
}

void append_bulk_header(std::string& out, std::size_t bytes) {
   char digits[24];
   auto const end = std::to_chars(digits, digits + sizeof digits, bytes).ptr;
   out.push_back('$');
   out.append(digits, end);
   out.append("\r\n");
}

} // namespace

std::size_t parse_publish_replies(std::string_view bytes, publish_counters& counters,
                                  std::string& last_error) {
   std::size_t used = 0;
   while (used < bytes.size()) {
      auto const line_end = bytes.find("\r\n", used);
      if (line_end == std::string_view::npos) {
         if (bytes.size() - used > 64 * 1024) {
            throw std::runtime_error("redis: reply line too long");
         }
         break;
      }
      std::string_view const line = bytes.substr(used + 1, line_end - used - 1);
      switch (bytes[used]) {
      case ':': {
         std::int64_t value = 0;
         auto const [end, error] = std::from_chars(line.data(), line.data() + line.size(), value);
         if (error != std::errc() || end != line.data() + line.size()) {
            throw std::runtime_error("redis: bad integer reply");
         }
         ++counters.acknowledged;
         if (value == 0) {
            ++counters.unheard;
         }
         break;
      }
      case '$': {
         // A stream id: "$<n>\r\n<n bytes>\r\n", complete only once all of it is here.
         std::int64_t length = 0;
         auto const [end, error] = std::from_chars(line.data(), line.data() + line.size(), length);
         if (error != std::errc() || end != line.data() + line.size() || length > 1024) {
            throw std::runtime_error("redis: bad bulk reply");
         }
         auto const body = length < 0 ? std::size_t{0} : static_cast<std::size_t>(length) + 2;
         if (bytes.size() - (line_end + 2) < body) {
            return used;
         }
         ++counters.acknowledged;
         used = line_end + 2 + body;
         continue;
      }
      case '-':
         ++counters.errors;
         last_error = std::string(line.substr(0, 200));
         break;
      default:
         throw std::runtime_error("redis: unexpected reply to PUBLISH: " +
                                  std::string(line.substr(0, 60)));
      }
      used = line_end + 2;
   }
   return used;
}

redis_publisher::redis_publisher(event_loop& loop, const host_port& redis,
                                 std::size_t payload_bytes, std::uint64_t tag, publish_mode mode)
    : loop_(loop)
    , tag_(tag)
    , mode_(mode)
    , fd_(connect_with_timeout(redis))
    , payload_(payload_bytes) {
   try {
      loop_.add(fd_, EPOLLIN, tag_);
   } catch (...) {
      ::close(fd_);
      throw;
   }
}

redis_publisher::~redis_publisher() {
   loop_.remove(fd_);
   ::close(fd_);
}

void redis_publisher::publish_to_user(std::uint64_t user, std::uint64_t seq, std::uint64_t ts_ns) {
   channel_.assign("user:");
   char digits[24];
   auto const end = std::to_chars(digits, digits + sizeof digits, user).ptr;
   channel_.append(digits, end);
   if (mode_ == publish_mode::publish) {
      channel_.append(":notifications");
   }
   append_publish(channel_, user, seq, ts_ns);
}

void redis_publisher::publish_global(std::uint64_t seq, std::uint64_t ts_ns) {
   append_publish(mode_ == publish_mode::publish ? global_channel : "global", std::nullopt, seq,
                  ts_ns);
}

void redis_publisher::append_publish(std::string_view target, std::optional<std::uint64_t> user,
                                     std::uint64_t seq, std::uint64_t ts_ns) {
   std::size_t const size = payload_.prepare(seq, ts_ns, user);
   if (mode_ == publish_mode::publish) {
      out_.append("*3\r\n$7\r\nPUBLISH\r\n");
   } else {
      out_.append("*5\r\n$5\r\nFCALL\r\n$14\r\nnotify_publish\r\n$1\r\n1\r\n");
   }
   append_bulk_header(out_, target.size());
   out_.append(target).append("\r\n");
   append_bulk_header(out_, size);
   payload_.append_to(out_);
   out_.append("\r\n");
   ++counters_.sent;
}

void redis_publisher::flush() {
   while (out_offset_ < out_.size()) {
      ssize_t const sent = ::send(fd_, out_.data() + out_offset_, out_.size() - out_offset_,
                                  MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent < 0) {
         if (errno == EINTR) {
            continue;
         }
         if (errno == EAGAIN || errno == EWOULDBLOCK) {
            watch_writes(true);
            return;
         }
         throw std::runtime_error(std::string("redis: write failed: ") + std::strerror(errno));
      }
      out_offset_ += static_cast<std::size_t>(sent);
   }
   out_.clear(); // keeps its capacity: the next batch is built without allocating
   out_offset_ = 0;
   watch_writes(false);
}

void redis_publisher::watch_writes(bool on) {
   if (on != watching_writes_) {
      watching_writes_ = on;
      update_interest();
   }
}

void redis_publisher::watch_replies(bool on) {
   if (on != watching_replies_) {
      watching_replies_ = on;
      update_interest();
   }
}

void redis_publisher::update_interest() {
   loop_.modify(fd_, (watching_replies_ ? EPOLLIN : 0u) | (watching_writes_ ? EPOLLOUT : 0u), tag_);
}

void redis_publisher::read_ready_replies() {
   while (read_replies()) {
   }
}

void redis_publisher::on_event(std::uint32_t events) {
   if ((events & EPOLLOUT) != 0) {
      flush();
   }
   if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
      read_replies();
   }
}

bool redis_publisher::read_replies() {
   char buffer[16 * 1024];
   ssize_t const got = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
   if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
         return false;
      }
      throw std::runtime_error(std::string("redis: read failed: ") + std::strerror(errno));
   }
   if (got == 0) {
      throw std::runtime_error("redis: connection closed by the server");
   }
   in_.append(buffer, static_cast<std::size_t>(got));
   in_.erase(0, parse_publish_replies(in_, counters_, last_error_));
   return static_cast<std::size_t>(got) == sizeof buffer;
}

} // namespace notify::bench
