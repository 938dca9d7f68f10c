// The history half of websocket_session: where the connection stands in its user's stream and
// the global one, the reads that place it there after a connect or a loss, and the live
// messages held while a read is in flight. The decisions are history::stream_cursor's.

#include "websocket_session_history.hpp"

#include "notify/common/logging.hpp"
#include "notify/server/shard.hpp"
#include "notify/server/websocket_session.hpp"

#include <nlohmann/json.hpp>

namespace notify::server {

namespace {

/// A failed read is tried again this long after, while the connection stays open.
constexpr std::chrono::seconds read_retry_delay{1};

constexpr std::string_view stream_name(std::size_t stream) {
   return stream == 0 ? "user" : "global";
}

} // namespace

websocket_session::history_progress& websocket_session::progress() {
   if (!history_) {
      history_ = std::make_unique<history_progress>();
   }
   return *history_;
}

void websocket_session::release_idle_progress() {
   if (!history_ || phase_ != phase::open) {
      return;
   }
   auto const& p = *history_;
   for (std::size_t stream = 0; stream < 2; ++stream) {
      if (p.in_flight[stream] || p.failed[stream] || p.read_again[stream] || p.overflowed[stream]) {
         return;
      }
   }
   if (p.held.empty()) {
      history_.reset();
   }
}

void websocket_session::set_delivery_options(delivery_options options) {
   envelope_ = envelope_ || options.envelope;
   if (options.resume_user || options.resume_global) {
      auto& p = progress();
      if (options.resume_user) {
         p.resume[user_stream] = std::move(options.resume_user);
      }
      if (options.resume_global) {
         p.resume[global_stream] = std::move(options.resume_global);
      }
   }
}

std::optional<stream_id> websocket_session::live_position(std::size_t stream) const {
   auto const& cursor = cursors_[stream];
   // A slow consumer being closed takes no more messages: its position stands still.
   if (phase_ != phase::open || slow_consumer_ ||
       cursor.current() != history::stream_cursor::state::live) {
      return std::nullopt;
   }
   return cursor.position();
}

std::size_t websocket_session::stream_of(const routing::notification& message) {
   return message.target.kind == routing::route::scope::user ? user_stream : global_stream;
}

routing::route websocket_session::route_of(std::size_t stream) const {
   if (stream == user_stream) {
      return {routing::route::scope::user, user_id()};
   }
   return {};
}

bool websocket_session::begin_history() {
   auto* reader = home_.history_reader();
   if (reader == nullptr) {
      return false;
   }
   bool reading = false;
   for (std::size_t stream = 0; stream < 2; ++stream) {
      if (stream == user_stream && !routing::history_names::has_history(user_id())) {
         continue; // untracked: delivered as it comes, like plain PUBLISH
      }
      std::optional<stream_id> resume_from;
      if (history_ && history_->resume[stream]) {
         resume_from = parse_stream_id(*history_->resume[stream]);
         history_->invalid_resume[stream] = !resume_from;
         history_->resumed[stream] = resume_from.has_value();
         history_->resume[stream].reset();
      }
      if (!resume_from) {
         // Most connects start where another connection of this shard already is: no read.
         if (auto known = home_.known_start(user_id(), stream == global_stream)) {
            cursors_[stream].on_tail(known);
            continue;
         }
      }
      cursors_[stream].start_reading(resume_from.value_or(stream_id{}));
      start_read(stream, !resume_from);
      reading = true;
   }
   return reading;
}

void websocket_session::start_read(std::size_t stream, bool tail) {
   auto* reader = home_.history_reader();
   auto& p = progress();
   p.in_flight[stream] = true;
   p.failed[stream] = false;
   auto target = route_of(stream);
   auto key = home_.history_names().stream_key(target);
   auto done = [weak = weak_from_this(), stream, tail](error_code ec,
                                                       history::stream_reader::outcome_ptr out) {
      if (auto self = weak.lock()) {
         self->on_read(stream, tail, ec, std::move(out));
      }
   };
   if (tail) {
      reader->read_tail(key, std::move(done));
   } else {
      reader->read_after(key, std::move(target), cursors_[stream].position(), std::move(done));
   }
}

void websocket_session::on_read(std::size_t stream, bool tail, error_code ec,
                                history::stream_reader::outcome_ptr outcome) {
   if (!history_ || (phase_ != phase::joining && phase_ != phase::open)) {
      return;
   }
   auto& p = *history_;
   p.in_flight[stream] = false;
   if (phase_ == phase::joining) {
      if (ec) {
         home_.metrics().history_read_failures.add(1);
         if (tail) {
            // Where the stream ends is unknown: the first message to arrive tells.
            cursors_[stream].start_anchoring();
         } else {
            // The client's position is known: read again after auth_ok, holding what arrives.
            p.failed[stream] = true;
            p.retry_at = steady_clock::now() + read_retry_delay;
         }
      } else {
         p.initial[stream] = std::move(outcome);
         p.initial_tail[stream] = tail;
      }
      if (!p.in_flight[user_stream] && !p.in_flight[global_stream]) {
         finish_joining();
      }
      return;
   }
   if (ec) {
      home_.metrics().history_read_failures.add(1);
      p.failed[stream] = true;
      p.retry_at = steady_clock::now() + read_retry_delay;
      return;
   }
   apply_read(stream, tail, *outcome);
}

void websocket_session::apply_read(std::size_t stream, bool tail,
                                   const history::read_outcome& outcome) {
   auto& cursor = cursors_[stream];
   auto& p = progress();
   if (stream == global_stream) {
      home_.observe_global_position(outcome.newest.value_or(stream_id{}));
   }
   if (tail) {
      cursor.on_tail(outcome.newest);
   } else {
      auto const replay = cursor.on_replay(outcome);
      if (replay.missing) {
         signal_gap(stream, *replay.missing);
      }
      std::size_t replayed = 0;
      for (auto i = replay.first; i < outcome.entries.size(); ++i) {
         send_message(outcome.entries[i]);
         ++replayed;
      }
      home_.metrics().history_replayed_messages.add(replayed);
   }
   if (p.read_again[stream]) {
      p.read_again[stream] = false;
      cursor.restart_reading();
      start_read(stream, false);
      return;
   }
   drain_held(stream);
}

void websocket_session::drain_held(std::size_t stream) {
   auto& p = progress();
   auto& cursor = cursors_[stream];
   std::vector<routing::notification> rest;
   bool reading = false;
   for (auto& message : p.held) {
      if (stream_of(message) != stream || reading) {
         rest.push_back(std::move(message));
         continue;
      }
      switch (cursor.on_live(*message.position)) {
      case history::stream_cursor::verdict::deliver:
         send_message(message);
         break;
      case history::stream_cursor::verdict::duplicate:
         break;
      case history::stream_cursor::verdict::gap:
      case history::stream_cursor::verdict::hold:
         reading = true;
         rest.push_back(std::move(message));
         break;
      }
   }
   p.held = std::move(rest);
   if (!reading && p.overflowed[stream]) {
      p.overflowed[stream] = false;
      cursor.restart_reading();
      reading = true;
   }
   if (reading) {
      start_read(stream, false);
      return;
   }
   release_idle_progress();
}

void websocket_session::hold(const routing::notification& message, std::size_t stream) {
   auto& p = progress();
   if (p.held.size() >= home_.context().settings.limits.max_queued_messages) {
      p.overflowed[stream] = true; // read back from the stream once the read is done
      return;
   }
   p.held.push_back(message);
}

void websocket_session::signal_gap(std::size_t stream, const history::gap& missing) {
   home_.metrics().history_gaps.add(history::to_string(missing.reason));
   if (!envelope_) {
      return; // a client that takes bare payloads has no way to hear of it
   }
   nlohmann::json body = {{"type", "gap"},
                          {"stream", stream_name(stream)},
                          {"after", to_string(missing.after)},
                          {"until", to_string(missing.until)},
                          {"reason", history::to_string(missing.reason)}};
   enqueue(ws::make_frame(ws::opcode::text, body.dump()));
}

void websocket_session::finish_joining() {
   deadline_ = {}; // now the earliest next ping: the first waits only for silence
   nlohmann::json reply = {{"type", "auth_ok"}, {"userId", user_id()}};
   enqueue(ws::make_frame(ws::opcode::text, reply.dump()));
   if (!history_) {
      phase_ = phase::open;
      return;
   }
   // Still joining while the reads are applied: release_idle_progress() frees history_ only
   // once open, and `p` below must outlive the loop.
   auto& p = *history_;
   for (std::size_t stream = 0; stream < 2; ++stream) {
      if (p.invalid_resume[stream]) {
         send_error("invalid_resume",
                    std::string("resume.") + std::string(stream_name(stream)) +
                        " is not a stream id (<ms>-<seq>); this stream starts from now");
      }
      bool const asked = p.resumed[stream] || p.resume[stream].has_value();
      if (asked) {
         home_.metrics().history_resumed_connections.add(1);
      }
      if (p.initial[stream]) {
         auto const outcome = std::move(p.initial[stream]);
         apply_read(stream, p.initial_tail[stream], *outcome);
      } else if (asked && cursors_[stream].current() == history::stream_cursor::state::untracked) {
         // History off, or an id with '}': nothing to resume.
         auto const after = p.resume[stream] ? parse_stream_id(*p.resume[stream]) : std::nullopt;
         signal_gap(stream, {after.value_or(cursors_[stream].position()), stream_id{},
                             history::gap_reason::unavailable});
      }
   }
   p.resume = {};
   phase_ = phase::open;
   release_idle_progress();
}

void websocket_session::repair_history(bool user, bool global) {
   if (phase_ != phase::open || home_.history_reader() == nullptr) {
      return;
   }
   for (std::size_t stream = 0; stream < 2; ++stream) {
      if (!(stream == user_stream ? user : global)) {
         continue;
      }
      auto& cursor = cursors_[stream];
      switch (cursor.current()) {
      case history::stream_cursor::state::untracked:
         break;
      case history::stream_cursor::state::anchoring:
         // Nothing arrived before the link was lost: what was published meanwhile is unknown.
         signal_gap(stream, {stream_id{}, stream_id{}, history::gap_reason::unavailable});
         break;
      case history::stream_cursor::state::live:
         cursor.restart_reading();
         start_read(stream, false);
         break;
      case history::stream_cursor::state::reading:
         if (history_ && history_->in_flight[stream]) {
            history_->read_again[stream] = true;
         } else {
            start_read(stream, false);
         }
         break;
      }
   }
}

void websocket_session::retry_failed_reads(steady_clock::time_point now) {
   if (!history_ || now < history_->retry_at) {
      return;
   }
   for (std::size_t stream = 0; stream < 2; ++stream) {
      if (history_ && history_->failed[stream]) {
         start_read(stream, false);
      }
   }
}

void websocket_session::send_message(const routing::notification& message) {
   auto const& frame = envelope_ ? message.envelope : message.frame;
   if (!frame) {
      return; // a history entry the gateway cannot deliver: only the position moved
   }
   if (over_queue_limits(*frame)) {
      // Closing touches the registry, which the router may be walking right now: next turn.
      if (!slow_consumer_) {
         slow_consumer_ = true;
         net::post(transport_.get_executor(),
                   [self = shared_from_this()] { self->close_slow_consumer(); });
      }
      return;
   }
   enqueue(frame);
}

} // namespace notify::server
