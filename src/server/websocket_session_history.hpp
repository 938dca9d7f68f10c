#pragma once

// websocket_session's history state, shared by its two source files only.

#include "notify/server/websocket_session.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace notify::server {

struct websocket_session::history_progress {
   std::array<std::optional<std::string>, 2> resume; ///< client text, until the first reads
   std::array<bool, 2> resumed{};                    ///< a valid position was given
   std::array<bool, 2> invalid_resume{};
   /// While joining: results kept until auth_ok has gone out.
   std::array<history::stream_reader::outcome_ptr, 2> initial;
   std::array<bool, 2> initial_tail{};
   std::array<bool, 2> in_flight{};
   std::array<bool, 2> read_again{}; ///< a loss happened while a read was in flight
   std::array<bool, 2> overflowed{}; ///< live messages were not held: read them back
   std::array<bool, 2> failed{};     ///< the last read failed: retried after a delay
   steady_clock::time_point retry_at{};
   std::vector<routing::notification> held;
};

} // namespace notify::server
