#include "client_connection.hpp"

#include "client_frame.hpp"
#include "client_handshake.hpp"

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace notify::bench {

namespace {

constexpr std::uint32_t read_events = EPOLLIN;
constexpr std::uint32_t write_events = EPOLLOUT;
constexpr std::uint16_t no_status = 1005;

std::uint16_t close_code_of(std::string_view payload) {
   if (payload.size() < 2) {
      return no_status;
   }
   return static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                     static_cast<std::uint8_t>(payload[1]));
}

} // namespace

const char* end_reason_name(end_reason reason) {
   switch (reason) {
   case end_reason::none:
      return "none";
   case end_reason::open_file_limit:
      return "open_file_limit";
   case end_reason::connect_failed:
      return "connect_failed";
   case end_reason::upgrade_refused:
      return "upgrade_refused";
   case end_reason::auth_refused:
      return "auth_refused";
   case end_reason::handshake_timeout:
      return "handshake_timeout";
   case end_reason::protocol_error:
      return "protocol_error";
   case end_reason::closed_by_server:
      return "closed_by_server";
   case end_reason::reset:
      return "reset";
   }
   return "unknown";
}

std::uint32_t connection_context::next_mask() {
   // xorshift32: masking keys only need to vary, not to be secret, for a load generator.
   mask_state ^= mask_state << 13;
   mask_state ^= mask_state >> 17;
   mask_state ^= mask_state << 5;
   return mask_state;
}

void client_connection::start(connection_context& context, std::uint64_t tag,
                              const sockaddr_in& server, const sockaddr_in* source,
                              std::string request, std::string auth_message, std::int64_t now_ns) {
   started_ns_ = now_ns;
   state_ = connection_state::connecting;
   fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
   if (fd_ < 0) {
      end(context, errno == EMFILE || errno == ENFILE ? end_reason::open_file_limit
                                                      : end_reason::connect_failed);
      return;
   }
   int const one = 1;
   ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
   if (source != nullptr) {
      // Choose the port at connect time, from the full 4-tuple, instead of reserving one now:
      // otherwise every source address is limited to the ephemeral range on its own.
      ::setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      if (::bind(fd_, reinterpret_cast<const sockaddr*>(source), sizeof *source) != 0) {
         end(context, end_reason::connect_failed);
         return;
      }
   }
   if (::connect(fd_, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0 &&
       errno != EINPROGRESS) {
      end(context, end_reason::connect_failed);
      return;
   }
   out_ = std::move(request);
   auth_ = std::move(auth_message);
   try {
      context.loop.add(fd_, write_events, tag);
   } catch (const std::system_error&) {
      end(context, end_reason::connect_failed);
   }
}

void client_connection::on_event(connection_context& context, std::uint64_t tag,
                                 std::uint32_t events, std::int64_t now_ns) {
   if (state_ == connection_state::connecting) {
      on_connected(context, tag);
   } else {
      if ((events & EPOLLOUT) != 0 && want_write_) {
         flush(context, tag);
      }
      if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && state_ != connection_state::ended) {
         on_readable(context, tag, now_ns);
      }
   }
   if (state_ == connection_state::ended) {
      release_buffers();
   }
}

void client_connection::on_connected(connection_context& context, std::uint64_t tag) {
   int error = 0;
   socklen_t length = sizeof error;
   if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
      end(context, end_reason::connect_failed);
      return;
   }
   state_ = connection_state::upgrading;
   std::string request = std::move(out_);
   out_.clear();
   context.loop.modify(fd_, read_events, tag);
   send_bytes(context, tag, request);
}

void client_connection::send_bytes(connection_context& context, std::uint64_t tag,
                                   std::string_view bytes) {
   if (!out_.empty()) {
      out_.append(bytes);
      return;
   }
   ssize_t const sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
   if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      end(context,
          state_ == connection_state::open ? end_reason::reset : end_reason::upgrade_refused);
      return;
   }
   std::size_t const done = sent > 0 ? static_cast<std::size_t>(sent) : 0;
   if (done < bytes.size()) {
      out_.assign(bytes.substr(done));
      want_write_ = true;
      context.loop.modify(fd_, read_events | write_events, tag);
   }
}

void client_connection::flush(connection_context& context, std::uint64_t tag) {
   ssize_t const sent = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
   if (sent < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
         end(context,
             state_ == connection_state::open ? end_reason::reset : end_reason::upgrade_refused);
      }
      return;
   }
   out_.erase(0, static_cast<std::size_t>(sent));
   if (out_.empty()) {
      want_write_ = false;
      std::string().swap(out_);
      context.loop.modify(fd_, read_events, tag);
   }
}

