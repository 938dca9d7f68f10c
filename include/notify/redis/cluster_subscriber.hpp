#pragma once

#include "notify/redis/cluster_client.hpp"
#include "notify/redis/node_address.hpp"
#include "notify/redis/settings.hpp"
#include "notify/redis/subscription_set.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace notify::redis {

/// The gateway's pub/sub on a Redis Cluster: one subscriber link per master, each user's shard
/// channel SSUBSCRIBEd on the master of its slot while the user is connected (reference counted,
/// batched per master and loop turn, unsubscribed after a delay), plus the classic channels and
/// patterns on one of the links, for publishers that still use PUBLISH.
///
/// Topology changes are followed, never silent: a sunsubscribe Redis pushes when a slot moves, a
/// MOVED answer, a lost master link, or a periodic CLUSTER SLOTS that names other owners; each
/// drops the affected channels and subscribes them on the new owner, then reports them
/// (on_resubscribed) so their users' gap can be repaired from history. Idle links are probed
/// with PING. Use from one executor (thread) only.
class cluster_subscriber {
public:
   struct handlers {
      /// One published message (smessage, message or pmessage).
      std::function<void(std::string&& channel, std::string&& payload)> on_message;
      /// Ready: a slot map, every master's link up, the classic subscriptions and the permanent
      /// channels confirmed. Called on change, with why not.
      std::function<void(bool ready, std::string_view reason)> on_state;
      /// Channels that had been dropped (or not yet subscribed when their users had to go on)
      /// and are subscribed again: messages published meanwhile were not received.
      std::function<void(std::vector<std::string> const& channels)> on_resubscribed;
      /// Channels whose subscription just went; messages may be missed until on_resubscribed.
      std::function<void(std::vector<std::string> const& channels)> on_lost;
      /// A link to a master came up (a new master, a promoted replica, a reconnect).
      std::function<void(node_address const& master)> on_master_up;
   };

   /// `classic`: channels and patterns for plain PUBLISH (may be empty). `permanent`: shard
   /// channels held for as long as the subscriber runs (the global channels).
   cluster_subscriber(boost::asio::any_io_executor executor, settings config,
                      subscription_set classic, std::vector<std::string> permanent,
                      handlers callbacks);
   ~cluster_subscriber();
   cluster_subscriber(cluster_subscriber const&) = delete;
   cluster_subscriber& operator=(cluster_subscriber const&) = delete;

   void start();
   /// Closes every link. No handler is called after it returns. Final.
   void stop();

   /// A user who needs `channel` arrived / left (one reference per call).
   void acquire(std::string const& channel);
   void release(std::string const& channel);
   /// Calls `done` (posted, once) when each of `channels` is confirmed by its master, or cannot
   /// be for now (its master's link is down, no master serves its slot, or a connect timeout
   /// passed): those are reported by on_resubscribed once they are subscribed.
   void when_subscribed(std::vector<std::string> const& channels, std::function<void()> done);

   bool ready() const;
   /// Shard channels held (subscribed or on their way), and masters linked.
   std::size_t channel_count() const;
   std::size_t master_count() const;
   /// The request client the subscriber reads the slot map with (FUNCTION LOAD goes through it).
   cluster_client& client();

private:
   class impl;
   std::shared_ptr<impl> impl_;
};

} // namespace notify::redis
