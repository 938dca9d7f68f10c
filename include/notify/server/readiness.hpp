#pragma once

#include <atomic>
#include <mutex>
#include <string>

namespace notify::server {

/// Whether the gateway can deliver (subscribed to Redis), and why not. Written by shard 0 on
/// Redis state changes, read by /readyz on any shard.
class readiness {
public:
   void set(bool ready, std::string reason) {
      std::lock_guard lock(mutex_);
      ready_ = ready;
      reason_ = std::move(reason);
   }
   bool ready() const {
      std::lock_guard lock(mutex_);
      return ready_;
   }
   std::string reason() const {
      std::lock_guard lock(mutex_);
      return reason_;
   }

private:
   mutable std::mutex mutex_;
   bool ready_ = false;
   std::string reason_ = "redis: not connected yet";
};

} // namespace notify::server
