#include "support/proxy_relay.hpp"

#include <arpa/inet.h>
#include <array>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace notify::test {
namespace {

/// Bounds every wait, so a stuck peer ends its relay instead of the test.
constexpr int poll_slice_ms = 100;
constexpr int idle_limit_ms = 10000;

sockaddr_in loopback(std::uint16_t port) {
   sockaddr_in address{};
   address.sin_family = AF_INET;
   address.sin_port = htons(port);
   address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
   return address;
}

bool send_all(int fd, const char* data, std::size_t size) {
   while (size > 0) {
      auto const sent = ::send(fd, data, size, MSG_NOSIGNAL);
      if (sent <= 0) {
         return false;
      }
      data += sent;
      size -= static_cast<std::size_t>(sent);
   }
   return true;
}

} // namespace

proxy_relay::proxy_relay(std::uint16_t target_port, std::string header)
    : target_port_(target_port)
    , header_(std::move(header)) {
   listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
   auto address = loopback(0);
   socklen_t length = sizeof(address);
   if (listener_ < 0 ||
       ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
       ::listen(listener_, 16) != 0 ||
       ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      if (listener_ >= 0) {
         ::close(listener_);
      }
      throw std::runtime_error("proxy_relay: cannot listen on loopback");
   }
   port_ = ntohs(address.sin_port);
   acceptor_ = std::thread([this] { accept_loop(); });
}

proxy_relay::~proxy_relay() {
   stopping_ = true;
   acceptor_.join();
   ::close(listener_);
}

void proxy_relay::accept_loop() {
   std::vector<std::thread> relays;
   while (!stopping_) {
      pollfd waiting{listener_, POLLIN, 0};
      if (::poll(&waiting, 1, poll_slice_ms) <= 0) {
         continue;
      }
      int const client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
         relays.emplace_back([this, client] { relay(client); });
      }
   }
   for (auto& relay : relays) {
      relay.join();
   }
}

void proxy_relay::relay(int client) const {
   int const upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
   auto target = loopback(target_port_);
   int const one = 1;
   ::setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
   if (upstream < 0 ||
       ::connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
      ::close(client);
      if (upstream >= 0) {
         ::close(upstream);
      }
      return;
   }
   std::string pending = header_; // goes out with the client's first bytes, in one send
   std::array<char, 16384> chunk{};
   int idle_ms = 0;
   while (!stopping_ && idle_ms < idle_limit_ms) {
      std::array<pollfd, 2> fds{pollfd{client, POLLIN, 0}, pollfd{upstream, POLLIN, 0}};
      int const ready = ::poll(fds.data(), fds.size(), poll_slice_ms);
      if (ready <= 0) {
         idle_ms += poll_slice_ms;
         continue;
      }
      idle_ms = 0;
      bool open = true;
      if (fds[0].revents != 0) {
         auto const got = ::recv(client, chunk.data(), chunk.size(), 0);
         pending.append(chunk.data(), got > 0 ? static_cast<std::size_t>(got) : 0);
         open = got > 0 && send_all(upstream, pending.data(), pending.size());
         pending.clear();
      }
      if (open && fds[1].revents != 0) {
         auto const got = ::recv(upstream, chunk.data(), chunk.size(), 0);
         open = got > 0 && send_all(client, chunk.data(), static_cast<std::size_t>(got));
      }
      if (!open) {
         break;
      }
   }
   ::close(client);
   ::close(upstream);
}

} // namespace notify::test
