#include "notify/redis/cluster_topology.hpp"

#include "notify/common/text.hpp"

#include <charconv>

namespace notify::redis {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
   unsigned value = 0;
   auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
   if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
      return std::nullopt;
   }
   return static_cast<std::uint16_t>(value);
}

bool is_plausible_host(std::string_view host) {
   return !host.empty() && host.size() <= 253 && (is_host_name(host) || is_ipv6_literal(host));
}

/// One node entry of CLUSTER SLOTS: [host, port, id, ...]. Redis 7 may add a map of hostnames
/// after the id; it is ignored.
std::optional<node_address> node_of(reply const& entry, std::string_view seed_host) {
   if (!entry.is_array() || entry.elements.size() < 2 ||
       entry.elements[0].type != reply::kind::string ||
       entry.elements[1].type != reply::kind::integer) {
      return std::nullopt;
   }
   auto host = entry.elements[0].str;
   if (host.empty() || host == "?") {
      host = std::string(seed_host);
   }
   auto const port = entry.elements[1].integer;
   if (!is_plausible_host(host) || port <= 0 || port > 65535) {
      return std::nullopt;
   }
   return node_address{std::move(host), static_cast<std::uint16_t>(port)};
}

} // namespace

std::optional<cluster_topology> cluster_topology::from_cluster_slots(reply const& answer,
                                                                     std::string_view seed_host,
                                                                     std::string& why) {
   if (!answer.is_array()) {
      why =
          answer.is_error() ? "CLUSTER SLOTS failed: " + answer.str : "CLUSTER SLOTS: not an array";
      return std::nullopt;
   }
   cluster_topology topology;
   topology.owner_.fill(no_owner);
   for (auto const& range : answer.elements) {
      if (!range.is_array() || range.elements.size() < 3 ||
          range.elements[0].type != reply::kind::integer ||
          range.elements[1].type != reply::kind::integer) {
         why = "CLUSTER SLOTS: a slot range is malformed";
         return std::nullopt;
      }
      auto const first = range.elements[0].integer;
      auto const last = range.elements[1].integer;
      if (first < 0 || last < first || last >= cluster_slots) {
         why = "CLUSTER SLOTS: slot range " + std::to_string(first) + "-" + std::to_string(last) +
               " is out of bounds";
         return std::nullopt;
      }
      auto master = node_of(range.elements[2], seed_host);
      if (!master) {
         why = "CLUSTER SLOTS: the master of slots " + std::to_string(first) + "-" +
               std::to_string(last) + " has no usable address";
         return std::nullopt;
      }
      std::size_t index = 0;
      while (index < topology.masters_.size() && !(topology.masters_[index] == *master)) {
         ++index;
      }
      if (index == topology.masters_.size()) {
         if (index >= no_owner) {
            why = "CLUSTER SLOTS: too many masters";
            return std::nullopt;
         }
         topology.masters_.push_back(std::move(*master));
         topology.replicas_.emplace_back();
         for (std::size_t r = 3; r < range.elements.size(); ++r) {
            if (auto replica = node_of(range.elements[r], seed_host)) {
               topology.replicas_.back().push_back(std::move(*replica));
            }
         }
      }
      for (auto slot = first; slot <= last; ++slot) {
         auto& owner = topology.owner_[static_cast<std::size_t>(slot)];
         if (owner != no_owner) {
            why = "CLUSTER SLOTS: slot " + std::to_string(slot) + " is claimed twice";
            return std::nullopt;
         }
         owner = static_cast<std::uint16_t>(index);
      }
   }
   why.clear();
   return topology;
}

std::optional<std::size_t> cluster_topology::master_of_slot(std::uint16_t slot) const {
   if (slot >= cluster_slots || owner_[slot] == no_owner) {
      return std::nullopt;
   }
   return owner_[slot];
}

node_address const* cluster_topology::master_of_key(std::string_view key) const {
   auto const master = master_of_slot(hash_slot(key));
   return master ? &masters_[*master] : nullptr;
}

std::size_t cluster_topology::uncovered_slots() const {
   std::size_t count = 0;
   for (auto const owner : owner_) {
      count += owner == no_owner ? 1 : 0;
   }
   return count;
}

std::optional<redirection> parse_redirection(std::string_view error_text) {
   redirection result;
   if (error_text.starts_with("MOVED ")) {
      result.type = redirection::kind::moved;
      error_text.remove_prefix(6);
   } else if (error_text.starts_with("ASK ")) {
      result.type = redirection::kind::ask;
      error_text.remove_prefix(4);
   } else {
      return std::nullopt;
   }
   auto const space = error_text.find(' ');
   if (space == std::string_view::npos) {
      return std::nullopt;
   }
   auto const slot_text = error_text.substr(0, space);
   auto const address = error_text.substr(space + 1);
   unsigned slot = 0;
   auto const [end, ec] =
       std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), slot);
   if (ec != std::errc{} || end != slot_text.data() + slot_text.size() || slot >= cluster_slots) {
      return std::nullopt;
   }
   auto const colon = address.rfind(':');
   if (colon == std::string_view::npos || colon == 0) {
      return std::nullopt;
   }
   auto host = address.substr(0, colon);
   if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
   }
   auto const port = parse_port(address.substr(colon + 1));
   if (!port || !is_plausible_host(host)) {
      return std::nullopt;
   }
   result.slot = static_cast<std::uint16_t>(slot);
   result.target = node_address{std::string(host), *port};
   return result;
}

} // namespace notify::redis
