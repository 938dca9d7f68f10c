#include "support/raw_connection.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace notify::test {

namespace {

using clock = std::chrono::steady_clock;

int milliseconds_until(clock::time_point deadline) {
   auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
   return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

sockaddr_in loopback(const std::string& address, std::uint16_t port) {
   sockaddr_in endpoint{};
   endpoint.sin_family = AF_INET;
   endpoint.sin_port = htons(port);
   if (inet_pton(AF_INET, address.c_str(), &endpoint.sin_addr) != 1) {
      throw std::runtime_error("not an IPv4 address: " + address);
   }
   return endpoint;
}

} // namespace

raw_connection::raw_connection(std::uint16_t port, const std::string& source_address,
                               int receive_buffer_bytes) {
   fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
   if (fd_ < 0) {
      throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
   }
   if (receive_buffer_bytes > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
   }
   auto const source = loopback(source_address, 0);
   auto const target = loopback("127.0.0.1", port);
   if (::bind(fd_, reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0 ||
       ::connect(fd_, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
      auto const reason = std::string(std::strerror(errno));
      ::close(fd_);
      throw std::runtime_error("connect from " + source_address + ": " + reason);
   }
   int const one = 1;
   ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
   ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

raw_connection::~raw_connection() {
   ::close(fd_);
}

bool raw_connection::send(std::string_view bytes, std::chrono::milliseconds timeout) {
   auto const deadline = clock::now() + timeout;
   while (!bytes.empty()) {
      auto const sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent > 0) {
         bytes.remove_prefix(static_cast<std::size_t>(sent));
         continue;
      }
      if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
         return false;
      }
      pollfd waiting{fd_, POLLOUT, 0};
      if (::poll(&waiting, 1, milliseconds_until(deadline)) <= 0) {
         return false;
      }
   }
   return true;
}

std::size_t raw_connection::send_without_waiting(std::string_view bytes) {
   auto const sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
   return sent > 0 ? static_cast<std::size_t>(sent) : 0;
}

bool raw_connection::read_once(clock::time_point deadline) {
   if (closed_) {
      return false;
   }
   pollfd waiting{fd_, POLLIN, 0};
   if (::poll(&waiting, 1, milliseconds_until(deadline)) <= 0) {
      return clock::now() < deadline;
   }
   char buffer[16384];
   auto const got = ::recv(fd_, buffer, sizeof buffer, 0);
   if (got > 0) {
      received_.append(buffer, static_cast<std::size_t>(got));
      return true;
   }
   if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      closed_ = true; // FIN or reset
      return false;
   }
   return true;
}

std::string raw_connection::read_until(std::string_view marker, std::chrono::milliseconds timeout) {
   auto const deadline = clock::now() + timeout;
   while (received_.find(marker) == std::string::npos && clock::now() < deadline) {
      if (!read_once(deadline)) {
         break;
      }
   }
   auto const found = received_.find(marker);
   if (found == std::string::npos) {
      return received_;
   }
   auto result = received_.substr(0, found + marker.size());
   received_.erase(0, found + marker.size());
   return result;
}

std::optional<server_frame> raw_connection::read_frame(std::chrono::milliseconds timeout) {
   auto const deadline = clock::now() + timeout;
   for (;;) {
      auto frames = parse_server_frames(received_);
      if (!frames.empty()) {
         auto const& first = frames.front();
         auto const length = static_cast<std::uint8_t>(received_[1]) & 0x7F;
         std::size_t const header = length == 126 ? 4 : length == 127 ? 10 : 2;
         received_.erase(0, header + first.payload.size());
         return std::move(frames.front());
      }
      if (clock::now() >= deadline || !read_once(deadline)) {
         return std::nullopt;
      }
   }
}

bool raw_connection::wait_closed(std::chrono::milliseconds timeout) {
   auto const deadline = clock::now() + timeout;
   while (!closed_ && clock::now() < deadline) {
      read_once(deadline);
   }
   return closed_;
}

std::string masked_frame(std::uint8_t opcode, std::string_view payload, bool fin) {
   return masked_frame_with_first_byte(
       static_cast<std::uint8_t>((fin ? 0x80 : 0x00) | (opcode & 0x0F)), payload);
}

std::string masked_frame_with_first_byte(std::uint8_t first_byte, std::string_view payload) {
   std::string frame;
   frame += static_cast<char>(first_byte);
   auto const size = payload.size();
   if (size < 126) {
      frame += static_cast<char>(0x80 | size);
   } else if (size <= 0xFFFF) {
      frame += static_cast<char>(0x80 | 126);
      frame += static_cast<char>((size >> 8) & 0xFF);
      frame += static_cast<char>(size & 0xFF);
   } else {
      frame += static_cast<char>(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
         frame += static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xFF);
      }
   }
   const char mask[4] = {0x11, 0x22, 0x33, 0x44};
   frame.append(mask, 4);
   for (std::size_t i = 0; i < size; ++i) {
      frame += static_cast<char>(payload[i] ^ mask[i % 4]);
   }
   return frame;
}

std::string upgrade_request(const std::string& target, const header_list& extra_headers) {
   std::string request = "GET " + target +
                         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
   for (auto const& [name, value] : extra_headers) {
      request += name + ": " + value + "\r\n";
   }
   return request + "\r\n";
}

std::vector<server_frame> parse_server_frames(std::string_view bytes) {
   std::vector<server_frame> frames;
   while (bytes.size() >= 2) {
      auto const opcode = static_cast<std::uint8_t>(bytes[0] & 0x0F);
      std::uint64_t size = static_cast<std::uint8_t>(bytes[1]) & 0x7F;
      std::size_t header = 2;
      if (size == 126 || size == 127) {
         std::size_t const extra = size == 126 ? 2 : 8;
         if (bytes.size() < 2 + extra) {
            break;
         }
         size = 0;
         for (std::size_t i = 0; i < extra; ++i) {
            size = (size << 8) | static_cast<std::uint8_t>(bytes[2 + i]);
         }
         header += extra;
      }
      if (bytes.size() - header < size) {
         break;
      }
      frames.push_back(
          {opcode, std::string(bytes.substr(header, size)), static_cast<std::uint8_t>(bytes[0])});
      bytes.remove_prefix(header + size);
   }
   return frames;
}

std::optional<std::uint16_t> close_code_of(const std::vector<server_frame>& frames) {
   for (auto const& frame : frames) {
      if (frame.opcode == 0x8 && frame.payload.size() >= 2) {
         return static_cast<std::uint16_t>((static_cast<std::uint8_t>(frame.payload[0]) << 8) |
                                           static_cast<std::uint8_t>(frame.payload[1]));
      }
   }
   return std::nullopt;
}

} // namespace notify::test
