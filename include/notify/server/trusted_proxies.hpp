#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace notify::server {

/// The peers whose word on the client's address is believed (server.trusted_proxies): single
/// addresses and CIDR blocks, IPv4 and IPv6. An IPv4-mapped IPv6 address (::ffff:10.0.0.1, what
/// a dual-stack socket reports for an IPv4 peer) matches the IPv4 entries, and vice versa.
class trusted_proxies {
public:
   trusted_proxies() = default;
   /// Throws std::invalid_argument naming the first entry that is not an address or CIDR.
   explicit trusted_proxies(std::span<const std::string> entries);

   /// Why `entry` is not an address or CIDR block ("10.0.0.0/8", "fd00::/8", "::1"), or nothing
   /// when it is one.
   static std::optional<std::string> entry_problem(std::string_view entry);

   bool empty() const { return blocks_.empty(); }
   bool contains(const boost::asio::ip::address& address) const;

private:
   /// Every block is kept in IPv6 form (IPv4 as ::ffff:a.b.c.d, prefix + 96).
   struct block {
      std::array<std::uint8_t, 16> bytes{};
      unsigned prefix_bits = 128;
   };
   static std::optional<block> parse_block(std::string_view entry);

   std::vector<block> blocks_;
};

/// An IPv4-mapped IPv6 address as the IPv4 address it is; any other address unchanged. Keys
/// the per-address rules, so one client is one key whichever socket family it came in on.
boost::asio::ip::address unmapped(const boost::asio::ip::address& address);

/// One hop as a proxy writes it: "192.0.2.7", "192.0.2.7:4711", "2001:db8::1",
/// "[2001:db8::1]:4711" (RFC 7239 node syntax, quotes already removed). Nothing for anything
/// else ("unknown", obfuscated "_hidden", garbage).
std::optional<boost::asio::ip::address> parse_forwarded_node(std::string_view text);

/// The for= values of an RFC 7239 Forwarded header value, in order; an element without a
/// usable for= (missing, "unknown", obfuscated, malformed, quoted with escapes) yields an empty
/// view, which no address parses from, so the walk stops there. Appends views into `header`.
void forwarded_for_values(std::string_view header, std::vector<std::string_view>& out);

/// Where a connection's client address came from, for the walk below.
struct forwarding_headers {
   /// Every X-Forwarded-For field value, in the order received.
   std::span<const std::string_view> x_forwarded_for;
   /// Every Forwarded field value, in the order received.
   std::span<const std::string_view> forwarded;
};

/// The client address of a connection whose TCP (or PROXY protocol) peer is `peer`.
///
/// Only a trusted peer's headers are read. X-Forwarded-For wins when present (every common
/// proxy sends it; one that sends only Forwarded must strip a client's X-Forwarded-For), else
/// Forwarded. The hops are walked from the right: trusted ones are skipped, the first untrusted
/// one is the client, and when all are trusted the left-most one is. A hop that is not an
/// address ends the walk at the last hop known to be real (the one to its right, or the peer):
/// never an address a client could have chosen.
boost::asio::ip::address resolve_client_address(const boost::asio::ip::address& peer,
                                                const trusted_proxies& trusted,
                                                const forwarding_headers& headers);

} // namespace notify::server
