#include "notify/redis/subscription_set.hpp"

#include <algorithm>

namespace notify::redis {
namespace {

bool add_unique(std::vector<std::string>& names, std::string name) {
   if (std::find(names.begin(), names.end(), name) != names.end()) {
      return false;
   }
   names.push_back(std::move(name));
   return true;
}

bool remove_name(std::vector<std::string>& names, std::string_view name) {
   auto const found = std::find(names.begin(), names.end(), name);
   if (found == names.end()) {
      return false;
   }
   names.erase(found);
   return true;
}

void append_command(std::vector<std::vector<std::string>>& commands, char const* verb,
                    std::vector<std::string> const& names) {
   if (names.empty()) {
      return;
   }
   std::vector<std::string> command;
   command.reserve(names.size() + 1);
   command.emplace_back(verb);
   command.insert(command.end(), names.begin(), names.end());
   commands.push_back(std::move(command));
}

} // namespace

bool subscription_set::add_channel(std::string channel) {
   return add_unique(channels_, std::move(channel));
}

bool subscription_set::add_pattern(std::string pattern) {
   return add_unique(patterns_, std::move(pattern));
}

bool subscription_set::remove_channel(std::string_view channel) {
   return remove_name(channels_, channel);
}

bool subscription_set::remove_pattern(std::string_view pattern) {
   return remove_name(patterns_, pattern);
}

std::vector<std::vector<std::string>> subscription_set::commands() const {
   std::vector<std::vector<std::string>> commands;
   append_command(commands, "SUBSCRIBE", channels_);
   append_command(commands, "PSUBSCRIBE", patterns_);
   return commands;
}

} // namespace notify::redis
