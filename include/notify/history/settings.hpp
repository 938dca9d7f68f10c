#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace notify::history {

/// Per-user and global message history in Redis Streams (docs/operations.md, "History").
/// The bounds are baked into the Redis Function library the gateway loads, so every gateway on
/// one Redis should use the same values: the last one to start decides.
struct settings {
   bool enabled = true;
   /// Start of every history key and channel: <prefix>{user:<id>}:history and so on. Two
   /// deployments sharing one Redis (pub/sub ignores SELECT) need different prefixes.
   std::string prefix = "notify:";
   std::size_t user_max_entries = 100;    ///< per user stream, at least (XADD MAXLEN ~)
   std::size_t global_max_entries = 1000; ///< the global stream, at least
   /// Entries older than this are trimmed, and an untouched stream expires after it.
   std::chrono::seconds max_age{86400};
   /// How long a publisher's message id is remembered, so a retried publish is delivered once.
   std::chrono::seconds idempotency_ttl{600};
   /// Entries replayed to one connection per stream when it resumes; older missed ones are
   /// reported as a gap (reason "replay_limit").
   std::size_t max_replay = 1000;
};

} // namespace notify::history
