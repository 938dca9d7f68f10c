#pragma once

// The HTTP side of a WebSocket client handshake: the upgrade request and the check of the reply.

#include <cstddef>
#include <string>
#include <string_view>

namespace notify::bench {

/// A GET upgrade request for `target` (path and query) on `host_header`.
std::string make_upgrade_request(std::string_view host_header, std::string_view target,
                                 std::string_view key);

/// `target` with `token=<token>` added to its query.
std::string target_with_token(std::string_view target, std::string_view token);

enum class upgrade_status {
   need_more, ///< the header is not complete yet
   accepted,  ///< 101 with the right Sec-WebSocket-Accept
   refused,   ///< a complete reply that is not a valid upgrade
};

struct upgrade_reply {
   upgrade_status status = upgrade_status::need_more;
   int http_status = 0;          ///< 0 when the status line could not be read
   std::size_t header_bytes = 0; ///< bytes up to and including the blank line; frames follow
};

/// Looks at the bytes received so far. A header longer than `max_header_bytes` is refused.
upgrade_reply parse_upgrade_reply(std::string_view bytes, std::string_view expected_accept,
                                  std::size_t max_header_bytes = 8192);

} // namespace notify::bench
