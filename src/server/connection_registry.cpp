#include "notify/server/connection_registry.hpp"

#include <algorithm>

namespace notify::server {

void connection_registry::add(registry_member& member) {
   if (member.all_slot_ != registry_member::no_slot) {
      return;
   }
   member.all_slot_ = all_.size();
   all_.push_back(&member);
}

void connection_registry::erase_slot(std::vector<registry_member*>& members, std::size_t& slot,
                                     std::size_t registry_member::*slot_field) {
   auto* const last = members.back();
   members[slot] = last;
   last->*slot_field = slot;
   members.pop_back();
   slot = registry_member::no_slot;
}

void connection_registry::remove(registry_member& member) {
   revoke(member);
   if (member.all_slot_ != registry_member::no_slot) {
      erase_slot(all_, member.all_slot_, &registry_member::all_slot_);
   }
}

bool connection_registry::revoke(registry_member& member) {
   bool last_of_user = false;
   if (member.auth_slot_ != registry_member::no_slot) {
      erase_slot(authenticated_, member.auth_slot_, &registry_member::auth_slot_);
      auto const found = by_user_.find(member.user_id_);
      if (found != by_user_.end()) {
         auto& sessions = found->second;
         sessions.erase(std::remove(sessions.begin(), sessions.end(), &member), sessions.end());
         if (sessions.empty()) {
            by_user_.erase(found);
            last_of_user = true;
         }
      }
   }
   return last_of_user;
}

bool connection_registry::authenticate(registry_member& member, std::string user_id) {
   add(member);
   if (member.auth_slot_ != registry_member::no_slot) {
      return false;
   }
   member.user_id_ = std::move(user_id);
   member.auth_slot_ = authenticated_.size();
   authenticated_.push_back(&member);
   auto& sessions = by_user_[member.user_id_];
   sessions.push_back(&member);
   return sessions.size() == 1;
}

std::size_t connection_registry::deliver_to_user(const std::string& user_id,
                                                 const routing::notification& message) {
   auto const found = by_user_.find(user_id);
   if (found == by_user_.end()) {
      return 0;
   }
   for (auto* member : found->second) {
      member->deliver(message);
   }
   return found->second.size();
}

const std::vector<registry_member*>&
connection_registry::members_of(const std::string& user_id) const {
   static const std::vector<registry_member*> none;
   auto const found = by_user_.find(user_id);
   return found == by_user_.end() ? none : found->second;
}

std::size_t connection_registry::deliver_to_all(const routing::notification& message) {
   for (auto* member : authenticated_) {
      member->deliver(message);
   }
   return authenticated_.size();
}

} // namespace notify::server
