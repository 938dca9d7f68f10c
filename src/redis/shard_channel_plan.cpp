#include "notify/redis/shard_channel_plan.hpp"

#include "notify/redis/hash_slot.hpp"

#include <optional>
#include <utility>

namespace notify::redis {

void shard_channel_plan::queue(std::string const& channel, channel_state& state) {
   if (!state.queued) {
      state.queued = true;
      queue_.push_back(channel);
   }
}

void shard_channel_plan::acquire(std::string const& channel) {
   auto& state = channels_[channel];
   if (++state.references == 1 && state.subscribed_on == nowhere) {
      queue(channel, state);
   }
}

void shard_channel_plan::release(std::string const& channel, clock::time_point now) {
   auto found = channels_.find(channel);
   if (found == channels_.end() || found->second.references == 0) {
      return;
   }
   if (--found->second.references == 0) {
      found->second.released_at = now;
      delayed_.emplace_back(now, channel);
   }
}

std::size_t shard_channel_plan::node_index(node_address const& node) {
   for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i] == node) {
         return i;
      }
   }
   nodes_.push_back(node);
   return nodes_.size() - 1;
}

std::map<std::size_t, std::vector<shard_channel_plan::command>>
shard_channel_plan::take_commands(cluster_topology const& topology, clock::time_point now) {
   std::vector<std::size_t> node_of_master;
   for (auto const& master : topology.masters()) {
      node_of_master.push_back(node_index(master));
   }
   auto master_of_node = [&](std::size_t node) -> std::optional<std::size_t> {
      for (std::size_t m = 0; m < node_of_master.size(); ++m) {
         if (node_of_master[m] == node) {
            return m;
         }
      }
      return std::nullopt;
   };
   // master -> slot -> command; the slot level keeps each command within one slot.
   std::map<std::size_t, std::map<std::uint16_t, command>> subscribes;
   std::map<std::size_t, std::map<std::uint16_t, command>> unsubscribes;
   while (!delayed_.empty() && now - delayed_.front().first >= unsubscribe_delay_) {
      auto const& [released_at, channel] = delayed_.front();
      if (auto found = channels_.find(channel); found != channels_.end() &&
                                                found->second.references == 0 &&
                                                found->second.released_at == released_at) {
         queue(channel, found->second);
      }
      delayed_.pop_front();
   }
   for (auto& channel : std::exchange(queue_, {})) {
      auto found = channels_.find(channel);
      if (found == channels_.end()) {
         continue;
      }
      auto& state = found->second;
      state.queued = false;
      auto const slot = hash_slot(channel);
      if (state.references == 0) {
         if (now - state.released_at < unsubscribe_delay_) {
            continue; // its entry in delayed_ brings it back once the delay is over
         }
         auto const master =
             state.subscribed_on == nowhere ? std::nullopt : master_of_node(state.subscribed_on);
         if (master) { // a node no longer a master dropped its subscriptions already
            auto& cmd = unsubscribes[*master][slot];
            if (cmd.empty()) {
               cmd.emplace_back("SUNSUBSCRIBE");
            }
            cmd.push_back(channel);
         }
         channels_.erase(found);
         continue;
      }
      if (state.subscribed_on != nowhere) {
         continue; // acquired again before the delay was over: still subscribed
      }
      if (auto const owner = topology.master_of_slot(slot)) {
         auto& cmd = subscribes[*owner][slot];
         if (cmd.empty()) {
            cmd.emplace_back("SSUBSCRIBE");
         }
         cmd.push_back(channel);
         state.subscribed_on = node_of_master[*owner];
      } else {
         queue(channel, state); // no master serves its slot yet: the next topology may
      }
   }
   std::map<std::size_t, std::vector<command>> out;
   for (auto* group : {&unsubscribes, &subscribes}) {
      for (auto& [master, by_slot] : *group) {
         for (auto& [slot, cmd] : by_slot) {
            out[master].push_back(std::move(cmd));
         }
      }
   }
   return out;
}

void shard_channel_plan::lost(std::string const& channel) {
   if (auto found = channels_.find(channel); found != channels_.end()) {
      found->second.subscribed_on = nowhere;
      queue(channel, found->second);
   }
}

std::vector<std::string> shard_channel_plan::lost_node(node_address const& node) {
   auto const index = node_index(node);
   std::vector<std::string> wanted_there;
   for (auto& [channel, state] : channels_) {
      if (state.subscribed_on == index) {
         state.subscribed_on = nowhere;
         queue(channel, state);
         if (state.references > 0) {
            wanted_there.push_back(channel);
         }
      }
   }
   return wanted_there;
}

std::vector<std::string> shard_channel_plan::adopt(cluster_topology const& topology) {
   std::vector<std::string> moved;
   for (auto& [channel, state] : channels_) {
      if (state.subscribed_on == nowhere) {
         continue;
      }
      auto const owner = topology.master_of_slot(hash_slot(channel));
      if (!owner || !(topology.masters()[*owner] == nodes_[state.subscribed_on])) {
         state.subscribed_on = nowhere;
         queue(channel, state);
         if (state.references > 0) {
            moved.push_back(channel);
         }
      }
   }
   return moved;
}

bool shard_channel_plan::wanted(std::string const& channel) const {
   auto found = channels_.find(channel);
   return found != channels_.end() && found->second.references > 0;
}

bool shard_channel_plan::subscribed(std::string const& channel) const {
   auto found = channels_.find(channel);
   return found != channels_.end() && found->second.subscribed_on != nowhere;
}

} // namespace notify::redis
