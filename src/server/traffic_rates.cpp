#include "notify/server/traffic_rates.hpp"

namespace notify::server {

namespace {

/// Shorter intervals would make the figures jump with every poll.
constexpr std::chrono::milliseconds min_interval{900};

} // namespace

traffic_rates::per_second traffic_rates::update(clock::time_point now, std::uint64_t messages_in,
                                                std::uint64_t deliveries_out) {
   std::lock_guard lock(mutex_);
   if (!have_base_) {
      have_base_ = true;
      base_ = {now, messages_in, deliveries_out};
      return last_;
   }
   if (now - base_.at < min_interval) {
      return last_;
   }
   auto const elapsed = std::chrono::duration<double>(now - base_.at);
   last_.messages_in = static_cast<double>(messages_in - base_.messages_in) / elapsed.count();
   last_.deliveries_out =
       static_cast<double>(deliveries_out - base_.deliveries_out) / elapsed.count();
   base_ = {now, messages_in, deliveries_out};
   return last_;
}

} // namespace notify::server
