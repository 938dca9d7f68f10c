#include "notify/redis/hash_slot.hpp"
#include "notify/routing/history_names.hpp"

#include <gtest/gtest.h>

namespace notify::routing {
namespace {

route user(std::string id) {
   return {route::scope::user, std::move(id)};
}

TEST(history_names, names_a_users_stream_and_channel_in_one_slot) {
   history_names const names("notify:", 256);
   EXPECT_EQ(names.stream_key(user("42")), "notify:{user:42}:history");
   EXPECT_EQ(names.stream_key(route{}), "notify:{global}:history");
   EXPECT_EQ(names.live_channels().user_pattern(), "notify:{user:*}:live");
   EXPECT_EQ(names.live_channels().global_channel(), "notify:{global}:live");
   for (std::string const id : {"42", "org:7:user:9", "x{y", "ünï"}) {
      auto const slot = redis::hash_slot(names.stream_key(user(id)));
      EXPECT_EQ(slot, redis::hash_slot(names.live_channels().user_channel(id))) << id;
      // the key a publisher passes to FCALL routes to the same node
      EXPECT_EQ(slot, redis::hash_slot("user:" + std::string(id))) << id;
   }
   EXPECT_EQ(redis::hash_slot(names.stream_key(route{})), redis::hash_slot("global"));
}

TEST(history_names, parses_live_channels_back_into_routes) {
   history_names const names("app1:", 8);
   auto const parsed = names.live_channels().parse("app1:{user:42}:live");
   ASSERT_TRUE(parsed.target);
   EXPECT_EQ(parsed.target->user_id, "42");
   EXPECT_EQ(names.live_channels().parse("app1:{global}:live").target->kind, route::scope::global);
   EXPECT_FALSE(names.live_channels().parse("notify:{user:42}:live").target);
   EXPECT_FALSE(names.live_channels().parse("app1:{user:123456789}:live").target); // too long
}

TEST(history_names, ids_with_a_closing_brace_have_no_history) {
   EXPECT_TRUE(history_names::has_history("42"));
   EXPECT_TRUE(history_names::has_history("x{y"));
   EXPECT_FALSE(history_names::has_history("a}b"));
}

TEST(live_message, splits_id_previous_and_payload) {
   auto const parsed = parse_live_message("1733573000123-1 1733573000123-0 {\"a\": \"b c\"}");
   ASSERT_TRUE(parsed);
   EXPECT_EQ(parsed->id, (stream_id{1733573000123, 1}));
   EXPECT_EQ(parsed->previous, (stream_id{1733573000123, 0}));
   EXPECT_EQ(parsed->payload, "{\"a\": \"b c\"}");
   EXPECT_EQ(parse_live_message("5-0 0-0 ")->payload, "");
}

TEST(live_message, refuses_what_notify_publish_never_sends) {
   for (std::string_view const text : {"", "5-0", "5-0 0-0", "5-0  0-0 {}", "x 0-0 {}", "5-0 y {}",
                                       "5-0 5-0 {}", "4-0 5-0 {}", " 5-0 0-0 {}"}) {
      EXPECT_FALSE(parse_live_message(text)) << text;
   }
}

} // namespace
} // namespace notify::routing
