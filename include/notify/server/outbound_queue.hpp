#pragma once

#include "notify/ws/frame.hpp"

#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace notify::server {

/// The frames one connection still has to write, in order: a ring buffer of shared frames.
///
/// A client that stays a little behind keeps reusing the same slots instead of growing a
/// vector for the whole busy period. The capacity is a power of two that doubles when full;
/// a drained queue gives back a large array at once and any array at the first trim() that
/// finds it unused since the previous one, so an idle connection owns no queue memory while a
/// busy one allocates nothing per frame.
class outbound_queue {
public:
   /// The most buffers one gather() fills (Asio's own limit for one vectored write).
   static constexpr std::size_t max_gather = 64;

   outbound_queue() = default;
   outbound_queue(const outbound_queue&) = delete;
   outbound_queue& operator=(const outbound_queue&) = delete;
   ~outbound_queue() = default;

   // push, gather and consume run for every delivery: inline, as the session's flush loop was
   // before the queue had a class of its own (measured: bench/run single-broadcast).
   void push(ws::shared_frame frame) {
      if (size_ == capacity_) {
         grow();
      }
      bytes_ += frame->size();
      slot(size_) = std::move(frame);
      ++size_;
      used_since_trim_ = true;
   }

   /// Fills `buffers` with the unwritten bytes of the first frames (the head from its written
   /// offset on); returns how many it filled, at most max_gather.
   std::size_t gather(std::span<boost::asio::const_buffer, max_gather> buffers) const {
      auto const count = size_ < max_gather ? std::size_t{size_} : max_gather;
      for (std::size_t i = 0; i < count; ++i) {
         auto const& frame = *slot(i);
         auto const skip = i == 0 ? head_written_ : 0;
         buffers[i] = boost::asio::const_buffer(frame.data() + skip, frame.size() - skip);
      }
      return count;
   }

   /// Marks `bytes` as written: finished frames leave the queue, a partial one keeps its offset.
   void consume(std::size_t bytes) {
      while (bytes > 0 && size_ > 0) {
         auto& head = slot(0);
         auto const remaining = head->size() - head_written_;
         if (bytes < remaining) {
            head_written_ += static_cast<std::uint32_t>(bytes);
            return;
         }
         bytes -= remaining;
         bytes_ -= head->size();
         head.reset();
         head_ = (head_ + 1) & (capacity_ - 1);
         --size_;
         head_written_ = 0;
      }
      if (size_ == 0) {
         on_drained();
      }
   }

   /// Drops every frame except one the socket has started writing (so the byte stream stays
   /// in sync for a close frame queued behind it); shrinks the storage.
   void drop_all_but_started();

   /// Drops everything and frees the storage.
   void clear();

   /// Frees the storage of an empty queue that has not been pushed to since the last trim().
   void trim();

   bool empty() const { return size_ == 0; }
   /// Frames not fully written.
   std::size_t size() const { return size_; }
   /// Bytes of the frames not fully written, counted whole (the limits are about frames held).
   std::size_t bytes() const { return bytes_; }
   /// Slots allocated (0 when the queue owns no memory).
   std::size_t capacity() const { return capacity_; }

private:
   void grow();
   void on_drained();
   /// Moves the live frames to a new array of `new_capacity` slots (0: none), head first.
   void reallocate(std::size_t new_capacity);
   ws::shared_frame& slot(std::size_t position) const {
      return slots_[(head_ + position) & (capacity_ - 1)];
   }

   // One queue per connection: 32-bit counts keep it at 40 bytes. A queue never holds 2^32
   // frames (the message limit closes the connection long before) and a frame is at most
   // routing.max_payload_bytes (512 MiB) plus its header.
   std::unique_ptr<ws::shared_frame[]> slots_;
   std::uint32_t capacity_ = 0; ///< 0 or a power of two
   std::uint32_t head_ = 0;     ///< slot of the first frame not fully written
   std::uint32_t size_ = 0;
   std::uint32_t head_written_ = 0; ///< bytes of the head frame already written
   std::size_t bytes_ = 0;
   bool used_since_trim_ = false;
};

} // namespace notify::server
