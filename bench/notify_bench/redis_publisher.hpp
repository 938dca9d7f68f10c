#pragma once

// Publishes notifications over its own Redis connection: PUBLISH (or FCALL notify_publish)
// commands in raw RESP, pipelined into one buffer and written with as few syscalls as the socket
// allows; the replies (subscriber counts, or stream ids) are read back and counted.

#include "event_loop.hpp"
#include "options.hpp"
#include "payload.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace notify::bench {

struct publish_counters {
   std::uint64_t sent = 0;         ///< commands queued
   std::uint64_t acknowledged = 0; ///< integer (PUBLISH) or stream id (FCALL) replies read
   std::uint64_t errors = 0;       ///< error replies read
   std::uint64_t unheard = 0;      ///< replies of 0: no subscriber got the message
};

class redis_publisher {
public:
   /// Connects (blocking, with a timeout) and registers with the loop under `tag`. Throws
   /// std::runtime_error when Redis cannot be reached.
   redis_publisher(event_loop& loop, const host_port& redis, std::size_t payload_bytes,
                   std::uint64_t tag, publish_mode mode = publish_mode::publish);
   ~redis_publisher();
   redis_publisher(const redis_publisher&) = delete;
   redis_publisher& operator=(const redis_publisher&) = delete;

   /// Queues one PUBLISH to user:<user>:notifications (or FCALL notify_publish 1 user:<user>);
   /// the payload carries seq, ts and u.
   void publish_to_user(std::uint64_t user, std::uint64_t seq, std::uint64_t ts_ns);
   /// Queues one PUBLISH to global_notifications (or FCALL notify_publish 1 global).
   void publish_global(std::uint64_t seq, std::uint64_t ts_ns);
   /// Writes what the socket takes now; the rest goes out when it is writable.
   void flush();

   /// For events with this publisher's tag. Throws std::runtime_error when the link breaks.
   void on_event(std::uint32_t events);

   /// Whether the loop wakes up for replies (on by default). An open-loop publisher turns it off
   /// and collects replies with read_ready_replies() on its own ticks: one wakeup less per
   /// message on a machine the server shares.
   void watch_replies(bool on);
   /// Reads whatever replies have arrived, without waiting.
   void read_ready_replies();

   const publish_counters& counters() const { return counters_; }
   /// Every queued command has its reply.
   bool settled() const { return counters_.acknowledged + counters_.errors == counters_.sent; }
   const std::string& last_error() const { return last_error_; }

private:
   /// `target`: the channel (PUBLISH) or the function's key (FCALL).
   void append_publish(std::string_view target, std::optional<std::uint64_t> user,
                       std::uint64_t seq, std::uint64_t ts_ns);
   /// Reads once; true when the read filled the buffer, so more may be waiting.
   bool read_replies();
   void watch_writes(bool on);
   void update_interest();

   event_loop& loop_;
   std::uint64_t tag_;
   publish_mode mode_;
   int fd_ = -1;
   bool watching_writes_ = false;
   bool watching_replies_ = true;
   payload_builder payload_;
   std::string out_;
   std::size_t out_offset_ = 0;
   std::string in_;
   std::string channel_;
   publish_counters counters_;
   std::string last_error_;
};

/// Parses complete RESP replies to PUBLISH or FCALL notify_publish at the start of `bytes`:
/// integers, bulk strings (stream ids) and errors (the latter's text goes to last_error).
/// Returns bytes used; throws std::runtime_error on anything else.
std::size_t parse_publish_replies(std::string_view bytes, publish_counters& counters,
                                  std::string& last_error);

} // namespace notify::bench
