#pragma once

#include "notify/redis/hash_slot.hpp"
#include "notify/redis/node_address.hpp"
#include "notify/redis/reply.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notify::redis {

/// Which master serves each of the 16384 slots, from a CLUSTER SLOTS reply. The reply comes from
/// the network: anything malformed (a slot out of range, a range claimed twice, a bad address)
/// rejects the whole reply, so a broken node cannot half-poison the routing.
class cluster_topology {
public:
   /// nullopt with `why` set when the reply is not a well-formed CLUSTER SLOTS answer.
   /// `seed_host` stands in for the empty host a node announces when it does not know its own
   /// address (Redis does that for the node being asked).
   static std::optional<cluster_topology>
   from_cluster_slots(reply const& answer, std::string_view seed_host, std::string& why);

   /// The master index serving `slot`; nullopt when no master covers it (a cluster that is
   /// still being set up, or a failover in progress).
   std::optional<std::size_t> master_of_slot(std::uint16_t slot) const;
   /// The master serving `key`'s slot.
   node_address const* master_of_key(std::string_view key) const;

   std::vector<node_address> const& masters() const { return masters_; }
   /// Replicas of masters()[i], as announced.
   std::vector<node_address> const& replicas_of(std::size_t master) const {
      return replicas_[master];
   }
   /// Slots that no master serves.
   std::size_t uncovered_slots() const;

private:
   static constexpr std::uint16_t no_owner = 0xFFFF;
   std::vector<node_address> masters_;
   std::vector<std::vector<node_address>> replicas_;
   std::array<std::uint16_t, cluster_slots> owner_{}; ///< index into masters_, or no_owner
};

/// A cluster redirection from an error reply: "MOVED 3999 127.0.0.1:6381" (the slot lives there
/// now: update the map) or "ASK 3999 127.0.0.1:6381" (ask there once, with ASKING first).
struct redirection {
   enum class kind { moved, ask };
   kind type = kind::moved;
   std::uint16_t slot = 0;
   node_address target;
};

/// nullopt when `error_text` is not a well-formed MOVED or ASK redirection.
std::optional<redirection> parse_redirection(std::string_view error_text);

} // namespace notify::redis
