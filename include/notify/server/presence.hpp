#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace notify::server {

/// Which users have at least one connection on this instance, across all shards. Touched on
/// authenticate and disconnect only, never per message, so a mutex is fine here. This is where
/// per-user Redis subscriptions (sharded pub/sub) will hook in: a user's first connection and
/// last disconnection are the moments to subscribe and unsubscribe.
class presence {
public:
   /// Returns true when this is the user's first connection.
   bool join(const std::string& user_id);
   /// Returns true when this was the user's last connection.
   bool leave(const std::string& user_id);
   std::size_t users() const;
   std::size_t connections_of(std::string_view user_id) const;

private:
   mutable std::mutex mutex_;
   std::unordered_map<std::string, std::size_t> connections_by_user_;
};

} // namespace notify::server
