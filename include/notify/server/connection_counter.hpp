#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace notify::server {

/// Open connections per key (a client address, a user id), shared by all shards. Touched once
/// when a connection is counted and once when it ends, never per message.
class connection_counter {
public:
   /// Counts one more connection for `key` unless it already has `limit`.
   bool try_acquire(const std::string& key, std::size_t limit);
   void release(const std::string& key);
   std::size_t count(const std::string& key) const;

private:
   mutable std::mutex mutex_;
   std::unordered_map<std::string, std::size_t> counts_;
};

} // namespace notify::server
