#pragma once

#include "notify/redis/cluster_topology.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace notify::redis {

/// The shard channels one gateway event loop should hold on a Redis Cluster, and the commands that
/// get the cluster there. Sans I/O: the caller sends what `take_commands` returns on each master's
/// subscriber link, once per loop turn, and reports what Redis confirms or drops.
///
/// Channels are reference counted (one per connection of the user); a channel whose last
/// reference went is unsubscribed only after `unsubscribe_delay`, so a user who reconnects at once
/// (a page reload, a flapping network) costs Redis nothing. SSUBSCRIBE takes channels of one slot
/// per command, so each master gets one command per slot, all written in one batch.
class shard_channel_plan {
public:
   using clock = std::chrono::steady_clock;
   using command = std::vector<std::string>;

   explicit shard_channel_plan(std::chrono::milliseconds unsubscribe_delay)
       : unsubscribe_delay_(unsubscribe_delay) {}

   /// A connection needs `channel`.
   void acquire(std::string const& channel);
   /// A connection that needed `channel` left. Ignores a channel never acquired.
   void release(std::string const& channel, clock::time_point now);

   /// The commands to send now, by master index in `topology`: SSUBSCRIBE for wanted channels not
   /// subscribed yet, SUNSUBSCRIBE for channels released longer than the delay ago. A channel whose
   /// slot no master serves waits for a topology that has one.
   std::map<std::size_t, std::vector<command>> take_commands(cluster_topology const& topology,
                                                             clock::time_point now);

   /// Redis dropped `channel` (a sunsubscribe it pushed when the slot moved, or the link to its
   /// master went): it is subscribed again by the next take_commands if still wanted.
   void lost(std::string const& channel);
   /// The subscriber link to `node` went (or is new): every channel subscribed there is lost.
   /// Returns the lost channels that are still wanted.
   std::vector<std::string> lost_node(node_address const& node);
   /// A new topology: channels whose slot now has another owner are lost (to be subscribed there;
   /// their users' gap is the caller's to repair). Returns them.
   std::vector<std::string> adopt(cluster_topology const& topology);

   bool wanted(std::string const& channel) const;
   bool subscribed(std::string const& channel) const;
   std::size_t channel_count() const { return channels_.size(); }
   /// Something for take_commands to look at (a subscribe to send, an unsubscribe delay running).
   bool has_queued() const { return !queue_.empty() || !delayed_.empty(); }

private:
   static constexpr std::size_t nowhere = static_cast<std::size_t>(-1);
   struct channel_state {
      std::size_t references = 0;
      std::size_t subscribed_on = nowhere; ///< index into nodes_, once SSUBSCRIBE was sent
      clock::time_point released_at{};
      bool queued = false; ///< in queue_
   };

   /// Puts `channel` where the next take_commands looks: it looks at changed channels only, not
   /// at every channel of the loop on every turn.
   void queue(std::string const& channel, channel_state& state);

   /// Nodes are kept by address, not by their index in one topology: a new topology may list
   /// the same masters in another order.
   std::size_t node_index(node_address const& node);

   std::chrono::milliseconds unsubscribe_delay_;
   std::unordered_map<std::string, channel_state> channels_;
   std::vector<std::string> queue_; ///< channels to subscribe, unsubscribe or look at again
   /// Releases in time order (the delay is one for all): take_commands looks only at those
   /// whose delay is over, not at every channel still waiting, on every turn. A channel taken
   /// and released again has a later entry; the earlier one is passed over.
   std::deque<std::pair<clock::time_point, std::string>> delayed_;
   std::vector<node_address> nodes_;
};

} // namespace notify::redis
