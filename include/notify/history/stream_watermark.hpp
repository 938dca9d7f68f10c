#pragma once

#include "notify/common/stream_id.hpp"

#include <chrono>
#include <optional>

namespace notify::history {

/// The newest entry one shard has seen of one stream, from live messages and reads, so that a
/// new connection can start there without a read of its own. Any id the stream has held will do:
/// whatever the shard receives after it comes after that id or was published before the
/// connection's auth_ok, and a later message that does not follow it makes the connection read.
class stream_watermark {
public:
   /// An entry of the stream, or stream_id{} for a stream read as empty.
   void observe(stream_id seen) {
      if (!newest_ || *newest_ < seen) {
         newest_ = seen;
      }
   }
   /// The shard may miss messages (its Redis link is down): what it saw no longer says where the
   /// stream is.
   void forget() { newest_.reset(); }

   /// Where a new connection may start, or nullopt when a read must tell.
   std::optional<stream_id> start_position(std::chrono::milliseconds max_age,
                                           std::chrono::system_clock::time_point now) const;

private:
   std::optional<stream_id> newest_;
};

/// False when the stream may have expired since `seen` was its newest entry: starting there would
/// report the stream's restart as a gap to a connection that missed nothing. The id's time is
/// Redis' clock; a minute of margin covers a skew between the two hosts.
bool still_current(stream_id seen, std::chrono::milliseconds max_age,
                   std::chrono::system_clock::time_point now);

} // namespace notify::history
