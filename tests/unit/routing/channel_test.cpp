#include "notify/routing/channel.hpp"

#include <gtest/gtest.h>
#include <string>
#include <string_view>

namespace notify::routing {
namespace {

using namespace std::string_view_literals;

constexpr std::size_t max_id_bytes = 64;

channel_scheme default_scheme() {
   return channel_scheme("user:*:notifications", "global_notifications", max_id_bytes);
}

/// The user id a channel routes to; fails the test when it does not route to a user.
std::string routed_user(const channel_scheme& scheme, std::string_view channel) {
   auto const parsed = scheme.parse(channel);
   if (!parsed.target) {
      ADD_FAILURE() << "no route for " << channel << ": " << reason(parsed.rejection);
      return {};
   }
   EXPECT_EQ(parsed.target->kind, route::scope::user) << channel;
   return parsed.target->user_id;
}

channel_rejection rejection_of(const channel_scheme& scheme, std::string_view channel) {
   auto const parsed = scheme.parse(channel);
   EXPECT_FALSE(parsed.target.has_value()) << channel << " was routed";
   return parsed.rejection;
}

TEST(channel_scheme, routes_user_channel_to_its_id) {
   auto const scheme = default_scheme();
   EXPECT_EQ(routed_user(scheme, "user:42:notifications"), "42");
   EXPECT_EQ(routed_user(scheme, "user:alice:notifications"), "alice");
   EXPECT_EQ(routed_user(scheme, "user:x:notifications"), "x");
}

TEST(channel_scheme, keeps_colons_inside_the_id) {
   auto const scheme = default_scheme();
   EXPECT_EQ(routed_user(scheme, "user:org:7:user:42:notifications"), "org:7:user:42");
   EXPECT_EQ(routed_user(scheme, "user:::notifications"), ":");
   EXPECT_EQ(routed_user(scheme, "user::::notifications"), "::");
   EXPECT_EQ(routed_user(scheme, "user:a:notifications:notifications"), "a:notifications");
}

TEST(channel_scheme, accepts_utf8_ids) {
   auto const scheme = default_scheme();
   EXPECT_EQ(routed_user(scheme, "user:Zo\xC3\xAB:notifications"), "Zo\xC3\xAB");
   EXPECT_EQ(routed_user(scheme, "user:\xE6\x9D\xB1\xE4\xBA\xAC:notifications"),
             "\xE6\x9D\xB1\xE4\xBA\xAC");
   EXPECT_EQ(routed_user(scheme, "user:\xF0\x9F\x98\x80:notifications"), "\xF0\x9F\x98\x80");
}

TEST(channel_scheme, routes_global_channel) {
   auto const scheme = default_scheme();
   auto const parsed = scheme.parse("global_notifications");
   ASSERT_TRUE(parsed.target.has_value());
   EXPECT_EQ(parsed.target->kind, route::scope::global);
   EXPECT_TRUE(parsed.target->user_id.empty());
}

TEST(channel_scheme, global_channel_must_match_exactly) {
   auto const scheme = default_scheme();
   EXPECT_EQ(rejection_of(scheme, "global_notifications "), channel_rejection::foreign_channel);
   EXPECT_EQ(rejection_of(scheme, "Global_notifications"), channel_rejection::foreign_channel);
   EXPECT_EQ(rejection_of(scheme, "global_notification"), channel_rejection::foreign_channel);
}

TEST(channel_scheme, rejects_foreign_channels) {
   auto const scheme = default_scheme();
   for (auto const channel :
        {"user:42:activity"sv, "user::notifications"sv, "xuser:1:notifications"sv,
         "user:1:notificationsx"sv, "user:"sv, ":notifications"sv, "user:notifications"sv, "user"sv,
         ""sv, "USER:1:notifications"sv, "user:1:Notifications"sv, "other"sv}) {
      EXPECT_EQ(rejection_of(scheme, channel), channel_rejection::foreign_channel) << channel;
   }
}

TEST(channel_scheme, rejects_invalid_ids) {
   auto const scheme = default_scheme();
   for (auto const channel :
        {"user:a\nb:notifications"sv, "user:\t:notifications"sv, "user:a\x7F:notifications"sv,
         "user:a\0b:notifications"sv, "user:\x1B[31m:notifications"sv}) {
      EXPECT_EQ(rejection_of(scheme, channel), channel_rejection::invalid_user_id)
          << "control character";
   }
   for (auto const channel :
        {"user:\xFF:notifications"sv, "user:\xC3:notifications"sv, "user:\xC0\xAF:notifications"sv,
         "user:\xED\xA0\x80:notifications"sv, "user:\x80:notifications"sv}) {
      EXPECT_EQ(rejection_of(scheme, channel), channel_rejection::invalid_user_id)
          << "invalid UTF-8";
   }
}

TEST(channel_scheme, enforces_the_id_length_limit) {
   auto const scheme = default_scheme();
   std::string const longest(max_id_bytes, 'a');
   EXPECT_EQ(routed_user(scheme, scheme.user_channel(longest)), longest);
   EXPECT_EQ(rejection_of(scheme, scheme.user_channel(longest + "a")),
             channel_rejection::invalid_user_id);
   EXPECT_EQ(rejection_of(scheme, scheme.user_channel(std::string(100000, 'a'))),
             channel_rejection::invalid_user_id);
}

TEST(channel_scheme, supports_pattern_without_suffix) {
   channel_scheme const scheme("notify.*", "notify.all", max_id_bytes);
   EXPECT_EQ(routed_user(scheme, "notify.42"), "42");
   EXPECT_EQ(routed_user(scheme, "notify.a.b"), "a.b");
   EXPECT_EQ(rejection_of(scheme, "notify."), channel_rejection::foreign_channel);
   EXPECT_EQ(rejection_of(scheme, "notify"), channel_rejection::foreign_channel);
   EXPECT_EQ(rejection_of(scheme, "xnotify.42"), channel_rejection::foreign_channel);
   auto const global = scheme.parse("notify.all");
   ASSERT_TRUE(global.target.has_value());
   EXPECT_EQ(global.target->kind, route::scope::global) << "the global channel wins";
   EXPECT_EQ(scheme.user_pattern(), "notify.*");
}

TEST(channel_scheme, supports_pattern_without_prefix) {
   channel_scheme const scheme("*:inbox", "broadcast", max_id_bytes);
   EXPECT_EQ(routed_user(scheme, "42:inbox"), "42");
   EXPECT_EQ(routed_user(scheme, "a:inbox:inbox"), "a:inbox");
   EXPECT_EQ(rejection_of(scheme, ":inbox"), channel_rejection::foreign_channel);
   EXPECT_EQ(rejection_of(scheme, "42:inboxes"), channel_rejection::foreign_channel);
   EXPECT_EQ(rejection_of(scheme, "\n:inbox"), channel_rejection::invalid_user_id);
   EXPECT_EQ(scheme.user_pattern(), "*:inbox");
}

TEST(channel_scheme, supports_pattern_with_id_in_the_middle) {
   channel_scheme const scheme("tenant:*:n", "tenant:all", max_id_bytes);
   EXPECT_EQ(routed_user(scheme, "tenant:7:n"), "7");
   EXPECT_EQ(routed_user(scheme, "tenant:a:n:n"), "a:n");
   EXPECT_EQ(rejection_of(scheme, "tenant::n"), channel_rejection::foreign_channel);
   EXPECT_EQ(rejection_of(scheme, "tenant:n"), channel_rejection::foreign_channel)
       << "prefix and suffix overlap";
   EXPECT_EQ(rejection_of(scheme, "tenant:7:m"), channel_rejection::foreign_channel);
   EXPECT_EQ(scheme.user_pattern(), "tenant:*:n");
   EXPECT_EQ(scheme.global_channel(), "tenant:all");
}

TEST(channel_scheme, user_channel_round_trips) {
   auto const scheme = default_scheme();
   EXPECT_EQ(scheme.user_channel("42"), "user:42:notifications");
   for (auto const id : {"42"sv, "org:7:user:42"sv, "Zo\xC3\xAB"sv, ":"sv, "a b"sv,
                         "notifications"sv, "\xF0\x9F\x98\x80"sv}) {
      EXPECT_EQ(routed_user(scheme, scheme.user_channel(id)), id);
   }
   channel_scheme const custom("*:inbox", "broadcast", max_id_bytes);
   EXPECT_EQ(custom.user_channel("org:1"), "org:1:inbox");
   EXPECT_EQ(routed_user(custom, custom.user_channel("org:1")), "org:1");
}

TEST(channel_scheme, reports_pattern_and_global_channel) {
   auto const scheme = default_scheme();
   EXPECT_EQ(scheme.user_pattern(), "user:*:notifications");
   EXPECT_EQ(scheme.global_channel(), "global_notifications");
}

TEST(channel_rejection, has_stable_names) {
   EXPECT_EQ(reason(channel_rejection::foreign_channel), "foreign_channel");
   EXPECT_EQ(reason(channel_rejection::invalid_user_id), "invalid_user_id");
}

} // namespace
} // namespace notify::routing
