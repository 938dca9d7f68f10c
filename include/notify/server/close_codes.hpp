#pragma once

// The gateway's own close codes (the private-use range 4000-4999 of RFC 6455 section 7.4.2),
// as docs/protocol.md lists them. The RFC codes are ws::close_code.

#include <cstdint>

namespace notify::server::app_close {

inline constexpr std::uint16_t auth_failed = 4001;
inline constexpr std::uint16_t auth_timeout = 4002;
inline constexpr std::uint16_t connection_limit = 4003;
inline constexpr std::uint16_t slow_consumer = 4004;
inline constexpr std::uint16_t auth_locked_out = 4005;

} // namespace notify::server::app_close
