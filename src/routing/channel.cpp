#include "notify/routing/channel.hpp"

#include "notify/common/user_id.hpp"

namespace notify::routing {

std::string_view reason(channel_rejection rejection) {
   switch (rejection) {
   case channel_rejection::foreign_channel:
      return "foreign_channel";
   case channel_rejection::invalid_user_id:
      return "invalid_user_id";
   }
   return "unknown";
}

channel_scheme::channel_scheme(std::string_view user_pattern, std::string global_channel,
                               std::size_t max_user_id_bytes)
    : global_channel_(std::move(global_channel))
    , max_user_id_bytes_(max_user_id_bytes) {
   auto const star = user_pattern.find('*');
   user_prefix_ = std::string(user_pattern.substr(0, star));
   if (star != std::string_view::npos) {
      user_suffix_ = std::string(user_pattern.substr(star + 1));
   }
}

channel_scheme::parse_result channel_scheme::parse(std::string_view channel) const {
   if (channel == global_channel_) {
      return {route{route::scope::global, {}}, {}};
   }
   auto const affix_bytes = user_prefix_.size() + user_suffix_.size();
   if (channel.size() <= affix_bytes || !channel.starts_with(user_prefix_) ||
       !channel.ends_with(user_suffix_)) {
      return {std::nullopt, channel_rejection::foreign_channel};
   }
   auto const user_id = channel.substr(user_prefix_.size(), channel.size() - affix_bytes);
   if (!valid_user_id(user_id, max_user_id_bytes_)) {
      return {std::nullopt, channel_rejection::invalid_user_id};
   }
   return {route{route::scope::user, std::string(user_id)}, {}};
}

std::string channel_scheme::user_channel(std::string_view user_id) const {
   std::string channel;
   channel.reserve(user_prefix_.size() + user_id.size() + user_suffix_.size());
   channel.append(user_prefix_).append(user_id).append(user_suffix_);
   return channel;
}

} // namespace notify::routing
