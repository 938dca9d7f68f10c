#include "notify/server/connection_counter.hpp"

namespace notify::server {

bool connection_counter::try_acquire(const std::string& key, std::size_t limit) {
   std::lock_guard lock(mutex_);
   auto& count = counts_[key];
   if (count >= limit) {
      if (count == 0) {
         counts_.erase(key);
      }
      return false;
   }
   ++count;
   return true;
}

void connection_counter::release(const std::string& key) {
   std::lock_guard lock(mutex_);
   auto const found = counts_.find(key);
   if (found != counts_.end() && --found->second == 0) {
      counts_.erase(found);
   }
}

std::size_t connection_counter::count(const std::string& key) const {
   std::lock_guard lock(mutex_);
   auto const found = counts_.find(key);
   return found == counts_.end() ? 0 : found->second;
}

} // namespace notify::server
