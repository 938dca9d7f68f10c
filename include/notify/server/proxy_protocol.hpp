#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

namespace notify::server {

/// A PROXY protocol header (HAProxy's v1 text or v2 binary), as a TCP load balancer (HAProxy,
/// AWS NLB, nginx) sends it before the client's first byte. Sans-I/O: give it what has arrived
/// so far; it never reads past the header, so the bytes after it belong to TLS or HTTP.
struct proxy_header {
   enum class status { need_more, complete, invalid };
   status result = status::need_more;
   /// complete: how many bytes the header took.
   std::size_t length = 0;
   /// complete: the client's address; empty for LOCAL (a health check by the proxy itself),
   /// UNKNOWN or an unspecified family, where the TCP peer is the client.
   std::optional<boost::asio::ip::address> source;
   /// invalid: why, for a log line.
   std::string_view problem;
};

/// Longest header accepted (v1 allows 107 bytes; v2 TLVs beyond this are refused).
inline constexpr std::size_t max_proxy_header_length = 1024;

/// Parses the start of a connection's input. need_more until a whole header is there (or it
/// can no longer be one).
proxy_header parse_proxy_header(std::string_view input);

} // namespace notify::server
