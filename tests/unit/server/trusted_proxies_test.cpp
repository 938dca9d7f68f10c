#include "notify/server/trusted_proxies.hpp"

#include <gtest/gtest.h>

namespace notify::server {
namespace {

namespace ip = boost::asio::ip;

ip::address addr(const char* text) {
   return ip::make_address(text);
}

trusted_proxies trust(std::vector<std::string> entries) {
   return trusted_proxies(entries);
}

/// The client address as text, for a peer and its X-Forwarded-For / Forwarded values.
std::string client(const trusted_proxies& trusted, const char* peer,
                   std::vector<std::string_view> xff,
                   std::vector<std::string_view> forwarded = {}) {
   return resolve_client_address(addr(peer), trusted, {xff, forwarded}).to_string();
}

TEST(trusted_proxies, matches_addresses_and_cidr_blocks_of_both_families) {
   auto const trusted = trust({"10.0.0.0/8", "192.168.1.7", "::1", "fd00::/8", "0.0.0.0/32"});
   EXPECT_TRUE(trusted.contains(addr("10.255.0.1")));
   EXPECT_FALSE(trusted.contains(addr("11.0.0.1")));
   EXPECT_TRUE(trusted.contains(addr("192.168.1.7")));
   EXPECT_FALSE(trusted.contains(addr("192.168.1.8")));
   EXPECT_TRUE(trusted.contains(addr("::1")));
   EXPECT_FALSE(trusted.contains(addr("::2")));
   EXPECT_TRUE(trusted.contains(addr("fd12:3456::1")));
   EXPECT_FALSE(trusted.contains(addr("fe80::1")));
   // A dual-stack socket reports IPv4 peers as IPv4-mapped IPv6.
   EXPECT_TRUE(trusted.contains(addr("::ffff:10.1.2.3")));
   EXPECT_FALSE(trusted.contains(addr("::ffff:11.1.2.3")));
   // ...but 10.0.0.0/8 is not ::a00:0/8: the IPv4 blocks live only in the mapped range.
   EXPECT_FALSE(trusted.contains(addr("a00::1")));
}

TEST(trusted_proxies, prefixes_that_are_not_byte_aligned_and_host_bits_are_handled) {
   auto const trusted = trust({"172.16.0.0/12", "10.1.2.3/8", "2001:db8:8000::/33"});
   EXPECT_TRUE(trusted.contains(addr("172.31.255.255")));
   EXPECT_FALSE(trusted.contains(addr("172.32.0.0")));
   EXPECT_TRUE(trusted.contains(addr("10.9.9.9"))); // host bits in the entry are ignored
   EXPECT_TRUE(trusted.contains(addr("2001:db8:ffff::1")));
   EXPECT_FALSE(trusted.contains(addr("2001:db8:7fff::1")));
   auto const everything = trust({"0.0.0.0/0", "::/0"});
   EXPECT_TRUE(everything.contains(addr("203.0.113.9")));
   EXPECT_TRUE(everything.contains(addr("2001:db8::9")));
   EXPECT_TRUE(trust({}).empty());
}

TEST(trusted_proxies, bad_entries_are_refused_with_the_entry_named) {
   for (const char* bad : {"", "10.0.0", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8/8",
                           "10.0.0.0/-1", "10.0.0.0/ 8", "localhost", "fe80::1%eth0", " 10.0.0.1",
                           "010.0.0.1", "10.0.0.0/0008", "[::1]", "1.2.3.4:80", "*"}) {
      EXPECT_TRUE(trusted_proxies::entry_problem(bad).has_value()) << bad;
      try {
         trust({"127.0.0.1", bad});
         ADD_FAILURE() << "accepted " << bad;
      } catch (const std::invalid_argument& error) {
         EXPECT_NE(std::string(error.what()).find(std::string("\"") + bad + "\""),
                   std::string::npos)
             << error.what();
      }
   }
   EXPECT_FALSE(trusted_proxies::entry_problem("::ffff:10.0.0.0/104").has_value());
}

TEST(forwarded_node, parses_what_proxies_write_and_nothing_else) {
   EXPECT_EQ(parse_forwarded_node("192.0.2.7")->to_string(), "192.0.2.7");
   EXPECT_EQ(parse_forwarded_node("192.0.2.7:4711")->to_string(), "192.0.2.7");
   EXPECT_EQ(parse_forwarded_node("2001:db8::1")->to_string(), "2001:db8::1");
   EXPECT_EQ(parse_forwarded_node("[2001:db8::1]")->to_string(), "2001:db8::1");
   EXPECT_EQ(parse_forwarded_node("[2001:db8::1]:4711")->to_string(), "2001:db8::1");
   EXPECT_EQ(parse_forwarded_node("192.0.2.7:_hidden")->to_string(), "192.0.2.7");
   for (const char* bad :
        {"", "unknown", "_hidden", "[192.0.2.7]", "[2001:db8::1", "[2001:db8::1]4711",
         "[2001:db8::1]:", "[2001:db8::1]:123456", "192.0.2.7:", "192.0.2.7:abc", "192.0.2",
         "192.0.2.7.8", "fe80::1%eth0", "[fe80::1%25eth0]", "1.2.3.4 ", "evil.example",
         "::ffff:1.2.3.4:80", "\x01", "1.2.3.4\r\n"}) {
      EXPECT_FALSE(parse_forwarded_node(bad).has_value()) << bad;
   }
}

TEST(forwarded_header, yields_the_for_values_of_each_element) {
   std::vector<std::string_view> values;
   forwarded_for_values(
       R"(for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711")", values);
   ASSERT_EQ(values.size(), 2U);
   EXPECT_EQ(values[0], "192.0.2.60");
   EXPECT_EQ(values[1], "[2001:db8:cafe::17]:4711");

   values.clear();
   forwarded_for_values(R"(proto=https, for=unknown, for="_x", for="a\"b", for="1.2.3.4)", values);
   ASSERT_EQ(values.size(), 5U);
   EXPECT_EQ(values[0], ""); // no for=
   EXPECT_EQ(values[1], "unknown");
   EXPECT_EQ(values[2], "_x");
   EXPECT_EQ(values[3], ""); // escapes never occur in an address
   EXPECT_EQ(values[4], ""); // unterminated quote
   for (auto const value : values) {
      EXPECT_FALSE(parse_forwarded_node(value).has_value()) << value;
   }

   for (std::string_view hostile : std::initializer_list<std::string_view>{
            ",,,;;;", "=", "for", "for=", "\"", "for=\"", ";for=1.2.3.4;",
            std::string_view("for=1.2.3.4\0,x", 14)}) {
      values.clear();
      forwarded_for_values(hostile, values); // must not crash or run past the end
      EXPECT_LE(values.size(), 2U) << hostile;
   }
}

TEST(client_address, an_untrusted_peer_is_the_client_whatever_its_headers_say) {
   auto const trusted = trust({"10.0.0.0/8"});
   EXPECT_EQ(client(trusted, "198.51.100.1", {"203.0.113.7"}), "198.51.100.1");
   EXPECT_EQ(client(trusted, "198.51.100.1", {}, {"for=203.0.113.7"}), "198.51.100.1");
   EXPECT_EQ(client(trust({}), "10.0.0.1", {"203.0.113.7"}), "10.0.0.1");
   EXPECT_EQ(client(trusted, "::ffff:198.51.100.1", {"203.0.113.7"}), "198.51.100.1");
}

TEST(client_address, the_right_most_untrusted_hop_of_x_forwarded_for_is_the_client) {
   auto const trusted = trust({"10.0.0.0/8", "fd00::/8"});
   EXPECT_EQ(client(trusted, "10.0.0.1", {"203.0.113.7"}), "203.0.113.7");
   // A client can prepend whatever it likes; only what trusted hops appended counts.
   EXPECT_EQ(client(trusted, "10.0.0.1", {"1.1.1.1, 203.0.113.7, 10.0.0.2"}), "203.0.113.7");
   // Several fields are one list, in order.
   EXPECT_EQ(client(trusted, "10.0.0.1", {"1.1.1.1", "203.0.113.7 , 10.0.0.2"}), "203.0.113.7");
   EXPECT_EQ(client(trusted, "10.0.0.1", {"2001:db8::7, fd00::5"}), "2001:db8::7");
   EXPECT_EQ(client(trusted, "10.0.0.1", {"::ffff:203.0.113.7"}), "203.0.113.7");
   // All hops trusted: the left-most one. No hops: the peer.
   EXPECT_EQ(client(trusted, "10.0.0.1", {"10.9.9.9, 10.0.0.2"}), "10.9.9.9");
   EXPECT_EQ(client(trusted, "10.0.0.1", {}), "10.0.0.1");
   EXPECT_EQ(client(trusted, "10.0.0.1", {" , ,"}), "10.0.0.1");
}

TEST(client_address, garbage_stops_the_walk_at_the_last_real_hop) {
   auto const trusted = trust({"10.0.0.0/8"});
   EXPECT_EQ(client(trusted, "10.0.0.1", {"unknown"}), "10.0.0.1");
   EXPECT_EQ(client(trusted, "10.0.0.1", {"203.0.113.7, garbage, 10.0.0.2"}), "10.0.0.2");
   EXPECT_EQ(client(trusted, "10.0.0.1", {"203.0.113.7, 10.0.0.2 10.0.0.3"}), "10.0.0.1");
   EXPECT_EQ(client(trusted, "10.0.0.1", {std::string(10000, ',') + "x"}), "10.0.0.1");
   // Left of the first untrusted hop, nothing is even looked at.
   EXPECT_EQ(client(trusted, "10.0.0.1", {"garbage, 203.0.113.7"}), "203.0.113.7");
}

TEST(client_address, forwarded_is_read_when_there_is_no_x_forwarded_for) {
   auto const trusted = trust({"10.0.0.0/8"});
   EXPECT_EQ(client(trusted, "10.0.0.1", {}, {R"(for="[2001:db8:cafe::17]:4711";proto=https)"}),
             "2001:db8:cafe::17");
   EXPECT_EQ(client(trusted, "10.0.0.1", {},
                    {"for=1.1.1.1, for=203.0.113.7;by=10.0.0.1", "for=10.0.0.2"}),
             "203.0.113.7");
   EXPECT_EQ(client(trusted, "10.0.0.1", {}, {"for=203.0.113.7, for=_hidden"}), "10.0.0.1");
   EXPECT_EQ(client(trusted, "10.0.0.1", {}, {"for=203.0.113.7, proto=http"}), "10.0.0.1");
   // X-Forwarded-For wins: a proxy that only appends it may pass a client's Forwarded through.
   EXPECT_EQ(client(trusted, "10.0.0.1", {"203.0.113.7"}, {"for=1.1.1.1"}), "203.0.113.7");
}

} // namespace
} // namespace notify::server
