#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace notify::server {

/// Per-client-address records for the rules that remember addresses (auth lockout, handshake
/// rate), bounded so a flood of new addresses cannot grow memory without limit. When the table
/// is full, entries that carry no information any more are dropped, at most once a second so
/// a flood cannot make every lookup walk the table; a table still full of live entries takes no
/// new address, and each rule decides what an untracked address gets.
///
/// Not synchronised: the owning rule holds its lock around a lookup and the use of its result.
template <class Record> class bounded_address_table {
public:
   using clock = std::chrono::steady_clock;

   explicit bounded_address_table(std::size_t max_entries)
       : max_entries_(max_entries) {}

   Record* find(const std::string& address) {
      auto const found = entries_.find(address);
      return found == entries_.end() ? nullptr : &found->second;
   }
   const Record* find(const std::string& address) const {
      auto const found = entries_.find(address);
      return found == entries_.end() ? nullptr : &found->second;
   }

   /// The record of `address`, `fresh()` when it is new; nothing when the table is full even
   /// after dropping the records `stale(record, now)` says are worthless.
   template <class Fresh, class Stale>
   Record* find_or_add(const std::string& address, clock::time_point now, Fresh&& fresh,
                       Stale&& stale) {
      if (auto* const existing = find(address)) {
         return existing;
      }
      if (entries_.size() >= max_entries_) {
         sweep(now, stale);
         if (entries_.size() >= max_entries_) {
            return nullptr;
         }
      }
      return &entries_.emplace(address, fresh()).first->second;
   }

   void erase(const std::string& address) { entries_.erase(address); }
   std::size_t size() const { return entries_.size(); }

private:
   static constexpr std::chrono::seconds sweep_interval{1};

   template <class Stale> void sweep(clock::time_point now, Stale& stale) {
      if (last_sweep_ != clock::time_point{} && now - last_sweep_ < sweep_interval) {
         return;
      }
      last_sweep_ = now;
      std::erase_if(entries_, [&](auto const& entry) { return stale(entry.second, now); });
   }

   std::size_t max_entries_;
   std::unordered_map<std::string, Record> entries_;
   clock::time_point last_sweep_{};
};

} // namespace notify::server
