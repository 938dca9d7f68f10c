// A client that stops reading is closed with 4004 and freed; everyone else keeps receiving.

#include "gateway_fixture.hpp"

#include <fstream>

namespace notify::test {
namespace {

using namespace std::chrono_literals;

/// Resident memory of a process, in KiB (0 when unreadable).
[[maybe_unused]] long resident_kib(pid_t pid) { // unused under ASan
   std::ifstream status("/proc/" + std::to_string(pid) + "/status");
   std::string line;
   while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) {
         return std::stol(line.substr(6));
      }
   }
   return 0;
}

class slow_consumer_test : public gateway_test {
protected:
   /// 3 reading clients and 1 that never reads; 3,000 global messages of 8 KiB, far more than the
   /// stuck client's socket buffers. Expects the readers to get all of them in order and the
   /// stuck client to be closed as a slow consumer, with memory staying small.
   void expect_stuck_client_closed(std::vector<std::string> gateway_args) {
      start_gateway(std::move(gateway_args));
      std::vector<std::unique_ptr<ws_client>> readers;
      for (int i = 0; i < 3; ++i) {
         readers.push_back(connect_as("reader-" + std::to_string(i)));
      }
      silent_client stuck(port(), "/ws?token=" + token_for("stuck"));
      ASSERT_TRUE(stuck.upgraded());
      ASSERT_TRUE(eventually([&] { return metric_value(port(), "notify_connections") == 4; }));

      constexpr int rounds = 60;
      constexpr int per_round = 50;
      std::string const padding(std::size_t{8} * 1024, 'x');
      int sequence = 0;
      for (int round = 0; round < rounds; ++round) {
         for (int i = 0; i < per_round; ++i) {
            publish("global_notifications",
                    R"({"seq":)" + std::to_string(sequence + i) + R"(,"pad":")" + padding + "\"}");
         }
         for (auto& reader : readers) {
            for (int i = 0; i < per_round; ++i) {
               auto const message = reader->read_message();
               ASSERT_TRUE(message.has_value()) << "reader lost message " << sequence + i;
               ASSERT_EQ(message->substr(0, message->find(',')),
                         R"({"seq":)" + std::to_string(sequence + i));
            }
         }
         sequence += per_round;
      }
      EXPECT_EQ(metric_value(port(), "notify_slow_consumer_closes_total"), 1);
      EXPECT_TRUE(eventually([&] { return metric_value(port(), "notify_connections") == 3; }));
      for (auto& reader : readers) {
         EXPECT_TRUE(reader->is_open());
      }
      // Messages are shared, and the stuck client's queue was freed: memory stays small.
      // (Not under ASan, which holds freed memory in quarantine on purpose.)
#if !defined(__SANITIZE_ADDRESS__)
      EXPECT_LT(resident_kib(gateway_->pid()), 64 * 1024);
#endif
   }
};

TEST_F(slow_consumer_test, a_stuck_client_over_the_byte_limit_is_closed) {
   expect_stuck_client_closed({"--threads", "2", "--set", "limits.max_queued_bytes=262144"});
}

TEST_F(slow_consumer_test, a_stuck_client_over_the_message_limit_is_closed) {
   expect_stuck_client_closed(
       {"--set", "limits.max_queued_bytes=1073741824", "--set", "limits.max_queued_messages=50"});
}

TEST_F(slow_consumer_test, a_reading_client_under_the_message_limit_is_not_closed) {
   start_gateway({"--set", "limits.max_queued_messages=5"});
   auto reader = connect_as("1");
   silent_client stuck(port(), "/ws?token=" + token_for("2"));
   ASSERT_TRUE(stuck.upgraded());
   // A burst may reach a connection in one batch, before any write: 4 queued messages are
   // within a limit of 5, so a client that reads must not be taken for a slow one.
   for (int i = 0; i < 4; ++i) {
      publish("user:1:notifications", R"({"n":)" + std::to_string(i) + "}");
   }
   for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(reader->read_message(), R"({"n":)" + std::to_string(i) + "}");
   }
   EXPECT_EQ(metric_value(port(), "notify_slow_consumer_closes_total"), 0);
   EXPECT_TRUE(reader->is_open());
}

} // namespace
} // namespace notify::test
