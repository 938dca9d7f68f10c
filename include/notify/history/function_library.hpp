#pragma once

#include "notify/history/settings.hpp"

#include <cstddef>
#include <string>

namespace notify::history {

/// Version of the library's interface (arguments, channel message format, entry fields).
/// Bumped whenever a gateway could misread what an older library publishes.
inline constexpr int function_library_version = 1;

/// The Redis Function library (Lua, `#!lua name=notify`) that publishers call:
///   FCALL notify_publish 1 user:<id> <json> [<message id>]
///   FCALL notify_publish 1 global <json> [<message id>]
/// and, for presence (config::presence_settings), the gateway and backends:
///   FCALL notify_presence_join 1 <prefix>{user:<id>}:presence <member> <ttl ms> <limit>
///   FCALL_RO notify_presence 1 user:<id>
/// It appends the payload to the target's stream (bounded by count and age), publishes
/// "<id> <previous id> <json>" on the target's live channel, and returns the new entry's id
/// (the first publish's id again for a repeated message id). The bounds come from `config`;
/// `max_payload_bytes` and `max_user_id_bytes` mirror the gateway's routing limits so that a
/// publisher hears about a message the gateway would drop. `sharded`: Redis Cluster, where the
/// live channel is a shard channel (SPUBLISH, in the slot of the stream) instead of PUBLISH.
std::string function_library(settings const& config, std::size_t max_payload_bytes,
                             std::size_t max_user_id_bytes, bool sharded = false);

} // namespace notify::history
