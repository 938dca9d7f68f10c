#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

namespace notify::redis {

/// A cluster node's address as the cluster announces it (or as a seed list names it).
struct node_address {
   std::string host;
   std::uint16_t port = 0;

   friend bool operator==(node_address const&, node_address const&) = default;
   friend bool operator<(node_address const& a, node_address const& b) {
      return std::tie(a.host, a.port) < std::tie(b.host, b.port);
   }
};

/// "host:port", IPv6 hosts in brackets.
std::string to_string(node_address const& node);

/// "host:port" or "[ipv6]:port"; nullopt for anything else.
std::optional<node_address> parse_node_address(std::string_view text);

} // namespace notify::redis
