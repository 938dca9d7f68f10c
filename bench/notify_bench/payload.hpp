#pragma once

// The notifications notify-bench publishes, {"seq":N,"ts":T,"u":"U","pad":"xx.."}, and the
// allocation-free scan that finds seq, ts and u in a received copy without a JSON parser.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace notify::bench {

/// Lays out one payload at a time, padded with 'x' to at least `payload_bytes`. "u" (the target
/// user) is present only for messages to a user channel.
class payload_builder {
public:
   explicit payload_builder(std::size_t payload_bytes)
       : payload_bytes_(payload_bytes) {}

   /// Prepares the payload; returns its size in bytes. Valid until the next prepare().
   std::size_t prepare(std::uint64_t seq, std::uint64_t ts_ns, std::optional<std::uint64_t> user);
   /// Appends the prepared payload.
   void append_to(std::string& out) const;

private:
   static constexpr std::size_t head_capacity = 96;
   static constexpr std::string_view tail = "\"}";
   std::size_t payload_bytes_;
   char head_[head_capacity] = {};
   std::size_t head_bytes_ = 0;
   std::size_t pad_bytes_ = 0;
};

/// What a received notification says about itself.
struct notification_fields {
   std::uint64_t seq = 0;
   std::uint64_t ts_ns = 0;
   bool has_user = false;
   bool user_valid = false; ///< "u" holds a decimal number that fits 64 bits
   std::uint64_t user = 0;
};

/// Finds "seq":N and "ts":T (and "u":"U" when present). nullopt when seq or ts is missing or not
/// a number: the message is not one of ours.
std::optional<notification_fields> scan_notification(std::string_view payload);

} // namespace notify::bench
