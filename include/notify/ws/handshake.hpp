#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace notify::ws {

/// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 section 4.2.2), or nullopt
/// when the key is not the base64 of 16 bytes.
std::optional<std::string> accept_key_for(std::string_view client_key);

} // namespace notify::ws
