#include "client_handshake.hpp"

#include <gtest/gtest.h>

namespace notify::bench {
namespace {

constexpr std::string_view accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

TEST(ClientHandshake, RequestHasTheUpgradeHeaders) {
   std::string const request =
       make_upgrade_request("127.0.0.1:8080", "/ws?token=abc", "dGhlIHNhbXBsZSBub25jZQ==");
   EXPECT_TRUE(request.starts_with("GET /ws?token=abc HTTP/1.1\r\n"));
   EXPECT_NE(request.find("\r\nHost: 127.0.0.1:8080\r\n"), std::string::npos);
   EXPECT_NE(request.find("\r\nUpgrade: websocket\r\n"), std::string::npos);
   EXPECT_NE(request.find("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
             std::string::npos);
   EXPECT_TRUE(request.ends_with("\r\n\r\n"));
}

TEST(ClientHandshake, TokenJoinsAnExistingQuery) {
   EXPECT_EQ(target_with_token("/ws", "a.b.c"), "/ws?token=a.b.c");
   EXPECT_EQ(target_with_token("/ws?x=1", "a.b.c"), "/ws?x=1&token=a.b.c");
}

TEST(ClientHandshake, AcceptsA101WithTheRightKeyAndKeepsWhatFollows) {
   std::string const reply =
       std::string("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nsec-websocket-accept:  ") +
       std::string(accept) + "\r\n\r\n\x81\x02hi";
   upgrade_reply const parsed = parse_upgrade_reply(reply, accept);
   EXPECT_EQ(parsed.status, upgrade_status::accepted);
   EXPECT_EQ(parsed.http_status, 101);
   EXPECT_EQ(reply.substr(parsed.header_bytes), "\x81\x02hi");
}

TEST(ClientHandshake, WaitsForTheBlankLine) {
   EXPECT_EQ(parse_upgrade_reply("HTTP/1.1 101 Switching Protocols\r\nUpgrade: web", accept).status,
             upgrade_status::need_more);
}

TEST(ClientHandshake, RefusesOtherStatusesWrongKeysAndHugeHeaders) {
   EXPECT_EQ(parse_upgrade_reply("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", accept)
                 .http_status,
             401);
   EXPECT_EQ(parse_upgrade_reply("HTTP/1.1 401 Unauthorized\r\n\r\n", accept).status,
             upgrade_status::refused);
   EXPECT_EQ(
       parse_upgrade_reply("HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: wrong\r\n\r\n", accept).status,
       upgrade_status::refused);
   EXPECT_EQ(parse_upgrade_reply("HTTP/1.1 101 OK\r\n\r\n", accept).status,
             upgrade_status::refused);
   EXPECT_EQ(parse_upgrade_reply("garbage\r\n\r\n", accept).status, upgrade_status::refused);
   EXPECT_EQ(parse_upgrade_reply(std::string(10000, 'a'), accept, 8192).status,
             upgrade_status::refused);
}

} // namespace
} // namespace notify::bench
