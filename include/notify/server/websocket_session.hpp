#pragma once

#include "notify/history/stream_cursor.hpp"
#include "notify/history/stream_reader.hpp"
#include "notify/server/authenticator.hpp"
#include "notify/server/compact_address.hpp"
#include "notify/server/connection_registry.hpp"
#include "notify/server/net.hpp"
#include "notify/server/outbound_queue.hpp"
#include "notify/server/presence_tracker.hpp"
#include "notify/server/session_transport.hpp"
#include "notify/ws/frame.hpp"
#include "notify/ws/server_protocol.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notify::server {

class shard;

/// How a client wants its messages (docs/protocol.md, "Message history"), from the URL or the
/// auth message. The resume positions stay client text until they are checked.
struct delivery_options {
   bool envelope = false; ///< {"type":"message",...,"data":...} instead of the bare payload
   std::optional<std::string> resume_user;
   std::optional<std::string> resume_global;
};

/// One upgraded WebSocket connection. Lives on one shard and is only touched by its thread.
///
/// Frames it receives are parsed in the shard's scratch buffer (an idle connection owns no read
/// buffer); frames it sends are immutable shared buffers, queued in order and written with one
/// vectored write per flush. Deadlines (auth, idle, close) are checked by the shard's tick, so
/// a connection owns no timer either.
class websocket_session : public std::enable_shared_from_this<websocket_session>,
                          public registry_member {
public:
   /// `client_address`: who the client is (behind a trusted proxy, not the proxy): the key of
   /// the auth lockout and the address in log lines. `holds_per_ip_slot`: the connection holds
   /// a limits.max_connections_per_ip slot for that address, released when it ends.
   websocket_session(session_transport transport, shard& home, compact_address client_address,
                     bool holds_per_ip_slot = false);
   ~websocket_session() override;

   /// `handshake_response`: the 101 response, sent first. `early_input`: bytes that arrived
   /// behind the handshake request. `presented`: a token from the URL or an Authorization header,
   /// or the session cookie; without one the client must send an auth message.
   void start(ws::shared_frame handshake_response, std::string_view early_input,
              std::optional<credential> presented, delivery_options options = {});

   void deliver(const routing::notification& message) override;

   /// The Redis subscription came back after a loss: read what this connection may have
   /// missed meanwhile.
   void repair_history(bool user = true, bool global = true);

   static constexpr std::size_t user_stream = 0;
   static constexpr std::size_t global_stream = 1;
   /// Where this connection is in a stream, when it is live there (not reading, not untracked).
   std::optional<stream_id> live_position(std::size_t stream) const;

   /// Starts the closing handshake: queues a close frame, stops delivery and app messages.
   void close(std::uint16_t code, std::string_view reason);

   void on_tick(steady_clock::time_point now);
   /// Pushes this connection's presence expiry a ttl ahead (shard's presence round).
   void refresh_presence();

   /// The router now knows this connection's user is on its shard: sends auth_ok.
   void on_presence_synced();

   /// Writes everything queued, as far as the socket takes it.
   void flush();

private:
   /// joining: authenticated and registered, auth_ok not sent until the router knows the user.
   enum class phase : std::uint8_t {
      awaiting_auth,
      authenticating,
      joining,
      open,
      closing,
      closed
   };

   // Reading
   void wait_readable();
   void on_readable(error_code ec);
   /// Runs client bytes (in the shard's scratch buffer) through the protocol core.
   void consume_input(char* data, std::size_t size);
   void on_protocol_event(const ws::protocol_event& event);
   void on_text_message(std::string_view text);
   void on_auth_request(const std::string* token, std::optional<std::string> claimed_user_id);
   /// "format" and "resume" of an auth message; false (after an error) when malformed.
   bool read_delivery_options(const nlohmann::json& message);

   // Authentication
   void start_auth(const credential& presented);
   /// True (after closing with 4005) when this client's address is locked out.
   bool refuse_locked_out_client();
   void on_auth_result(authenticator::outcome outcome);
   void on_presence_joined(std::string user, presence_tracker::join_result result);
   /// Joins the registry and the router as `user`; auth_ok follows once both are in place.
   void admit(std::string user);

   // History (websocket_session_history.cpp)
   struct history_progress;
   /// Starts the reads that place the cursors; false when there is nothing to read.
   bool begin_history();
   void finish_joining();
   void start_read(std::size_t stream, bool tail);
   void on_read(std::size_t stream, bool tail, error_code ec,
                history::stream_reader::outcome_ptr outcome);
   void apply_read(std::size_t stream, bool tail, const history::read_outcome& outcome);
   void drain_held(std::size_t stream);
   void hold(const routing::notification& message, std::size_t stream);
   void signal_gap(std::size_t stream, const history::gap& missing);
   void retry_failed_reads(steady_clock::time_point now);
   routing::route route_of(std::size_t stream) const;
   static std::size_t stream_of(const routing::notification& message);
   history_progress& progress();
   void release_idle_progress();
   /// Queues a message in the format this client asked for (nothing for a frameless entry).
   void send_message(const routing::notification& message);
   void set_delivery_options(delivery_options options);

   // Writing
   void enqueue(ws::shared_frame frame);
   /// Whether queueing `frame` would pass limits.max_queued_bytes or max_queued_messages.
   bool over_queue_limits(const std::string& frame) const;
   /// Queues an answer to the client (pong, error) within the same limits as notifications.
   void enqueue_reply(ws::shared_frame frame);
   /// Frees what the client has not read and closes it with 4004.
   void close_slow_consumer();
   void wait_writable();
   void send_error(std::string_view code, std::string_view message);
   void count_protocol_error();
   /// Closes and ignores whatever else the client sends (its stream is no longer in sync).
   void close_and_discard_input(std::uint16_t code, std::string_view reason);

   /// Ends the connection now: leaves the registry, closes the socket.
   void terminate();
   void leave_registry();
   void revoke_authentication();

   session_transport transport_;
   shard& home_;
   outbound_queue queue_;
   ws::server_protocol protocol_; ///< framing, reassembly and the close handshake
   steady_clock::time_point last_read_;
   /// By phase: the auth deadline; when open, the earliest next ping; when closing, the close
   /// deadline.
   steady_clock::time_point deadline_;
   std::array<history::stream_cursor, 2> cursors_; ///< user_stream, global_stream
   /// Only while reads are pending or messages held: an idle connection owns none.
   std::unique_ptr<history_progress> history_;
   compact_address client_address_; ///< beside the flags below: they share its padding
   phase phase_ = phase::awaiting_auth;
   bool flush_scheduled_ = false;
   bool waiting_writable_ = false;
   bool slow_consumer_ = false;
   bool counted_for_user_ = false;
   bool holds_per_ip_slot_ = false;
   bool envelope_ = false;
   std::uint8_t protocol_errors_ = 0;
   /// This connection's member in its user's presence key (presence_tracker); 0: none.
   std::uint32_t presence_member_ = 0;
};

} // namespace notify::server
