#include "notify/server/outbound_queue.hpp"

#include <utility>

namespace notify::server {

namespace {

/// One slot: an idle connection holds a single small array until trim(); a burst doubles it.
constexpr std::size_t initial_capacity = 1;
/// A drained queue keeps an array this small for the next burst; a larger one is given back.
constexpr std::size_t kept_capacity = 64;

} // namespace

void outbound_queue::grow() {
   reallocate(capacity_ == 0 ? initial_capacity : capacity_ * 2);
}

void outbound_queue::on_drained() {
   head_ = 0;
   if (capacity_ > kept_capacity) {
      reallocate(0);
   }
}

void outbound_queue::drop_all_but_started() {
   std::size_t const keep = size_ > 0 && head_written_ > 0 ? 1 : 0;
   for (auto i = keep; i < size_; ++i) {
      bytes_ -= slot(i)->size();
      slot(i).reset();
   }
   size_ = static_cast<std::uint32_t>(keep);
   reallocate(keep == 0 ? 0 : initial_capacity);
}

void outbound_queue::clear() {
   slots_.reset();
   capacity_ = 0;
   head_ = 0;
   size_ = 0;
   head_written_ = 0;
   bytes_ = 0;
}

void outbound_queue::trim() {
   if (size_ == 0 && !used_since_trim_) {
      reallocate(0);
   }
   used_since_trim_ = false;
}

void outbound_queue::reallocate(std::size_t new_capacity) {
   if (new_capacity == capacity_) {
      return;
   }
   std::unique_ptr<ws::shared_frame[]> moved;
   if (new_capacity > 0) {
      moved = std::make_unique<ws::shared_frame[]>(new_capacity);
      for (std::size_t i = 0; i < size_; ++i) {
         moved[i] = std::move(slot(i));
      }
   }
   slots_ = std::move(moved);
   capacity_ = static_cast<std::uint32_t>(new_capacity);
   head_ = 0;
}

} // namespace notify::server
