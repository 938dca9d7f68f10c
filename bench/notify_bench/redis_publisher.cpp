#include "redis_publisher.hpp"

#include "notify/redis/cluster_topology.hpp"
#include "notify/redis/hash_slot.hpp"
#include "notify/redis/reply.hpp"

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
                                 std::size_t payload_bytes, std::uint64_t tag, publish_mode mode,
                                 bool cluster)
    : loop_(loop)
    , tag_(tag)
    , mode_(mode)
    , payload_(payload_bytes) {
   if (cluster) {
      connect_cluster(redis);
   } else {
      links_.emplace_back().fd = connect_with_timeout(redis);
   }
   for (std::size_t i = 0; i < links_.size(); ++i) {
      try {
         loop_.add(links_[i].fd, EPOLLIN, tag_ - i);
      } catch (...) {
         for (std::size_t j = 0; j < links_.size(); ++j) {
            if (j < i) {
               loop_.remove(links_[j].fd);
            }
            ::close(links_[j].fd);
         }
         throw;
      }
   }
}

void redis_publisher::connect_cluster(const host_port& seed) {
   int const fd = connect_with_timeout(seed);
   std::string const ask = "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n";
   redis::reply_reader reader;
   std::optional<redis::reply> answer;
   bool sent = ::send(fd, ask.data(), ask.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(ask.size());
   while (sent && !answer) {
      pollfd waiting{fd, POLLIN, 0};
      char buffer[16 * 1024];
      ssize_t got =
          ::poll(&waiting, 1, connect_timeout_ms) == 1 ? ::recv(fd, buffer, sizeof buffer, 0) : -1;
      if (got <= 0 || !reader.feed(buffer, static_cast<std::size_t>(got))) {
         break;
      }
      answer = reader.next();
   }
   ::close(fd);
   std::string why = "no answer";
   auto topology =
       answer ? redis::cluster_topology::from_cluster_slots(*answer, seed.host, why) : std::nullopt;
   if (!topology || topology->masters().empty() || topology->uncovered_slots() > 0) {
      throw std::runtime_error("redis cluster: no usable CLUSTER SLOTS from " + seed.host + ":" +
                               std::to_string(seed.port) + " (" + why + ")");
   }
   for (auto const& master : topology->masters()) {
      links_.emplace_back().fd = connect_with_timeout({master.host, master.port});
   }
   owner_.resize(redis::cluster_slots);
   for (std::uint16_t slot = 0; slot < redis::cluster_slots; ++slot) {
      owner_[slot] = static_cast<std::uint8_t>(*topology->master_of_slot(slot));
   }
}

redis_publisher::~redis_publisher() {
   for (auto& l : links_) {
      loop_.remove(l.fd);
      ::close(l.fd);
   }
}

void redis_publisher::publish_to_user(std::uint64_t user, std::uint64_t seq, std::uint64_t ts_ns) {
   channel_.assign("user:");
   char digits[24];
   auto const end = std::to_chars(digits, digits + sizeof digits, user).ptr;
   channel_.append(digits, end);
   if (mode_ != publish_mode::fcall) {
      channel_.append(":notifications");
   }
   append_publish(channel_, user, seq, ts_ns);
}

void redis_publisher::publish_global(std::uint64_t seq, std::uint64_t ts_ns) {
   append_publish(mode_ != publish_mode::fcall ? global_channel : "global", std::nullopt, seq,
                  ts_ns);
}

void redis_publisher::append_publish(std::string_view target, std::optional<std::uint64_t> user,
                                     std::uint64_t seq, std::uint64_t ts_ns) {
   // "user:<id>" (FCALL's key) hashes like the tag {user:<id>} of the keys the function uses.
   auto& l = links_[owner_.empty() ? 0 : owner_[redis::hash_slot(target)]];
   std::size_t const size = payload_.prepare(seq, ts_ns, user);
   switch (mode_) {
   case publish_mode::publish:
      l.out.append("*3\r\n$7\r\nPUBLISH\r\n");
      break;
   case publish_mode::spublish:
      l.out.append("*3\r\n$8\r\nSPUBLISH\r\n");
      break;
   case publish_mode::fcall:
      l.out.append("*5\r\n$5\r\nFCALL\r\n$14\r\nnotify_publish\r\n$1\r\n1\r\n");
      break;
   }
   append_bulk_header(l.out, target.size());
   l.out.append(target).append("\r\n");
   append_bulk_header(l.out, size);
   payload_.append_to(l.out);
   l.out.append("\r\n");
   ++counters_.sent;
}

void redis_publisher::flush() {
   for (std::size_t i = 0; i < links_.size(); ++i) {
      flush(i);
   }
}

void redis_publisher::flush(std::size_t index) {
   auto& l = links_[index];
   while (l.out_offset < l.out.size()) {
      ssize_t const sent = ::send(l.fd, l.out.data() + l.out_offset, l.out.size() - l.out_offset,
                                  MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent < 0) {
         if (errno == EINTR) {
            continue;
         }
         if (errno == EAGAIN || errno == EWOULDBLOCK) {
            watch_writes(index, true);
            return;
         }
         throw std::runtime_error(std::string("redis: write failed: ") + std::strerror(errno));
      }
      l.out_offset += static_cast<std::size_t>(sent);
   }
   l.out.clear(); // keeps its capacity: the next batch is built without allocating
   l.out_offset = 0;
   watch_writes(index, false);
}

void redis_publisher::watch_writes(std::size_t index, bool on) {
   if (on != links_[index].watching_writes) {
      links_[index].watching_writes = on;
      update_interest(index);
   }
}

void redis_publisher::watch_replies(bool on) {
   if (on != watching_replies_) {
      watching_replies_ = on;
      for (std::size_t i = 0; i < links_.size(); ++i) {
         update_interest(i);
      }
   }
}

void redis_publisher::update_interest(std::size_t index) {
   loop_.modify(links_[index].fd,
                (watching_replies_ ? EPOLLIN : 0u) |
                    (links_[index].watching_writes ? EPOLLOUT : 0u),
                tag_ - index);
}

void redis_publisher::read_ready_replies() {
   for (std::size_t i = 0; i < links_.size(); ++i) {
      while (read_replies(i)) {
      }
   }
}

void redis_publisher::on_event(std::uint64_t tag, std::uint32_t events) {
   auto const index = static_cast<std::size_t>(tag_ - tag);
   if ((events & EPOLLOUT) != 0) {
      flush(index);
   }
   if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
      read_replies(index);
   }
}

bool redis_publisher::read_replies(std::size_t index) {
   auto& l = links_[index];
   char buffer[16 * 1024];
   ssize_t const got = ::recv(l.fd, buffer, sizeof buffer, MSG_DONTWAIT);
   if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
         return false;
      }
      throw std::runtime_error(std::string("redis: read failed: ") + std::strerror(errno));
   }
   if (got == 0) {
      throw std::runtime_error("redis: connection closed by the server");
   }
   l.in.append(buffer, static_cast<std::size_t>(got));
   l.in.erase(0, parse_publish_replies(l.in, counters_, last_error_));
   return static_cast<std::size_t>(got) == sizeof buffer;
}

} // namespace notify::bench
