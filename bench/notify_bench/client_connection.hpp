#pragma once

// One WebSocket client connection on a non-blocking socket: connect, upgrade, authenticate, then
// hand every text message to a sink. Bytes are read into a buffer shared by all connections and
// parsed in place; only a partial frame left at the end of a read is kept per connection.

#include "event_loop.hpp"
#include "notify/ws/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <netinet/in.h>
#include <span>
#include <string>
#include <string_view>

namespace notify::bench {

/// Where received notifications go (the scenario runner).
class message_sink {
public:
   virtual void on_message(std::size_t connection, std::string_view payload,
                           std::int64_t now_ns) = 0;

protected:
   ~message_sink() = default;
};

enum class connection_state : std::uint8_t {
   queued,         ///< not started yet
   connecting,     ///< TCP connect in progress
   upgrading,      ///< request sent, waiting for 101
   authenticating, ///< upgraded, waiting for a message containing "auth_ok"
   open,           ///< authenticated: messages go to the sink
   ended,
};

enum class end_reason : std::uint8_t {
   none,
   open_file_limit,   ///< socket() failed with EMFILE/ENFILE
   connect_failed,    ///< socket, bind or connect error
   upgrade_refused,   ///< no valid 101 reply
   auth_refused,      ///< closed (or close frame) before auth_ok
   handshake_timeout, ///< not authenticated in time
   protocol_error,    ///< a frame we cannot accept
   closed_by_server,  ///< close frame or EOF after authentication
   reset,             ///< socket error after authentication
};
inline constexpr std::size_t end_reason_count = 9;

/// "connect_failed", ...
const char* end_reason_name(end_reason reason);

/// What all connections share; owned by the pool.
struct connection_context {
   event_loop& loop;
   message_sink& sink;
   std::span<char> read_buffer;
   std::string_view expected_accept;
   std::size_t max_payload_bytes;
   std::uint32_t mask_state; ///< xorshift32 state for masking keys
   std::string scratch;      ///< for building outgoing control frames

   std::uint32_t next_mask();
};

class client_connection {
public:
   /// Starts the TCP connect; `source` (when not null) is bound first. The request is sent when
   /// connected; a non-empty `auth_message` is sent as a text frame after the upgrade.
   void start(connection_context& context, std::uint64_t tag, const sockaddr_in& server,
              const sockaddr_in* source, std::string request, std::string auth_message,
              std::int64_t now_ns);

   void on_event(connection_context& context, std::uint64_t tag, std::uint32_t events,
                 std::int64_t now_ns);

   /// Ends the connection from outside its own event handling (a timeout, the end of the run).
   void abort(connection_context& context, end_reason reason);

   connection_state state() const { return state_; }
   end_reason reason() const { return reason_; }
   std::uint16_t close_code() const { return close_code_; }
   std::int64_t started_ns() const { return started_ns_; }
   bool handshaking() const {
      return state_ == connection_state::connecting || state_ == connection_state::upgrading ||
             state_ == connection_state::authenticating;
   }

private:
   void on_connected(connection_context& context, std::uint64_t tag);
   void on_readable(connection_context& context, std::uint64_t tag, std::int64_t now_ns);
   void flush(connection_context& context, std::uint64_t tag);
   void send_bytes(connection_context& context, std::uint64_t tag, std::string_view bytes);
   /// Handles whole frames (and the upgrade reply) at the start of bytes; returns bytes used.
   std::size_t consume(connection_context& context, std::uint64_t tag, std::string_view bytes,
                       std::int64_t now_ns);
   void on_frame(connection_context& context, std::uint64_t tag, ws::opcode opcode,
                 std::string_view payload, std::int64_t now_ns);
   /// Closes the socket (if any) and records why; no effect once ended.
   void end(connection_context& context, end_reason reason);
   void release_buffers();

   int fd_ = -1;
   connection_state state_ = connection_state::queued;
   end_reason reason_ = end_reason::none;
   bool want_write_ = false;
   std::uint16_t close_code_ = 0;
   std::int64_t started_ns_ = 0;
   std::string in_;   ///< unparsed bytes carried to the next read
   std::string out_;  ///< bytes the socket did not take yet
   std::string auth_; ///< the auth message, until sent
};

} // namespace notify::bench
