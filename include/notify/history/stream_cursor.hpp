#pragma once

#include "notify/common/stream_id.hpp"
#include "notify/routing/notification.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace notify::history {

/// Why a connection cannot be given every message after its position.
/// trimmed: older entries were cut by the count bound; expired: the stream expired or started
/// over (nothing links it to the position); replay_limit: more were missed than
/// history.max_replay; unknown_position: the position is not in the stream (ahead of it, or
/// never one of its ids); unavailable: no history for this stream (off, or Redis unreadable).
enum class gap_reason : std::uint8_t {
   trimmed,
   expired,
   replay_limit,
   unknown_position,
   unavailable
};
inline constexpr std::array<std::string_view, 5> gap_reason_names{
    "trimmed", "expired", "replay_limit", "unknown_position", "unavailable"};
std::string_view to_string(gap_reason reason);

/// Messages after `after` up to and including `until` may be missing; what follows comes
/// after `until`.
struct gap {
   stream_id after;
   stream_id until;
   gap_reason reason;
};

/// What one read of a stream found.
struct read_outcome {
   /// Entries after the position read from, oldest first, each with its position. Entries the
   /// gateway cannot deliver are there too (without frames): they still move the position.
   std::vector<routing::notification> entries;
   /// The stream's newest entry; nullopt when there is no stream (never written, or expired).
   std::optional<stream_id> newest;
   /// More were missed than the replay limit: `entries` are the newest ones.
   bool truncated = false;
};

/// One connection's place in one stream: sans-I/O, the session does the reading and writing.
///
/// untracked: no history for this stream; every message is delivered as it comes.
/// anchoring: where the stream ended at connect could not be read; the first message to arrive
/// is delivered and becomes the position (nothing published after auth_ok arrives before it,
/// while the Redis subscription holds; if it is lost first, the session signals the gap).
/// reading: a read is in flight; live messages are held by the session until it completes.
/// live: every message whose previous id is the position is delivered and becomes the
/// position; an older one is a duplicate; any other one means something was missed.
class stream_cursor {
public:
   enum class state : std::uint8_t { untracked, anchoring, reading, live };
   enum class verdict : std::uint8_t {
      deliver,   ///< in order: send it (the position moved)
      duplicate, ///< at or before the position: already sent
      hold,      ///< a read is in flight: keep it until the read completes
      gap,       ///< something before it is missing: now reading; hold it and read
   };

   state current() const { return state_; }
   stream_id position() const { return position_; }

   /// Reads are about to start from `position`.
   void start_reading(stream_id position) {
      position_ = position;
      state_ = state::reading;
   }
   /// A read from the current position starts again (after a lost link or held overflow).
   void restart_reading() { state_ = state::reading; }
   void stop_tracking() { state_ = state::untracked; }
   void start_anchoring() { state_ = state::anchoring; }

   verdict on_live(routing::stream_position const& message);

   /// A read of the stream's tail (a connection that did not resume): its newest entry is
   /// where this connection starts.
   void on_tail(std::optional<stream_id> newest);

   struct replay {
      std::optional<gap> missing; ///< to be signalled before the entries
      std::size_t first = 0;      ///< entries[first..] are to be delivered
   };
   /// A read after position(): what to signal and deliver; the position moves to the last
   /// entry (or to where the stream is, when the position was not in it).
   replay on_replay(read_outcome const& outcome);

private:
   stream_id position_;
   state state_ = state::untracked;
};

} // namespace notify::history
