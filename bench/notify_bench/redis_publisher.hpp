#pragma once

// Publishes notifications over its own Redis connection: PUBLISH (or FCALL notify_publish)
// commands in raw RESP, pipelined into one buffer and written with as few syscalls as the socket
// allows; the replies (subscriber counts, or stream ids) are read back and counted.

#include "event_loop.hpp"
#include "options.hpp"
#include "payload.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notify::bench {

struct publish_counters {
   std::uint64_t sent = 0;         ///< commands queued
   std::uint64_t acknowledged = 0; ///< integer (PUBLISH) or stream id (FCALL) replies read
   std::uint64_t errors = 0;       ///< error replies read
   std::uint64_t unheard = 0;      ///< replies of 0: no subscriber got the message
};

/// Parses complete RESP replies to PUBLISH or FCALL notify_publish at the start of `bytes`:
/// integers, bulk strings (stream ids) and errors (the latter's text goes to last_error).
/// Returns bytes used; throws std::runtime_error on anything else.
std::size_t parse_publish_replies(std::string_view bytes, publish_counters& counters,
                                  std::string& last_error);

class redis_publisher {
public:
   /// Connects (blocking, with a timeout) and registers with the loop under `tag`. With
   /// `cluster`, `redis` is a seed: its CLUSTER SLOTS names the masters, each gets a link of its
   /// own (registered under tag, tag - 1, ...) and each publish goes to its key's master.
   /// Throws std::runtime_error when Redis cannot be reached.
   redis_publisher(event_loop& loop, const host_port& redis, std::size_t payload_bytes,
                   std::uint64_t tag, publish_mode mode = publish_mode::publish,
                   bool cluster = false);
   ~redis_publisher();
   redis_publisher(const redis_publisher&) = delete;
   redis_publisher& operator=(const redis_publisher&) = delete;

   /// Queues one PUBLISH (or SPUBLISH) to user:<user>:notifications, or FCALL notify_publish 1
   /// user:<user>; the payload carries seq, ts and u.
   void publish_to_user(std::uint64_t user, std::uint64_t seq, std::uint64_t ts_ns);
   /// Queues one PUBLISH (SPUBLISH) to global_notifications, or FCALL notify_publish 1 global.
   void publish_global(std::uint64_t seq, std::uint64_t ts_ns);
   /// Writes what the sockets take now; the rest goes out when they are writable.
   void flush();

   /// Whether `tag` is one of this publisher's links.
   bool owns(std::uint64_t tag) const { return tag <= tag_ && tag_ - tag < links_.size(); }
   /// For events with one of this publisher's tags. Throws std::runtime_error when a link breaks.
   void on_event(std::uint64_t tag, std::uint32_t events);

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
   /// Links: 1, or the cluster's masters.
   std::size_t links() const { return links_.size(); }

private:
   struct link {
      int fd = -1;
      bool watching_writes = false;
      std::string out;
      std::size_t out_offset = 0;
      std::string in;
   };

   /// `target`: the channel (PUBLISH, SPUBLISH) or the function's key (FCALL).
   void append_publish(std::string_view target, std::optional<std::uint64_t> user,
                       std::uint64_t seq, std::uint64_t ts_ns);
   void flush(std::size_t index);
   /// Reads once; true when the read filled the buffer, so more may be waiting.
   bool read_replies(std::size_t index);
   void watch_writes(std::size_t index, bool on);
   void update_interest(std::size_t index);
   void connect_cluster(const host_port& seed);

   event_loop& loop_;
   std::uint64_t tag_;
   publish_mode mode_;
   std::vector<link> links_;
   std::vector<std::uint8_t> owner_; ///< cluster: link index by hash slot
   bool watching_replies_ = true;
   payload_builder payload_;
   std::string channel_;
   publish_counters counters_;
   std::string last_error_;
};

} // namespace notify::bench
