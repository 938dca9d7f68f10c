#include "notify/history/stream_cursor.hpp"

namespace notify::history {

std::string_view to_string(gap_reason reason) {
   return gap_reason_names[static_cast<std::size_t>(reason)];
}

stream_cursor::verdict stream_cursor::on_live(routing::stream_position const& message) {
   switch (state_) {
   case state::untracked:
      return verdict::deliver;
   case state::anchoring:
      position_ = message.id;
      state_ = state::live;
      return verdict::deliver;
   case state::reading:
      return verdict::hold;
   case state::live:
      break;
   }
   if (message.id <= position_) {
      return verdict::duplicate;
   }
   if (message.previous == position_) {
      position_ = message.id;
      return verdict::deliver;
   }
   state_ = state::reading;
   return verdict::gap;
}

void stream_cursor::on_tail(std::optional<stream_id> newest) {
   position_ = newest.value_or(stream_id{});
   state_ = state::live;
}

stream_cursor::replay stream_cursor::on_replay(read_outcome const& outcome) {
   state_ = state::live;
   auto const after = position_;
   replay result;
   if (outcome.entries.empty()) {
      if (!outcome.newest) {
         if (!after.is_zero()) {
            result.missing = gap{after, stream_id{}, gap_reason::expired};
            position_ = stream_id{};
         }
      } else if (*outcome.newest < after) {
         result.missing = gap{after, *outcome.newest, gap_reason::unknown_position};
         position_ = *outcome.newest;
      }
      // newest > after with no entries: added between the two reads; it arrives live.
      return result;
   }
   auto const& first = *outcome.entries.front().position;
   if (outcome.truncated) {
      result.missing = gap{after, first.previous, gap_reason::replay_limit};
   } else if (first.previous != after) {
      auto const reason = first.previous.is_zero() ? gap_reason::expired
                          : first.previous < after ? gap_reason::unknown_position
                                                   : gap_reason::trimmed;
      result.missing = gap{after, first.previous, reason};
   }
   position_ = outcome.entries.back().position->id;
   return result;
}

} // namespace notify::history
