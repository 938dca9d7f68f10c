#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace notify::redis {

/// The channels and patterns the gateway wants, replayed on every (re)connect. Insertion order
/// is kept and duplicates are ignored, so each name is confirmed exactly once by Redis.
/// Redis Cluster will add per-user SSUBSCRIBE channels here.
class subscription_set {
public:
   /// Returns false when already present.
   bool add_channel(std::string channel);
   bool add_pattern(std::string pattern);
   /// Returns false when absent.
   bool remove_channel(std::string_view channel);
   bool remove_pattern(std::string_view pattern);

   std::vector<std::string> const& channels() const { return channels_; }
   std::vector<std::string> const& patterns() const { return patterns_; }
   bool empty() const { return channels_.empty() && patterns_.empty(); }

   /// The commands that establish the whole set on a fresh connection:
   /// {"SUBSCRIBE", channels...} and {"PSUBSCRIBE", patterns...}, each only when non-empty.
   std::vector<std::vector<std::string>> commands() const;

   /// How many subscribe/psubscribe confirmations those commands produce (one per name).
   std::size_t expected_confirmations() const { return channels_.size() + patterns_.size(); }

private:
   std::vector<std::string> channels_;
   std::vector<std::string> patterns_;
};

} // namespace notify::redis
