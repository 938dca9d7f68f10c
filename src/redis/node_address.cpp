#include "notify/redis/node_address.hpp"

#include "notify/common/text.hpp"

namespace notify::redis {

std::string to_string(node_address const& node) {
   bool const ipv6 = node.host.find(':') != std::string::npos;
   return (ipv6 ? "[" + node.host + "]" : node.host) + ":" + std::to_string(node.port);
}

std::optional<node_address> parse_node_address(std::string_view text) {
   auto parsed = parse_host_port(text);
   if (!parsed) {
      return std::nullopt;
   }
   return node_address{std::move(parsed->first), parsed->second};
}

} // namespace notify::redis