void client_connection::on_readable(connection_context& context, std::uint64_t tag,
                                    std::int64_t now_ns) {
   ssize_t const got =
       ::recv(fd_, context.read_buffer.data(), context.read_buffer.size(), MSG_DONTWAIT);
   if (got <= 0) {
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
         return;
      }
      bool const was_open = state_ == connection_state::open;
      end(context, was_open ? (got == 0 ? end_reason::closed_by_server : end_reason::reset)
                            : (state_ == connection_state::upgrading ? end_reason::upgrade_refused
                                                                     : end_reason::auth_refused));
      return;
   }
   std::string_view const data(context.read_buffer.data(), static_cast<std::size_t>(got));
   if (in_.empty()) {
      std::size_t const used = consume(context, tag, data, now_ns);
      if (state_ != connection_state::ended && used < data.size()) {
         in_.assign(data.substr(used));
      }
   } else {
      in_.append(data);
      std::size_t const used = consume(context, tag, in_, now_ns);
      if (state_ != connection_state::ended) {
         in_.erase(0, used);
      }
   }
}

std::size_t client_connection::consume(connection_context& context, std::uint64_t tag,
                                       std::string_view bytes, std::int64_t now_ns) {
   std::size_t used = 0;
   if (state_ == connection_state::upgrading) {
      upgrade_reply const reply = parse_upgrade_reply(bytes, context.expected_accept);
      if (reply.status == upgrade_status::need_more) {
         return 0;
      }
      if (reply.status == upgrade_status::refused) {
         end(context, end_reason::upgrade_refused);
         return 0;
      }
      used = reply.header_bytes;
      state_ = connection_state::authenticating;
      if (!auth_.empty()) {
         context.scratch.clear();
         append_client_frame(context.scratch, ws::opcode::text, auth_, context.next_mask());
         std::string().swap(auth_);
         send_bytes(context, tag, context.scratch);
         if (state_ == connection_state::ended) {
            return used;
         }
      }
   }
   while (used < bytes.size()) {
      server_frame frame;
      frame_status const status =
          parse_server_frame(bytes.substr(used), context.max_payload_bytes, frame);
      if (status == frame_status::need_more) {
         break;
      }
      if (status != frame_status::complete) {
         end(context, end_reason::protocol_error);
         return used;
      }
      on_frame(context, tag, frame.fin ? frame.opcode : ws::opcode::continuation,
               bytes.substr(used + frame.header_bytes, frame.payload_bytes), now_ns);
      used += frame.total_bytes();
      if (state_ == connection_state::ended) {
         return used;
      }
   }
   return used;
}

void client_connection::on_frame(connection_context& context, std::uint64_t tag, ws::opcode opcode,
                                 std::string_view payload, std::int64_t now_ns) {
   switch (opcode) {
   case ws::opcode::text:
      if (state_ == connection_state::open) {
         context.sink.on_message(static_cast<std::size_t>(tag), payload, now_ns);
      } else if (payload.find("auth_ok") != std::string_view::npos) {
         state_ = connection_state::open;
      }
      return;
   case ws::opcode::binary:
      return; // nothing of ours comes as binary
   case ws::opcode::ping:
      context.scratch.clear();
      append_client_frame(context.scratch, ws::opcode::pong, payload, context.next_mask());
      send_bytes(context, tag, context.scratch);
      return;
   case ws::opcode::pong:
      return;
   case ws::opcode::close: {
      close_code_ = close_code_of(payload);
      bool const was_open = state_ == connection_state::open;
      context.scratch.clear();
      append_client_frame(context.scratch, ws::opcode::close, payload.substr(0, 2),
                          context.next_mask());
      ::send(fd_, context.scratch.data(), context.scratch.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      end(context, was_open ? end_reason::closed_by_server : end_reason::auth_refused);
      return;
   }
   default:
      // Fragmented messages: neither the gateway nor the peers send them.
      end(context, end_reason::protocol_error);
      return;
   }
}

void client_connection::end(connection_context& context, end_reason reason) {
   if (state_ == connection_state::ended) {
      return;
   }
   state_ = connection_state::ended;
   reason_ = reason;
   if (fd_ >= 0) {
      context.loop.remove(fd_);
      ::close(fd_);
      fd_ = -1;
   }
}

void client_connection::abort(connection_context& context, end_reason reason) {
   end(context, reason);
   release_buffers();
}

void client_connection::release_buffers() {
   std::string().swap(in_);
   std::string().swap(out_);
   std::string().swap(auth_);
}

} // namespace notify::bench
