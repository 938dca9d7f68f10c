#include "notify/server/websocket_session.hpp"

#include "notify/common/logging.hpp"
#include "notify/server/close_codes.hpp"
#include "notify/server/shard.hpp"
#include "websocket_session_history.hpp"

#include <array>
#include <cstring>
#include <nlohmann/json.hpp>
#include <span>

namespace notify::server {

namespace {

/// A close we started is given this long for the client's answer before the socket is cut.
constexpr std::chrono::seconds close_handshake_timeout{3};
/// Reads per readiness event, so one chatty client cannot starve the shard.
constexpr int max_reads_per_wakeup = 4;

std::string error_message(std::string_view code, std::string_view message) {
   nlohmann::json body = {{"type", "error"}, {"code", code}, {"message", message}};
   return body.dump();
}

} // namespace

websocket_session::websocket_session(session_transport transport, shard& home,
                                     compact_address client_address, bool holds_per_ip_slot)
    : transport_(std::move(transport))
    , home_(home)
    , protocol_(static_cast<std::uint32_t>(home.context().settings.limits.max_inbound_bytes))
    , client_address_(client_address)
    , holds_per_ip_slot_(holds_per_ip_slot) {
   home_.metrics().connections.add(1);
}

websocket_session::~websocket_session() {
   leave_registry();
   if (holds_per_ip_slot_) {
      home_.context().connections_per_ip.release(client_address_.to_string());
   }
   home_.metrics().connections.add(-1);
}

void websocket_session::start(ws::shared_frame handshake_response, std::string_view early_input,
                              std::optional<credential> presented, delivery_options options) {
   set_delivery_options(std::move(options));
   auto const now = steady_clock::now();
   last_read_ = now;
   deadline_ = now + home_.context().settings.auth.timeout;
   error_code ec;
   transport_.set_non_blocking(ec);
   if (ec) {
      return;
   }
   home_.registry().add(*this);
   enqueue(std::move(handshake_response));
   if (presented) {
      start_auth(*presented);
   }
   // The early bytes lie in the HTTP session's buffer; they are parsed in the scratch buffer like
   // any other input.
   auto& buffer = home_.read_buffer();
   while (!early_input.empty() && phase_ != phase::closed) {
      auto const bytes = std::min(early_input.size(), buffer.size());
      std::memcpy(buffer.data(), early_input.data(), bytes);
      early_input.remove_prefix(bytes);
      consume_input(buffer.data(), bytes);
   }
   if (phase_ != phase::closed) {
      wait_readable();
   }
}

// ---------------------------------------------------------------------------------------------
// Reading

void websocket_session::wait_readable() {
   transport_.wait_readable([self = shared_from_this()](error_code ec) { self->on_readable(ec); });
}

void websocket_session::on_readable(error_code ec) {
   if (ec || phase_ == phase::closed) {
      if (ec != net::error::operation_aborted) {
         terminate();
      }
      return;
   }
   auto& buffer = home_.read_buffer();
   for (int round = 0; round < max_reads_per_wakeup; ++round) {
      auto const bytes = transport_.read_some(net::buffer(buffer.data(), buffer.size()), ec);
      if (ec == net::error::would_block || ec == net::error::try_again) {
         break;
      }
      if (ec) {
         terminate(); // EOF or reset: the peer is gone, there is nobody to send a close to
         return;
      }
      last_read_ = steady_clock::now();
      consume_input(buffer.data(), bytes);
      if (phase_ == phase::closed) {
         return;
      }
      if (bytes < buffer.size()) {
         break; // the socket is drained
      }
   }
   wait_readable();
}

void websocket_session::consume_input(char* data, std::size_t size) {
   protocol_.feed(data, size);
   while (phase_ != phase::closed) {
      auto const event = protocol_.next();
      if (event.type == ws::event_type::need_more) {
         return;
      }
      on_protocol_event(event);
   }
}

void websocket_session::on_protocol_event(const ws::protocol_event& event) {
   switch (event.type) {
   case ws::event_type::need_more:
   case ws::event_type::pong: // a sign of life, already noted by the read
      return;
   case ws::event_type::text:
      on_text_message(event.payload);
      return;
   case ws::event_type::binary:
      send_error("bad_message", "binary messages are not supported");
      count_protocol_error();
      return;
   case ws::event_type::ping:
      enqueue_reply(ws::make_frame(ws::opcode::pong, event.payload));
      return;
   case ws::event_type::close:
      if (protocol_.close_sent()) {
         flush(); // ends the connection once our close is written
         return;
      }
      // Echo the client's code, as the RFC suggests.
      close(event.code == ws::close_code::no_status ? ws::close_code::normal : event.code, "");
      return;
   case ws::event_type::failure:
      close(event.code, event.payload); // the core already ignores what follows
      return;
   }
}

void websocket_session::on_text_message(std::string_view text) {
   auto const message = nlohmann::json::parse(text, nullptr, false);
   // A NUL ends nlohmann's input early; it is never valid in JSON text.
   if (message.is_discarded() || text.find('\0') != std::string_view::npos) {
      send_error("bad_json", "message is not valid JSON");
      count_protocol_error();
      return;
   }
   auto const type = message.is_object() ? message.find("type") : message.end();
   if (!message.is_object() || type == message.end() || !type->is_string()) {
      send_error("bad_message", "expected a JSON object with a string \"type\"");
      count_protocol_error();
      return;
   }
   auto const& name = type->get_ref<const std::string&>();
   if (name == "ping") {
      enqueue_reply(home_.pong_message_frame());
      return;
   }
   if (name == "auth") {
      std::optional<std::string> claimed_user_id;
      const std::string* token = nullptr;
      if (auto const t = message.find("token"); t != message.end() && t->is_string()) {
         token = &t->get_ref<const std::string&>();
      }
      if (auto const u = message.find("userId"); u != message.end()) {
         if (u->is_string()) {
            claimed_user_id = u->get<std::string>();
         } else if (u->is_number_integer()) {
            claimed_user_id = u->dump();
         }
      }
      if (phase_ == phase::awaiting_auth && !read_delivery_options(message)) {
         return;
      }
      on_auth_request(token, std::move(claimed_user_id));
      return;
   }
   send_error("unknown_type", "unknown message type");
   count_protocol_error();
}

bool websocket_session::read_delivery_options(const nlohmann::json& message) {
   delivery_options options;
   if (auto const format = message.find("format"); format != message.end()) {
      if (!format->is_string() || (*format != "envelope" && *format != "payload")) {
         send_error("bad_format", R"("format" is "envelope" or "payload")");
         count_protocol_error();
         return false;
      }
      options.envelope = *format == "envelope";
   }
   if (auto const resume = message.find("resume"); resume != message.end()) {
      if (!resume->is_object()) {
         send_error("invalid_resume", R"("resume" is {"user": "<id>", "global": "<id>"})");
         count_protocol_error();
         return false;
      }
      for (auto const& [name, field] :
           {std::pair{"user", &options.resume_user}, std::pair{"global", &options.resume_global}}) {
         if (auto const position = resume->find(name); position != resume->end()) {
            // Checked once the connection is authenticated, with a clear error then.
            *field = position->is_string() ? position->get<std::string>() : position->dump();
         }
      }
   }
   set_delivery_options(std::move(options));
   return true;
}

void websocket_session::on_auth_request(const std::string* token,
                                        std::optional<std::string> claimed_user_id) {
   if (phase_ == phase::open) {
      send_error("already_authenticated", "this connection is already authenticated");
      count_protocol_error();
      return;
   }
   if (phase_ == phase::authenticating || phase_ == phase::joining) {
      send_error("auth_in_progress", "authentication is in progress");
      count_protocol_error();
      return;
   }
   if (token != nullptr) {
      start_auth({credential::kind::token, *token});
      return;
   }
   if (claimed_user_id) {
      if (refuse_locked_out_client()) {
         return;
      }
      phase_ = phase::authenticating;
      on_auth_result(home_.context().auth->authenticate_claimed_user_id(*claimed_user_id));
      return;
   }
   phase_ = phase::authenticating;
   on_auth_result({false, {}, "missing_token", false});
}

// ---------------------------------------------------------------------------------------------
// Authentication

bool websocket_session::refuse_locked_out_client() {
   auto& context = home_.context();
   if (!context.auth_failures_per_ip.tracking_any()) {
      return false;
   }
   if (context.auth_failures_per_ip.locked_for(client_address_.to_string(), steady_clock::now())
           .count() == 0) {
      return false;
   }
   home_.metrics().refused_connections.add("auth_lockout");
   phase_ = phase::authenticating; // so that the auth deadline no longer applies
   close(app_close::auth_locked_out, "too many failed authentications from this address");
   return true;
}

void websocket_session::start_auth(const credential& presented) {
   if (refuse_locked_out_client()) {
      return;
   }
   phase_ = phase::authenticating;
   home_.context().auth->authenticate(presented, transport_.get_executor(),
                                      [weak = weak_from_this()](authenticator::outcome outcome) {
                                         if (auto self = weak.lock()) {
                                            self->on_auth_result(std::move(outcome));
                                         }
                                      });
}

void websocket_session::on_auth_result(authenticator::outcome outcome) {
   if (phase_ != phase::authenticating) {
      return; // closed or timed out meanwhile
   }
   auto& context = home_.context();
   if (!outcome.ok) {
      home_.metrics().auth_failures.add(outcome.failure);
      auto const address = client_address_.to_string();
      spdlog::debug("auth failed from {}: {}", address, outcome.failure);
      // Only failures that could be guessing count; an unreachable session store or an
      // expired token says nothing bad about the client.
      if (!outcome.backend_unavailable && could_be_guessing(outcome.failure) &&
          context.auth_failures_per_ip.enabled()) {
         if (context.auth_failures_per_ip.record_failure(address, steady_clock::now())) {
            spdlog::warn("auth: {} locked out for {} s after {} failed authentications", address,
                         context.settings.auth.lockout.count(), context.settings.auth.max_failures);
         }
      }
      if (outcome.backend_unavailable) {
         close(ws::close_code::internal_error, "authentication backend unavailable");
      } else {
         close(app_close::auth_failed,
               std::string("authentication failed: ") + std::string(outcome.failure));
      }
      return;
   }
   auto const per_user_limit = context.settings.limits.max_connections_per_user;
   if (per_user_limit > 0) {
      if (!context.connections_per_user.try_acquire(outcome.user_id, per_user_limit)) {
         home_.metrics().refused_connections.add("per_user");
         close(app_close::connection_limit, "too many connections for this user");
         return;
      }
      counted_for_user_ = true;
   }
   if (context.auth_failures_per_ip.tracking_any()) {
      context.auth_failures_per_ip.record_success(client_address_.to_string());
   }
   auto* presence = home_.presence();
   if (presence != nullptr && presence_tracker::tracks(outcome.user_id)) {
      presence_member_ = presence->next_member();
      if (context.settings.limits.per_user_limit_is_shared()) {
         // Counted with every other gateway's connections of the user, atomically in Redis.
         presence->join(outcome.user_id, presence_member_, per_user_limit,
                        [weak = weak_from_this(), presence, user = outcome.user_id,
                         member = presence_member_](presence_tracker::join_result result) mutable {
                           if (auto self = weak.lock()) {
                              self->on_presence_joined(std::move(user), result);
                           } else if (result == presence_tracker::join_result::admitted) {
                              presence->leave(user, member);
                           }
                        });
         return;
      }
      presence->join(outcome.user_id, presence_member_, 0, nullptr);
   }
   admit(std::move(outcome.user_id));
}

void websocket_session::on_presence_joined(std::string user, presence_tracker::join_result result) {
   auto* presence = home_.presence();
   if (phase_ != phase::authenticating) {
      // Closed while Redis counted it: not a connection of the user any more.
      if (result == presence_tracker::join_result::admitted) {
         presence->leave(user, presence_member_);
      }
      presence_member_ = 0;
      return;
   }
   if (result == presence_tracker::join_result::over_limit) {
      presence_member_ = 0;
      if (counted_for_user_) {
         counted_for_user_ = false;
         home_.context().connections_per_user.release(user);
      }
      home_.metrics().refused_connections.add("per_user");
      close(app_close::connection_limit, "too many connections for this user");
      return;
   }
   // unavailable: admitted on this instance's own count; the refresh adds it to Redis later.
   admit(std::move(user));
}

void websocket_session::admit(std::string user) {
   // auth_ok waits until the router has this shard's presence for the user: a client that
   // has seen auth_ok must get every message published after it, even on another thread.
   phase_ = phase::joining;
   if (home_.registry().authenticate(*this, std::move(user))) {
      home_.user_presence_changed(user_id(), true);
   }
   home_.metrics().authenticated_connections.add(1);
   home_.sync_presence(shared_from_this());
}

void websocket_session::on_presence_synced() {
   if (phase_ != phase::joining) {
      return; // closed meanwhile
   }
   // Where this connection starts in its streams is read before auth_ok: everything published
   // after auth_ok then comes after that position.
   if (!begin_history()) {
      finish_joining();
   }
}

// ---------------------------------------------------------------------------------------------
// Writing

void websocket_session::deliver(const routing::notification& message) {
   if (slow_consumer_) {
      return;
   }
   if (message.position) {
      auto const stream = stream_of(message);
      auto& cursor = cursors_[stream];
      if (phase_ == phase::joining && cursor.current() == history::stream_cursor::state::reading) {
         hold(message, stream); // published while the start position is being read
         return;
      }
      if (phase_ != phase::open) {
         return;
      }
      switch (cursor.on_live(*message.position)) {
      case history::stream_cursor::verdict::deliver:
         break;
      case history::stream_cursor::verdict::duplicate:
         return;
      case history::stream_cursor::verdict::hold:
         hold(message, stream);
         return;
      case history::stream_cursor::verdict::gap:
         hold(message, stream);
         start_read(stream, false);
         return;
      }
   } else if (phase_ != phase::open) {
      return;
   }
   send_message(message);
}

bool websocket_session::over_queue_limits(const std::string& frame) const {
   auto const& limits = home_.context().settings.limits;
   return queue_.bytes() + frame.size() > limits.max_queued_bytes ||
          queue_.size() >= limits.max_queued_messages;
}

void websocket_session::enqueue_reply(ws::shared_frame frame) {
   if (over_queue_limits(*frame)) {
      // A client that keeps asking (pings) but never reads the answers.
      slow_consumer_ = true;
      close_slow_consumer();
      return;
   }
   enqueue(std::move(frame));
}

void websocket_session::close_slow_consumer() {
   if (phase_ == phase::closed || protocol_.close_sent()) {
      return;
   }
   home_.metrics().slow_consumers.add(1);
   queue_.drop_all_but_started();
   close_and_discard_input(app_close::slow_consumer, "slow consumer");
}

void websocket_session::enqueue(ws::shared_frame frame) {
   if (phase_ == phase::closed || protocol_.close_sent()) {
      return;
   }
   queue_.push(std::move(frame));
   if (!flush_scheduled_ && !waiting_writable_) {
      flush_scheduled_ = true;
      home_.schedule_flush(shared_from_this());
   }
}

void websocket_session::flush() {
   flush_scheduled_ = false;
   if (phase_ == phase::closed || waiting_writable_) {
      return;
   }
   std::array<net::const_buffer, outbound_queue::max_gather> buffers;
   while (!queue_.empty()) {
      auto const count = queue_.gather(buffers);
      error_code ec;
      auto const written =
          transport_.write_some(std::span<const net::const_buffer>(buffers.data(), count), ec);
      if (ec == net::error::would_block || ec == net::error::try_again) {
         wait_writable();
         return;
      }
      if (ec) {
         terminate();
         return;
      }
      queue_.consume(written);
   }
   if (protocol_.close_sent() && protocol_.close_received()) {
      terminate();
   } else if (protocol_.close_sent() && protocol_.discarding()) {
      // Unread input would make close() send a reset that can overtake our close frame: send
      // FIN and drain the client's bytes until it hangs up or the close deadline passes.
      transport_.shutdown_send();
   }
}

void websocket_session::wait_writable() {
   waiting_writable_ = true;
   transport_.wait_writable([self = shared_from_this()](error_code ec) {
      self->waiting_writable_ = false;
      if (!ec) {
         self->flush();
      }
   });
}

void websocket_session::send_error(std::string_view code, std::string_view message) {
   enqueue_reply(ws::make_frame(ws::opcode::text, error_message(code, message)));
}

void websocket_session::count_protocol_error() {
   home_.metrics().protocol_errors.add(1);
   if (++protocol_errors_ > home_.context().settings.limits.max_protocol_errors) {
      close(ws::close_code::policy_violation, "too many bad messages");
   }
}

// ---------------------------------------------------------------------------------------------
// Closing

void websocket_session::close(std::uint16_t code, std::string_view reason) {
   if (phase_ == phase::closed || protocol_.close_sent()) {
      return;
   }
   phase_ = phase::closing;
   deadline_ = steady_clock::now() + close_handshake_timeout;
   enqueue(ws::make_close_frame(code, reason));
   protocol_.on_close_sent();
   revoke_authentication(); // no more notifications; the tick still watches the deadline
}

void websocket_session::close_and_discard_input(std::uint16_t code, std::string_view reason) {
   protocol_.discard_input();
   close(code, reason);
}

void websocket_session::on_tick(steady_clock::time_point now) {
   auto const& server = home_.context().settings.server;
   switch (phase_) {
   case phase::awaiting_auth:
   case phase::authenticating:
   case phase::joining:
      if (now >= deadline_) {
         home_.metrics().auth_failures.add("timeout");
         home_.metrics().timeouts.add("auth");
         close(app_close::auth_timeout, "authentication timeout");
      }
      return;
   case phase::open:
      queue_.trim();
      retry_failed_reads(now);
      if (now - last_read_ >= server.idle_timeout) {
         home_.metrics().timeouts.add("idle");
         close_and_discard_input(ws::close_code::going_away, "idle timeout");
      } else if (now - last_read_ >= server.ping_interval && now >= deadline_) {
         deadline_ = now + server.ping_interval;
         enqueue(home_.ping_frame());
      }
      return;
   case phase::closing:
      if (now >= deadline_) {
         terminate();
      }
      return;
   case phase::closed:
      return;
   }
}

void websocket_session::refresh_presence() {
   if (presence_member_ != 0 && authenticated()) {
      home_.presence()->refresh(user_id(), presence_member_);
   }
}

void websocket_session::terminate() {
   if (phase_ == phase::closed) {
      return;
   }
   phase_ = phase::closed;
   leave_registry();
   transport_.close();
   queue_.clear();
   home_.on_connection_left();
}

void websocket_session::revoke_authentication() {
   if (!authenticated()) {
      return;
   }
   auto& context = home_.context();
   if (counted_for_user_) {
      counted_for_user_ = false;
      context.connections_per_user.release(user_id());
   }
   if (presence_member_ != 0) {
      home_.presence()->leave(user_id(), presence_member_);
      presence_member_ = 0;
   }
   home_.metrics().authenticated_connections.add(-1);
   // revoke() leaves user_id() in place, so no copy is needed to report the departure.
   if (home_.registry().revoke(*this)) {
      home_.user_presence_changed(user_id(), false);
   }
}

void websocket_session::leave_registry() {
   revoke_authentication();
   home_.registry().remove(*this);
}

} // namespace notify::server
