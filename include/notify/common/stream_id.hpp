#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace notify {

/// A Redis Streams entry id, <milliseconds>-<sequence>. Ids only grow within a stream, so they
/// order a user's messages and name a client's position in them.
struct stream_id {
   std::uint64_t ms = 0;
   std::uint64_t seq = 0;

   /// 0-0: before the first entry of any stream (and what a new stream's first entry follows).
   bool is_zero() const { return ms == 0 && seq == 0; }
   auto operator<=>(stream_id const&) const = default;
};

/// Strict "<ms>-<seq>" in decimal, each part 1..20 digits within 64 bits; nullopt otherwise.
/// Client input goes through here, so nothing else ("$", "+", "12", " 1-2") is accepted.
std::optional<stream_id> parse_stream_id(std::string_view text);

std::string to_string(stream_id id);

} // namespace notify
