#include "notify/redis/subscriber_fsm.hpp"

#include <gtest/gtest.h>
#include <ostream>

namespace notify::redis {

void PrintTo(subscriber_action const& action, std::ostream* out) {
   *out << "{what=" << static_cast<int>(action.what) << ", delay=" << action.delay.count()
        << "ms, notify_state=" << action.notify_state << "}";
}

namespace {

using namespace std::chrono_literals;
using kind = subscriber_action::kind;
using state = subscriber_state;
using clock = subscriber_fsm::clock;

constexpr auto interval = 1000ms;

subscriber_fsm make_fsm() {
   return subscriber_fsm(interval, backoff(50ms, 2000ms, 1));
}

/// An FSM driven to `target` along the ordinary path.
subscriber_fsm fsm_in(state target) {
   auto fsm = make_fsm();
   if (target == state::disconnected) {
      return fsm;
   }
   fsm.on_start();
   if (target == state::connecting) {
      return fsm;
   }
   if (target == state::backoff) {
      fsm.on_connect_failed();
      return fsm;
   }
   fsm.on_connected(2);
   if (target == state::subscribing) {
      return fsm;
   }
   fsm.on_subscribe_confirmed(2);
   if (target == state::subscribed) {
      return fsm;
   }
   fsm.on_stop();
   return fsm;
}

void expect_wait_within(subscriber_action const& action, std::chrono::milliseconds low,
                        std::chrono::milliseconds high) {
   EXPECT_EQ(action.what, kind::wait);
   EXPECT_GE(action.delay, low);
   EXPECT_LE(action.delay, high);
   EXPECT_TRUE(action.notify_state);
}

TEST(subscriber_fsm, happy_path_connects_subscribes_and_reports_each_state_once) {
   auto fsm = make_fsm();
   EXPECT_EQ(fsm.state(), state::disconnected);

   EXPECT_EQ(fsm.on_start(), (subscriber_action{kind::connect, 0ms, true}));
   EXPECT_EQ(fsm.state(), state::connecting);

   EXPECT_EQ(fsm.on_connected(2), (subscriber_action{kind::send_subscribe, 0ms, true}));
   EXPECT_EQ(fsm.state(), state::subscribing);

   EXPECT_EQ(fsm.on_subscribe_confirmed(1), subscriber_action{});
   EXPECT_EQ(fsm.state(), state::subscribing);
   EXPECT_EQ(fsm.on_subscribe_confirmed(1), (subscriber_action{kind::none, 0ms, true}));
   EXPECT_EQ(fsm.state(), state::subscribed);
   EXPECT_TRUE(fsm.ever_subscribed());
   EXPECT_EQ(fsm.reconnects(), 0u);
}

TEST(subscriber_fsm, start_twice_does_nothing_the_second_time) {
   auto fsm = make_fsm();
   fsm.on_start();
   EXPECT_EQ(fsm.on_start(), subscriber_action{});
   EXPECT_EQ(fsm.state(), state::connecting);
}

TEST(subscriber_fsm, empty_subscription_set_is_subscribed_at_once) {
   auto fsm = make_fsm();
   fsm.on_start();
   EXPECT_EQ(fsm.on_connected(0), (subscriber_action{kind::none, 0ms, true}));
   EXPECT_EQ(fsm.state(), state::subscribed);
}

TEST(subscriber_fsm, connect_failure_backs_off_then_retries) {
   auto fsm = fsm_in(state::connecting);
   expect_wait_within(fsm.on_connect_failed(), 25ms, 50ms);
   EXPECT_EQ(fsm.state(), state::backoff);
   EXPECT_EQ(fsm.failures_since_subscribed(), 1u);

   EXPECT_EQ(fsm.on_backoff_elapsed(), (subscriber_action{kind::connect, 0ms, true}));
   EXPECT_EQ(fsm.state(), state::connecting);
   EXPECT_EQ(fsm.reconnects(), 1u);
}

TEST(subscriber_fsm, repeated_failures_grow_the_delay_up_to_the_cap) {
   auto fsm = fsm_in(state::connecting);
   auto base = 50ms;
   for (int attempt = 0; attempt < 12; ++attempt) {
      expect_wait_within(fsm.on_connect_failed(), base / 2, base);
      fsm.on_backoff_elapsed();
      base = std::min(base * 2, std::chrono::milliseconds(2000ms));
   }
   EXPECT_EQ(fsm.reconnects(), 12u);
   EXPECT_EQ(fsm.failures_since_subscribed(), 12u);
}

TEST(subscriber_fsm, backoff_does_not_reset_on_connect_only_on_subscribed) {
   auto fsm = fsm_in(state::connecting);
   for (int i = 0; i < 5; ++i) {
      fsm.on_connect_failed();
      fsm.on_backoff_elapsed();
   }
   // Connected, but the link dies before the subscription is confirmed: keep growing.
   fsm.on_connected(1);
   expect_wait_within(fsm.on_link_lost(), 800ms, 1600ms);

   fsm.on_backoff_elapsed();
   fsm.on_connected(1);
   fsm.on_subscribe_confirmed(1);
   EXPECT_EQ(fsm.failures_since_subscribed(), 0u);
   expect_wait_within(fsm.on_link_lost(), 25ms, 50ms);
}

TEST(subscriber_fsm, link_lost_while_subscribing_backs_off) {
   auto fsm = fsm_in(state::subscribing);
   expect_wait_within(fsm.on_link_lost(), 25ms, 50ms);
   EXPECT_EQ(fsm.state(), state::backoff);
   EXPECT_FALSE(fsm.ever_subscribed());
}

TEST(subscriber_fsm, link_lost_while_subscribed_backs_off_and_resubscribes) {
   auto fsm = fsm_in(state::subscribed);
   expect_wait_within(fsm.on_link_lost(), 25ms, 50ms);
   EXPECT_EQ(fsm.on_backoff_elapsed().what, kind::connect);
   EXPECT_EQ(fsm.on_connected(2).what, kind::send_subscribe);
   fsm.on_subscribe_confirmed(2);
   EXPECT_EQ(fsm.state(), state::subscribed);
}

TEST(subscriber_fsm, refused_subscription_drops_the_link) {
   auto fsm = fsm_in(state::subscribing);
   EXPECT_EQ(fsm.on_subscribe_failed(), (subscriber_action{kind::drop_link, 0ms, false}));
   EXPECT_EQ(fsm.state(), state::subscribing) << "the shell reports the drop with on_link_lost";
   expect_wait_within(fsm.on_link_lost(), 25ms, 50ms);
}

TEST(subscriber_fsm, health_tick_pings_when_idle_then_drops_a_silent_link) {
   auto fsm = fsm_in(state::subscribed);
   auto const t0 = clock::now();
   EXPECT_EQ(fsm.on_health_tick(t0 + 500ms, t0), subscriber_action{});
   EXPECT_EQ(fsm.on_health_tick(t0 + 1000ms, t0).what, kind::send_ping);
   EXPECT_EQ(fsm.on_health_tick(t0 + 1200ms, t0), subscriber_action{}) << "one PING per idle spell";
   EXPECT_EQ(fsm.on_health_tick(t0 + 1999ms, t0), subscriber_action{});
   EXPECT_EQ(fsm.on_health_tick(t0 + 2000ms, t0), (subscriber_action{kind::drop_link, 0ms, false}));
   expect_wait_within(fsm.on_link_lost(), 25ms, 50ms);
}

TEST(subscriber_fsm, bytes_read_after_a_ping_keep_the_link_and_allow_the_next_ping) {
   auto fsm = fsm_in(state::subscribed);
   auto const t0 = clock::now();
   EXPECT_EQ(fsm.on_health_tick(t0 + 1000ms, t0).what, kind::send_ping);
   auto const pong = t0 + 1010ms;
   EXPECT_EQ(fsm.on_health_tick(t0 + 1500ms, pong), subscriber_action{});
   EXPECT_EQ(fsm.on_health_tick(t0 + 2500ms, pong).what, kind::send_ping)
       << "idle again since the answer: a fresh PING";
   EXPECT_EQ(fsm.on_health_tick(t0 + 2600ms, pong), subscriber_action{});
   EXPECT_EQ(fsm.state(), state::subscribed);
}

TEST(subscriber_fsm, health_tick_also_guards_an_unconfirmed_subscription) {
   auto fsm = fsm_in(state::subscribing);
   auto const t0 = clock::now();
   EXPECT_EQ(fsm.on_health_tick(t0 + 1000ms, t0).what, kind::send_ping);
   EXPECT_EQ(fsm.on_health_tick(t0 + 2000ms, t0).what, kind::drop_link);
}

TEST(subscriber_fsm, health_tick_is_ignored_without_a_link_or_when_disabled) {
   auto const t0 = clock::now();
   for (auto s : {state::disconnected, state::connecting, state::backoff, state::stopped}) {
      auto fsm = fsm_in(s);
      EXPECT_EQ(fsm.on_health_tick(t0 + 1h, t0), subscriber_action{}) << to_string(s);
   }
   subscriber_fsm disabled(0ms, backoff(50ms, 2000ms, 1));
   disabled.on_start();
   disabled.on_connected(0);
   EXPECT_EQ(disabled.on_health_tick(t0 + 1h, t0), subscriber_action{});
}

TEST(subscriber_fsm, stop_from_every_state) {
   struct expectation {
      state from;
      kind action;
   };
   for (auto [from, action] : {expectation{state::disconnected, kind::none},
                               expectation{state::connecting, kind::drop_link},
                               expectation{state::subscribing, kind::drop_link},
                               expectation{state::subscribed, kind::drop_link},
                               expectation{state::backoff, kind::none}}) {
      auto fsm = fsm_in(from);
      ASSERT_EQ(fsm.state(), from);
      EXPECT_EQ(fsm.on_stop(), (subscriber_action{action, 0ms, true})) << to_string(from);
      EXPECT_EQ(fsm.state(), state::stopped);
   }
   auto stopped = fsm_in(state::stopped);
   EXPECT_EQ(stopped.on_stop(), subscriber_action{}) << "stopping twice reports nothing";
}

TEST(subscriber_fsm, nothing_restarts_a_stopped_machine) {
   auto fsm = fsm_in(state::stopped);
   auto const t0 = clock::now();
   EXPECT_EQ(fsm.on_start(), subscriber_action{});
   EXPECT_EQ(fsm.on_connected(1), subscriber_action{});
   EXPECT_EQ(fsm.on_connect_failed(), subscriber_action{});
   EXPECT_EQ(fsm.on_subscribe_confirmed(1), subscriber_action{});
   EXPECT_EQ(fsm.on_subscribe_failed(), subscriber_action{});
   EXPECT_EQ(fsm.on_link_lost(), subscriber_action{});
   EXPECT_EQ(fsm.on_backoff_elapsed(), subscriber_action{});
   EXPECT_EQ(fsm.on_health_tick(t0 + 1h, t0), subscriber_action{});
   EXPECT_EQ(fsm.state(), state::stopped);
}

TEST(subscriber_fsm, stale_events_are_ignored) {
   auto subscribed = fsm_in(state::subscribed);
   EXPECT_EQ(subscribed.on_connected(2), subscriber_action{});
   EXPECT_EQ(subscribed.on_connect_failed(), subscriber_action{});
   EXPECT_EQ(subscribed.on_backoff_elapsed(), subscriber_action{});
   EXPECT_EQ(subscribed.on_subscribe_confirmed(1), subscriber_action{});
   EXPECT_EQ(subscribed.state(), state::subscribed);

   auto waiting = fsm_in(state::backoff);
   EXPECT_EQ(waiting.on_link_lost(), subscriber_action{});
   EXPECT_EQ(waiting.on_subscribe_confirmed(1), subscriber_action{});
   EXPECT_EQ(waiting.state(), state::backoff);
}

TEST(subscriber_fsm, state_names) {
   EXPECT_EQ(to_string(state::disconnected), "disconnected");
   EXPECT_EQ(to_string(state::connecting), "connecting");
   EXPECT_EQ(to_string(state::subscribing), "subscribing");
   EXPECT_EQ(to_string(state::subscribed), "subscribed");
   EXPECT_EQ(to_string(state::backoff), "backoff");
   EXPECT_EQ(to_string(state::stopped), "stopped");
}

} // namespace
} // namespace notify::redis
