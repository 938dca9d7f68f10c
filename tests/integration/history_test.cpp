// Reliable delivery with real Redis and real clients: notify_publish appends to a stream, a
// client that reconnects with its last id gets exactly what it missed, a gap it cannot get is
// reported, and the gateway repairs what its own Redis link missed.

#include "gateway_fixture.hpp"

#include <csignal>
#include <set>

namespace notify::test {
namespace {

class history_test : public gateway_test {
protected:
   void start_history_gateway(std::vector<std::string> args = {}) {
      start_gateway(std::move(args));
      ASSERT_TRUE(gateway_->wait_for_log("function library loaded")) << gateway_->log_text();
   }

   /// FCALL notify_publish; returns the entry id.
   std::string publish_with_history(const std::string& target, const std::string& payload,
                                    std::optional<std::string> message_id = std::nullopt) {
      std::vector<std::string> args{"FCALL", "notify_publish", "1", target, payload};
      if (message_id) {
         args.push_back(*message_id);
      }
      auto const answer = redis_->command(args);
      EXPECT_EQ(answer.type, redis::reply::kind::string) << answer.str;
      return answer.str;
   }

   /// Reads `count` messages; each must be {"type":"message"} with data.n in order from `first`.
   static std::vector<std::string> read_sequence(ws_client& client, int first, int count) {
      std::vector<std::string> ids;
      for (int n = first; n < first + count; ++n) {
         auto const message = read_json(client);
         EXPECT_EQ(message.value("type", ""), "message") << message.dump();
         if (!message.contains("data")) {
            ADD_FAILURE() << "message " << n << " missing: " << message.dump();
            return ids;
         }
         EXPECT_EQ(message["data"].value("n", -1), n) << message.dump();
         ids.push_back(message.value("id", ""));
      }
      return ids;
   }

   /// Connects while Redis answers nothing, so the start read times out; auth_ok still comes.
   std::unique_ptr<ws_client> connect_while_redis_is_frozen(const std::string& user_id) {
      redis_->pause();
      auto client = connect_envelope(user_id);
      redis_->resume();
      return client;
   }

