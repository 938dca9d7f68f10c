#pragma once

#include <cstdint>
#include <string_view>

namespace notify::redis {

inline constexpr std::uint16_t cluster_slots = 16384;

/// The Redis Cluster slot of `key`: CRC16 (XMODEM) of the key, or of its hash tag (the text
/// between the first '{' and the next '}', when that is not empty), modulo 16384.
std::uint16_t hash_slot(std::string_view key);

} // namespace notify::redis
