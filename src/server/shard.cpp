#include "notify/server/shard.hpp"

#include "notify/server/websocket_session.hpp"

#include <algorithm>

namespace notify::server {

namespace {

/// How long one sweep over every connection's deadlines takes: fine enough for the shortest
/// deadline, never shorter than 50 ms.
std::chrono::milliseconds tick_interval(const config::settings& settings) {
   auto const shortest = std::min(
       {settings.auth.timeout, settings.server.ping_interval, settings.server.idle_timeout});
   return std::clamp(shortest / 10, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
}

constexpr std::size_t read_chunk_bytes = std::size_t{64} * 1024;

} // namespace

shard::shard(unsigned index, gateway_context& context)
    : index_(index)
    , context_(context)
    , metrics_(context.metrics.shard(index))
    , read_buffer_(context.settings.limits.max_inbound_bytes + 16 + read_chunk_bytes)
    , ping_frame_(ws::make_frame(ws::opcode::ping, {}))
    , pong_message_frame_(ws::make_frame(ws::opcode::text, R"({"type":"pong"})"))
    , history_names_(context.settings.history.prefix, context.settings.routing.max_user_id_bytes) {
   if (context.settings.history.enabled) {
      history_reader_ = std::make_unique<history::stream_reader>(
          io_.get_executor(), context.settings.redis, context.settings.history.max_replay,
          context.settings.routing.max_payload_bytes);
   }
   if (context.settings.presence.enabled) {
      presence_ = std::make_unique<presence_tracker>(io_.get_executor(), context.settings, index,
                                                     metrics_.presence_write_failures);
      auto const tick = tick_interval(context.settings) / sweep_slices;
      auto const round = context.settings.presence.ttl / 3;
      presence_ticks_per_round_ = std::max<std::size_t>(1, round / tick);
   }
}

shard::~shard() {
   stopped_ = true;
   // Connections waiting for a flush must go while io_ still exists: their sockets belong to it.
   dirty_.clear();
   flushing_.clear();
}

void shard::schedule_flush(std::shared_ptr<websocket_session> session) {
   dirty_.push_back(std::move(session));
   if (!flush_posted_) {
      flush_posted_ = true;
      net::post(io_, [this] { run_flush(); });
   }
}

void shard::run_flush() {
   flush_posted_ = false;
   flushing_.swap(dirty_);
   for (auto& session : flushing_) {
      session->flush();
   }
   flushing_.clear();
}

void shard::user_presence_changed(const std::string& user_id, bool present) {
   if (stopped_) {
      return; // connections destroyed with the loop: nobody is left to tell
   }
   presence_changes_.emplace_back(user_id, present);
   post_presence_forward();
}

void shard::sync_presence(const std::shared_ptr<websocket_session>& session) {
   if (stopped_) {
      return;
   }
   awaiting_presence_sync_.push_back(session);
   post_presence_forward();
}

void shard::post_presence_forward() {
   if (!presence_post_pending_) {
      presence_post_pending_ = true;
      net::post(io_, [this] { forward_presence_changes(); });
   }
}

void shard::forward_presence_changes() {
   presence_post_pending_ = false;
   auto changes = std::move(presence_changes_);
   presence_changes_.clear();
   auto waiting = std::move(awaiting_presence_sync_);
   awaiting_presence_sync_.clear();
   auto release = [waiting = std::move(waiting)] {
      for (auto const& entry : waiting) {
         if (auto session = entry.lock()) {
            session->on_presence_synced();
         }
      }
   };
   if (!context_.shard_presence_changed) {
      release();
      return;
   }
   // The router applies the batch on its own thread, then hands the release back to this one;
   // posts from one thread to another run in order, so deliveries the router sends after the
   // batch arrive after the auth_ok they release.
   context_.shard_presence_changed(
       index_, std::move(changes),
       [this, release = std::move(release)]() mutable { net::post(io_, std::move(release)); });
}

void shard::start() {
   schedule_tick();
}

void shard::schedule_tick() {
   tick_timer_.expires_after(tick_interval(context_.settings) / sweep_slices);
   tick_timer_.async_wait([this](error_code ec) {
      if (!ec) {
         on_tick();
      }
   });
}

void shard::on_tick() {
   // Each tick checks one slice of the connections, so a full sweep is spread over the interval
   // instead of stalling delivery for a walk over every connection at once. The walk goes from
   // the back: a connection that ends during its check swaps the last one into its slot, and
   // that one has been checked already in this sweep.
   auto const now = steady_clock::now();
   visit_slice(sweep_cursor_, sweep_slices,
               [now](websocket_session& session) { session.on_tick(now); });
   if (presence_) {
      refresh_presence_slice();
   }
   schedule_tick();
}

void shard::refresh_presence_slice() {
   visit_slice(presence_cursor_, presence_ticks_per_round_,
               [](websocket_session& session) { session.refresh_presence(); });
}

template <class Visit>
void shard::visit_slice(std::size_t& cursor, std::size_t slices, Visit visit) {
   // Rounded up, so a round visits every connection at least once whatever joins meanwhile.
   auto const quota = (registry_.size() + slices - 1) / slices;
   for (std::size_t visited = 0; visited < quota && registry_.size() > 0; ++visited) {
      if (cursor == 0 || cursor > registry_.size()) {
         cursor = registry_.size();
      }
      --cursor;
      visit(*static_cast<websocket_session*>(registry_.at(cursor)));
   }
}

void shard::begin_shutdown() {
   draining_ = true;
   shutdown_deadline_.emplace(io_);
   shutdown_deadline_->expires_after(context_.settings.server.shutdown_timeout);
   shutdown_deadline_->async_wait([this](error_code ec) {
      if (!ec) {
         stop();
      }
   });
   for (std::size_t i = registry_.size(); i-- > 0;) {
      if (i < registry_.size()) {
         static_cast<websocket_session*>(registry_.at(i))
             ->close(ws::close_code::going_away, "server shutting down");
      }
   }
   on_connection_left();
}

void shard::on_connection_left() {
   if (!draining_ || registry_.size() != 0 || stopped_) {
      return;
   }
   if (presence_) {
      // The last connections' leaves are on their way: gone from the presence keys now, a
      // user who reconnects elsewhere is not counted twice for the ttl (bounded by the
      // shutdown deadline).
      presence_->when_idle([this] {
         if (!stopped_) {
            stop();
         }
      });
      return;
   }
   stop();
}

void shard::repair_history() {
   for (std::size_t i = registry_.size(); i-- > 0;) {
      if (i < registry_.size()) {
         static_cast<websocket_session*>(registry_.at(i))->repair_history();
      }
   }
}

void shard::repair_streams(const std::vector<std::string>& users, bool global) {
   if (global) {
      for (std::size_t i = registry_.size(); i-- > 0;) {
         if (i < registry_.size()) {
            static_cast<websocket_session*>(registry_.at(i))->repair_history(false, true);
         }
      }
   }
   for (auto const& user_id : users) {
      // A copy: a repair may end a connection (a slow consumer), which changes the member list.
      std::vector<std::shared_ptr<websocket_session>> sessions;
      for (auto* member : registry_.members_of(user_id)) {
         sessions.push_back(static_cast<websocket_session*>(member)->shared_from_this());
      }
      for (auto const& session : sessions) {
         session->repair_history(true, false);
      }
   }
}

void shard::history_link_lost() {
   global_watermark_.forget();
}

std::optional<stream_id> shard::known_start(const std::string& user_id, bool global) const {
   auto const max_age = std::chrono::milliseconds(context_.settings.history.max_age);
   auto const now = std::chrono::system_clock::now();
   if (global) {
      return global_watermark_.start_position(max_age, now);
   }
   // Another connection of the user that is live in the stream has every message this shard
   // received for the user so far.
   std::optional<stream_id> newest;
   for (auto const* member : registry_.members_of(user_id)) {
      auto const seen = static_cast<const websocket_session*>(member)->live_position(
          websocket_session::user_stream);
      if (seen && (!newest || *newest < *seen)) {
         newest = seen;
      }
   }
   if (newest && history::still_current(*newest, max_age, now)) {
      return newest;
   }
   return std::nullopt;
}

void shard::stop() {
   stopped_ = true;
   if (history_reader_) {
      history_reader_->stop();
   }
   if (presence_) {
      presence_->stop();
   }
   tick_timer_.cancel();
   if (shutdown_deadline_) {
      shutdown_deadline_->cancel();
   }
   work_.reset();
   io_.stop();
}

} // namespace notify::server
