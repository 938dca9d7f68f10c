// The per-connection form of a client address must write exactly the text the per-address
// tables were keyed by when the connection was counted, or a release would miss its entry.

#include "notify/server/compact_address.hpp"

#include <gtest/gtest.h>

namespace notify::server {
namespace {

namespace ip = boost::asio::ip;

TEST(compact_address, writes_the_same_text_as_asio) {
   for (auto const* text : {"127.0.0.1", "203.0.113.7", "0.0.0.0", "255.255.255.255", "::1",
                            "2001:db8::17", "fe80::1:2:3:4", "::ffff:10.0.0.1", "::"}) {
      auto const address = ip::make_address(text);
      EXPECT_EQ(compact_address(address).to_string(), address.to_string()) << text;
   }
}

TEST(compact_address, no_address_is_empty_text) {
   compact_address const none;
   EXPECT_TRUE(none.empty());
   EXPECT_EQ(none.to_string(), "");
   EXPECT_FALSE(compact_address(ip::make_address("10.0.0.1")).empty());
}

TEST(compact_address, stays_small_enough_to_share_the_sessions_padding) {
   EXPECT_LE(sizeof(compact_address), 17U);
}

} // namespace
} // namespace notify::server
