#pragma once

// Plain HTTP/1.1 requests to the gateway under test, each with a hard deadline so that a test
// can never hang on a server that does not answer.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace notify::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_response {
   int status = 0;           ///< 0 when no response arrived (refused, timed out, garbled)
   std::string body;         ///< the body; when status is 0, what went wrong
   std::string content_type; ///< the Content-Type header, empty when absent
   header_list headers;      ///< every response header, in order
};

/// Sends one request with any method (even a made-up one) to 127.0.0.1:port and reads the
/// response, all within `timeout`. Never throws.
http_response http_request(std::uint16_t port, const std::string& method, const std::string& target,
                           const header_list& headers = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// GET 127.0.0.1:port/target within `timeout`. Never throws.
http_response http_get(std::uint16_t port, const std::string& target,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

} // namespace notify::test
