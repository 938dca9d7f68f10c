#include "payload.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace notify::bench {
namespace {

std::string build(std::size_t bytes, std::uint64_t seq, std::uint64_t ts,
                  std::optional<std::uint64_t> user) {
   payload_builder builder(bytes);
   std::size_t const size = builder.prepare(seq, ts, user);
   std::string out;
   builder.append_to(out);
   EXPECT_EQ(out.size(), size);
   return out;
}

TEST(Payload, IsJsonPaddedToTheRequestedSize) {
   std::string const text = build(64, 7, 123456789, std::nullopt);
   EXPECT_EQ(text.size(), 64u);
   auto const json = nlohmann::json::parse(text);
   EXPECT_EQ(json["seq"], 7);
   EXPECT_EQ(json["ts"], 123456789);
   EXPECT_FALSE(json.contains("u"));
   EXPECT_EQ(build(1000, 1, 2, 3).size(), 1000u);
}

TEST(Payload, CarriesTheTargetUserAsString) {
   auto const json = nlohmann::json::parse(build(64, 1, 2, 4711));
   EXPECT_EQ(json["u"], "4711");
}

TEST(Payload, NeverShorterThanItsFields) {
   std::string const text = build(1, 18446744073709551615ull, 18446744073709551615ull, 42);
   EXPECT_TRUE(nlohmann::json::accept(text));
   auto const fields = scan_notification(text);
   ASSERT_TRUE(fields);
   EXPECT_EQ(fields->seq, 18446744073709551615ull);
}

TEST(Payload, ScanFindsWhatWasBuilt) {
   auto const fields = scan_notification(build(200, 99, 5000, 12));
   ASSERT_TRUE(fields);
   EXPECT_EQ(fields->seq, 99u);
   EXPECT_EQ(fields->ts_ns, 5000u);
   EXPECT_TRUE(fields->has_user);
   EXPECT_TRUE(fields->user_valid);
   EXPECT_EQ(fields->user, 12u);
   auto const global = scan_notification(build(64, 3, 4, std::nullopt));
   ASSERT_TRUE(global);
   EXPECT_FALSE(global->has_user);
}

TEST(Payload, ScanAcceptsOtherKeyOrdersAndSpacing) {
   // A server may re-serialize (node-seed does JSON.parse + JSON.stringify).
   auto const fields = scan_notification(R"({"u":"5","pad":"xx","ts":77,"seq":8})");
   ASSERT_TRUE(fields);
   EXPECT_EQ(fields->seq, 8u);
   EXPECT_EQ(fields->ts_ns, 77u);
   EXPECT_TRUE(fields->user_valid);
   EXPECT_EQ(fields->user, 5u);
}

TEST(Payload, ScanFindsAUserMovedBehindThePadding) {
   auto const fields = scan_notification(R"({"seq":1,"ts":2,"pad":"xx","u":"33"})");
   ASSERT_TRUE(fields);
   EXPECT_EQ(fields->seq, 1u);
   EXPECT_TRUE(fields->has_user);
   EXPECT_EQ(fields->user, 33u);
}

TEST(Payload, ScanRejectsForeignMessages) {
   EXPECT_FALSE(scan_notification(R"({"type":"auth_ok","userId":"1"})"));
   EXPECT_FALSE(scan_notification(R"({"seq":1})"));
   EXPECT_FALSE(scan_notification(R"({"seq":"1","ts":2})"));
   EXPECT_FALSE(scan_notification(""));
   EXPECT_FALSE(scan_notification(R"({"seq":)"));
}

TEST(Payload, ScanFlagsAUserThatIsNotANumber) {
   auto const fields = scan_notification(R"({"seq":1,"ts":2,"u":"alice"})");
   ASSERT_TRUE(fields);
   EXPECT_TRUE(fields->has_user);
   EXPECT_FALSE(fields->user_valid);
   auto const cut = scan_notification(R"({"seq":1,"ts":2,"u":"12)");
   ASSERT_TRUE(cut);
   EXPECT_FALSE(cut->user_valid);
}

} // namespace
} // namespace notify::bench
