#include "notify/server/presence.hpp"

namespace notify::server {

bool presence::join(const std::string& user_id) {
   std::lock_guard lock(mutex_);
   return ++connections_by_user_[user_id] == 1;
}

bool presence::leave(const std::string& user_id) {
   std::lock_guard lock(mutex_);
   auto const found = connections_by_user_.find(user_id);
   if (found == connections_by_user_.end()) {
      return false;
   }
   if (--found->second > 0) {
      return false;
   }
   connections_by_user_.erase(found);
   return true;
}

std::size_t presence::users() const {
   std::lock_guard lock(mutex_);
   return connections_by_user_.size();
}

std::size_t presence::connections_of(std::string_view user_id) const {
   std::lock_guard lock(mutex_);
   auto const found = connections_by_user_.find(std::string(user_id));
   return found == connections_by_user_.end() ? 0 : found->second;
}

} // namespace notify::server
