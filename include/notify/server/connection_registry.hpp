#pragma once

#include "notify/routing/notification.hpp"

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace notify::server {

class connection_registry;

/// What the registry needs of a connection. The slots make join and leave O(1) with no node
/// allocation (the registry is walked for every broadcast, so it is kept as flat vectors).
class registry_member {
public:
   registry_member() = default;
   registry_member(const registry_member&) = delete;
   registry_member& operator=(const registry_member&) = delete;
   virtual ~registry_member() = default;

   /// Queues one message; must never destroy the member or touch the registry synchronously.
   virtual void deliver(const routing::notification& message) = 0;

   const std::string& user_id() const { return user_id_; }
   bool authenticated() const { return auth_slot_ != no_slot; }

private:
   friend class connection_registry;
   static constexpr std::size_t no_slot = std::numeric_limits<std::size_t>::max();
   std::size_t all_slot_ = no_slot;
   std::size_t auth_slot_ = no_slot;
   std::string user_id_;
};

/// The connections of one shard. Single-threaded: only the shard's thread touches it, so
/// delivery walks plain vectors with no lock.
class connection_registry {
public:
   void add(registry_member& member);
   /// Leaves every index; safe to call twice.
   void remove(registry_member& member);
   /// Stops delivery to a member that stays registered (a connection that is closing).
   /// Returns true when it was the user's last connection on this shard.
   bool revoke(registry_member& member);
   /// Makes an added member receive `user_id`'s and global messages.
   /// Returns true when it is the user's first connection on this shard.
   bool authenticate(registry_member& member, std::string user_id);

   /// Returns the number of connections that got the frame.
   /// Takes the route's own string, so a lookup per message builds no temporary key.
   std::size_t deliver_to_user(const std::string& user_id, const routing::notification& message);
   std::size_t deliver_to_all(const routing::notification& message);

   std::size_t size() const { return all_.size(); }
   std::size_t authenticated_size() const { return authenticated_.size(); }
   std::size_t users() const { return by_user_.size(); }
   /// The user's connections on this shard (empty when none).
   const std::vector<registry_member*>& members_of(const std::string& user_id) const;
   /// Index access for walks that may remove the current member: walk from the back.
   registry_member* at(std::size_t index) const { return all_[index]; }

private:
   static void erase_slot(std::vector<registry_member*>& members, std::size_t& slot,
                          std::size_t registry_member::*slot_field);

   std::vector<registry_member*> all_;
   std::vector<registry_member*> authenticated_;
   std::unordered_map<std::string, std::vector<registry_member*>> by_user_;
};

} // namespace notify::server