   static std::string numbered(int n) { return R"({"n":)" + std::to_string(n) + "}"; }
};

TEST_F(history_test, notify_publish_reaches_plain_and_envelope_clients) {
   start_history_gateway();
   auto plain = connect_as("42");
   auto envelope = connect_envelope("42", "");
   auto const id = publish_with_history("user:42", R"({"text":"hi"})");
   EXPECT_EQ(plain->read_message(), R"({"text":"hi"})") << "payload verbatim for old clients";
   auto const message = read_json(*envelope);
   EXPECT_EQ(message.value("type", ""), "message");
   EXPECT_EQ(message.value("stream", ""), "user");
   EXPECT_EQ(message.value("id", ""), id);
   EXPECT_EQ(message["data"], nlohmann::json::parse(R"({"text":"hi"})"));
   // once per message and event loop holding a recipient
   EXPECT_GE(metric_value(port(), "notify_publish_to_socket_seconds_count"), 1);

   auto const global_id = publish_with_history("global", R"({"all":1})");
   EXPECT_EQ(plain->read_message(), R"({"all":1})");
   auto const broadcast = read_json(*envelope);
   EXPECT_EQ(broadcast.value("stream", ""), "global");
   EXPECT_EQ(broadcast.value("id", ""), global_id);

   // plain PUBLISH keeps working, without an id
   publish("user:42:notifications", R"({"old":true})");
   EXPECT_EQ(plain->read_message(), R"({"old":true})");
   auto const old = read_json(*envelope);
   EXPECT_EQ(old.value("type", ""), "message");
   EXPECT_FALSE(old.contains("id"));
}

TEST_F(history_test, a_client_resumes_with_everything_it_missed_once_and_in_order) {
   start_history_gateway();
   auto first = connect_envelope("7", "");
   for (int n = 0; n < 5; ++n) {
      publish_with_history("user:7", numbered(n));
   }
   auto const seen = read_sequence(*first, 0, 5);
   ASSERT_EQ(seen.size(), 5U);
   first.reset();
   for (int n = 5; n < 25; ++n) {
      publish_with_history("user:7", numbered(n));
   }
   auto resumed = connect_envelope("7", "&resume_user=" + seen.back());
   read_sequence(*resumed, 5, 20);
   publish_with_history("user:7", numbered(25));
   read_sequence(*resumed, 25, 1);
   EXPECT_EQ(resumed->read_message(std::chrono::milliseconds(300)), std::nullopt)
       << "nothing twice";
   EXPECT_GE(metric_value(port(), "notify_history_replayed_messages_total"), 20);
   EXPECT_EQ(metric_value(port(), "notify_history_resumed_connections_total"), 1);
}

TEST_F(history_test, resuming_through_the_auth_message_works_too) {
   start_history_gateway();
   auto const first_id = publish_with_history("user:8", numbered(0));
   publish_with_history("user:8", numbered(1));
   publish_with_history("global", numbered(100));
   auto client = std::make_unique<ws_client>();
   ASSERT_TRUE(client->connect("127.0.0.1", port(), "/ws"));
   nlohmann::json auth = {{"type", "auth"},
                          {"token", token_for("8")},
                          {"format", "envelope"},
                          {"resume", {{"user", first_id}, {"global", "0-0"}}}};
   ASSERT_TRUE(client->send_text(auth.dump()));
   EXPECT_EQ(read_json(*client).value("type", ""), "auth_ok");
   std::vector<nlohmann::json> got{read_json(*client), read_json(*client)};
   std::sort(got.begin(), got.end(), [](auto const& a, auto const& b) {
      return a.value("stream", "") > b.value("stream", "");
   });
   EXPECT_EQ(got[0].value("stream", ""), "user");
   EXPECT_EQ(got[0]["data"].value("n", -1), 1);
   EXPECT_EQ(got[1].value("stream", ""), "global");
   EXPECT_EQ(got[1]["data"].value("n", -1), 100);
}

TEST_F(history_test, a_gap_that_cannot_be_filled_is_signalled_first) {
   start_history_gateway();
   std::vector<std::string> ids;
   for (int n = 0; n < 6; ++n) {
      ids.push_back(publish_with_history("user:9", numbered(n)));
   }
   // entries 1..3 gone (as trimming would do to old ones)
   redis_->command({"XDEL", "notify:{user:9}:history", ids[1], ids[2], ids[3]});
   auto client = connect_envelope("9", "&resume_user=" + ids[0]);
   auto const gap = read_json(*client);
   EXPECT_EQ(gap.value("type", ""), "gap") << gap.dump();
   EXPECT_EQ(gap.value("stream", ""), "user");
   EXPECT_EQ(gap.value("after", ""), ids[0]);
   EXPECT_EQ(gap.value("until", ""), ids[3]);
   EXPECT_EQ(gap.value("reason", ""), "trimmed");
   read_sequence(*client, 4, 2);
   EXPECT_EQ(metric_value(port(), R"(notify_history_gaps_total{reason="trimmed"})"), 1);

   // a position the stream never had
   auto lost = connect_envelope("9", "&resume_user=99999999999999-0");
   auto const unknown = read_json(*lost);
   EXPECT_EQ(unknown.value("type", ""), "gap") << unknown.dump();
   EXPECT_EQ(unknown.value("reason", ""), "unknown_position");
   EXPECT_EQ(unknown.value("until", ""), ids[5]);

   // an expired stream
   redis_->command({"DEL", "notify:{user:9}:history"});
   auto late = connect_envelope("9", "&resume_user=" + ids[5]);
   auto const expired = read_json(*late);
   EXPECT_EQ(expired.value("reason", ""), "expired") << expired.dump();
}

TEST_F(history_test, past_the_replay_limit_the_newest_come_after_a_gap) {
   start_history_gateway({"--set", "history.max_replay=3"});
   std::vector<std::string> ids;
   for (int n = 0; n < 10; ++n) {
      ids.push_back(publish_with_history("user:15", numbered(n)));
   }
   auto client = connect_envelope("15", "&resume_user=" + ids[0]);
   auto const gap = read_json(*client);
   EXPECT_EQ(gap.value("type", ""), "gap") << gap.dump();
   EXPECT_EQ(gap.value("reason", ""), "replay_limit");
   EXPECT_EQ(gap.value("after", ""), ids[0]);
   EXPECT_EQ(gap.value("until", ""), ids[6]);
   read_sequence(*client, 7, 3);
}

TEST_F(history_test, resuming_without_history_is_told_it_is_unavailable) {
   start_gateway({"--set", "history.enabled=false"});
   auto client = connect_envelope("16", "&resume_user=1796637297740-0");
   auto const gap = read_json(*client);
   EXPECT_EQ(gap.value("type", ""), "gap") << gap.dump();
   EXPECT_EQ(gap.value("reason", ""), "unavailable");
   EXPECT_EQ(gap.value("after", ""), "1796637297740-0");
   publish("user:16:notifications", numbered(0));
   read_sequence(*client, 0, 1);
}

TEST_F(history_test, a_bad_resume_position_gets_a_clear_error) {
   start_history_gateway();
   auto client = connect_envelope("10", "&resume_user=yesterday");
   auto const error = read_json(*client);
   EXPECT_EQ(error.value("type", ""), "error") << error.dump();
   EXPECT_EQ(error.value("code", ""), "invalid_resume");
   publish_with_history("user:10", numbered(0));
   read_sequence(*client, 0, 1);
}

TEST_F(history_test, a_retried_publish_with_the_same_message_id_is_delivered_once) {
   start_history_gateway();
   auto client = connect_envelope("11", "");
   auto const id = publish_with_history("user:11", numbered(0), "order-17-shipped");
   EXPECT_EQ(publish_with_history("user:11", numbered(0), "order-17-shipped"), id);
   publish_with_history("user:11", numbered(1));
   read_sequence(*client, 0, 2);
   EXPECT_EQ(redis_->command({"XLEN", "notify:{user:11}:history"}).integer, 2);
}

TEST_F(history_test, the_gateway_repairs_what_its_own_redis_link_missed) {
   start_history_gateway();
   auto plain = connect_as("12");
   auto envelope = connect_envelope("12", "");
   publish_with_history("user:12", numbered(0));
   EXPECT_EQ(plain->read_message(), numbered(0));
   read_sequence(*envelope, 0, 1);
   // The subscriber link dies; what is published until it is back reaches nobody live.
   ASSERT_EQ(redis_->kill_clients_of_type_pubsub(), 1);
   int published = 1;
   for (; published < 20; ++published) {
      publish_with_history("user:12", numbered(published));
   }
   // Nothing else is published: only the gateway's own repair can deliver them.
   for (int n = 1; n < 20; ++n) {
      EXPECT_EQ(plain->read_message(), numbered(n)) << "plain client, message " << n;
   }
   read_sequence(*envelope, 1, 19);
   EXPECT_EQ(metric_value(port(), "notify_redis_reconnects_total"), 1);
   EXPECT_EQ(plain->read_message(std::chrono::milliseconds(300)), std::nullopt);
   EXPECT_EQ(envelope->read_message(std::chrono::milliseconds(300)), std::nullopt);
}

TEST_F(history_test, redis_killed_and_restarted_loses_nothing_and_nobody_reconnects) {
   redis_ =
       std::make_unique<redis_server>(redis_server::options{.password = {}, .append_only = true});
   start_history_gateway();
   auto plain = connect_as("14");
   auto envelope = connect_envelope("14", "");
   constexpr int total = 300;
   int published = 0;
   for (int crash = 0; crash < 3; ++crash) {
      for (int i = 0; i < 50; ++i, ++published) {
         publish_with_history("user:14", numbered(published));
      }
      redis_->crash_and_restart(); // kill -9: the gateway's links die with it
      // Published before the gateway is back: only its own repair can deliver these.
      for (int i = 0; i < 50; ++i, ++published) {
         publish_with_history("user:14", numbered(published));
      }
      ASSERT_TRUE(eventually([&] {
         return metric_value(port(), "notify_redis_reconnects_total") >= crash + 1;
      })) << gateway_->log_text();
   }
   ASSERT_EQ(published, total);
   int plain_received = 0;
   for (int n = 0; n < total; ++n) {
      auto const message = plain->read_message();
      if (message != numbered(n)) {
         ADD_FAILURE() << "plain client: expected " << numbered(n) << ", got "
                       << message.value_or("nothing");
         break;
      }
      ++plain_received;
   }
   auto const ids = read_sequence(*envelope, 0, total);
   EXPECT_EQ(plain->read_message(std::chrono::milliseconds(300)), std::nullopt) << "a duplicate";
   EXPECT_EQ(envelope->read_message(std::chrono::milliseconds(300)), std::nullopt);
   EXPECT_TRUE(plain->is_open());
   EXPECT_TRUE(envelope->is_open());
   std::printf("redis kill -9 x3: published %d, plain client received %d, envelope client %zu, "
               "in order, no duplicates\n",
               total, plain_received, ids.size());
}

TEST_F(history_test, a_resume_redis_cannot_answer_yet_is_read_again_not_given_up) {
   start_history_gateway({"--set", "redis.connect_timeout_ms=300"});
   auto first = connect_envelope("17", "");
   for (int n = 0; n < 3; ++n) {
      publish_with_history("user:17", numbered(n));
   }
   auto const seen = read_sequence(*first, 0, 3);
   ASSERT_EQ(seen.size(), 3U);
   first.reset();
   for (int n = 3; n < 8; ++n) {
      publish_with_history("user:17", numbered(n));
   }
   redis_->pause(); // the resume read goes unanswered and times out
   auto resumed = std::make_unique<ws_client>();
   ASSERT_TRUE(resumed->connect("127.0.0.1", port(),
                                "/ws?token=" + token_for("17") +
                                    "&format=envelope&resume_user=" + seen.back()))
       << resumed->last_error();
   auto const ok = read_json(*resumed);
   EXPECT_EQ(ok.value("type", ""), "auth_ok") << ok.dump();
   redis_->resume();
   read_sequence(*resumed, 3, 5); // not a gap: read again once Redis answers
   publish_with_history("user:17", numbered(8));
   read_sequence(*resumed, 8, 1);
   EXPECT_EQ(resumed->read_message(std::chrono::milliseconds(300)), std::nullopt);
}

TEST_F(history_test, a_start_redis_cannot_read_is_taken_from_the_first_message) {
   start_history_gateway({"--set", "redis.connect_timeout_ms=300"});
   auto client = connect_while_redis_is_frozen("18");
   for (int n = 0; n < 3; ++n) {
      publish_with_history("user:18", numbered(n));
   }
   read_sequence(*client, 0, 3);
   EXPECT_EQ(client->read_message(std::chrono::milliseconds(300)), std::nullopt);
}

TEST_F(history_test, losing_redis_before_that_first_message_is_signalled_as_a_gap) {
   start_history_gateway({"--set", "redis.connect_timeout_ms=300"});
   auto client = connect_while_redis_is_frozen("19");
   redis_->crash_and_restart(); // whatever is published until the gateway is back is unknown
   std::set<std::string> streams;
   for (int signal = 0; signal < 2; ++signal) { // neither stream's start was read
      auto const gap = read_json(*client, std::chrono::seconds(10));
      EXPECT_EQ(gap.value("type", ""), "gap") << gap.dump();
      EXPECT_EQ(gap.value("reason", ""), "unavailable") << gap.dump();
      streams.insert(gap.value("stream", ""));
   }
   EXPECT_EQ(streams, (std::set<std::string>{"user", "global"}));
   // The library is loaded again once the gateway is back (Redis lost it with the restart).
   ASSERT_TRUE(eventually([&] {
      return redis_->command({"FCALL", "notify_publish", "1", "user:19", numbered(0)}).type ==
             redis::reply::kind::string;
   }));
   read_sequence(*client, 0, 1);
}

/// How many XREVRANGE calls Redis has served: each is a connection reading where a stream ends.
long tail_reads(redis_server& redis) {
   auto const stats = redis.command({"INFO", "commandstats"}).str;
   auto const at = stats.find("cmdstat_xrevrange:calls=");
   if (at == std::string::npos) {
      return 0;
   }
   return std::stol(stats.substr(at + std::string_view("cmdstat_xrevrange:calls=").size()));
}

TEST_F(history_test, new_connections_start_where_the_gateway_already_is_without_reading) {
   start_history_gateway({"--threads", "1"});
   auto first = connect_envelope("30", "");
   EXPECT_EQ(tail_reads(*redis_), 2) << "the first connection reads both streams' tails";
   publish_with_history("global", numbered(0));
   read_sequence(*first, 0, 1);
   auto const before = tail_reads(*redis_); // notify_publish reads the tail too

   // Other users: only their own stream is read; the global position is the shard's.
   std::vector<std::unique_ptr<ws_client>> others;
   for (int user = 31; user < 41; ++user) {
      others.push_back(connect_envelope(std::to_string(user), ""));
   }
   EXPECT_EQ(tail_reads(*redis_), before + 10);
   // The same user again: the live connection knows where the user's stream is.
   auto second = connect_envelope("30", "");
   EXPECT_EQ(tail_reads(*redis_), before + 10);

   // Each still gets exactly what is published after its auth_ok, in order.
   publish_with_history("user:30", numbered(1));
   publish_with_history("global", numbered(2));
   read_sequence(*first, 1, 2);
   read_sequence(*second, 1, 2);
   for (auto& client : others) {
      read_sequence(*client, 2, 1);
      EXPECT_EQ(client->read_message(std::chrono::milliseconds(100)), std::nullopt);
   }
   EXPECT_EQ(second->read_message(std::chrono::milliseconds(300)), std::nullopt) << "nothing twice";
}

TEST_F(history_test, a_client_resumes_on_another_gateway_after_a_kill) {
   start_history_gateway();
   auto client = connect_envelope("13", "");
   publish_with_history("user:13", numbered(0));
   auto const seen = read_sequence(*client, 0, 1);
   ASSERT_EQ(seen.size(), 1U);
   gateway_->signal(SIGKILL);
   gateway_->wait_exit(std::chrono::seconds(5));
   client.reset();
   for (int n = 1; n < 11; ++n) {
      publish_with_history("user:13", numbered(n));
   }
   start_history_gateway(); // a new process, another port: as another instance would be
   auto resumed = connect_envelope("13", "&resume_user=" + seen.back());
   read_sequence(*resumed, 1, 10);
   EXPECT_EQ(resumed->read_message(std::chrono::milliseconds(300)), std::nullopt);
}

} // namespace
} // namespace notify::test
