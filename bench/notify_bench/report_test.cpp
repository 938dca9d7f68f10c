#include "report.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace notify::bench {
namespace {

bench_report message_report() {
   bench_report report;
   report.scenario = "broadcast";
   report.server_label = "gate\"way";
   report.connections = 10;
   report.users = 10;
   report.has_messages = true;
   report.expected = 100;
   report.received = 100;
   report.published = 10;
   report.completed = true;
   return report;
}

TEST(Report, JsonHasTheMeasuredFieldsOnly) {
   bench_report report = message_report();
   report.deliveries_per_s = 123456.78901;
   latency_histogram histogram;
   histogram.record(150'000);
   report.latency_ms = summarize(histogram);
   auto const json = nlohmann::json::parse(to_json_line(report));
   EXPECT_EQ(json["scenario"], "broadcast");
   EXPECT_EQ(json["server_label"], "gate\"way");
   EXPECT_EQ(json["lost"], 0);
   EXPECT_EQ(json["expected"], 100);
   EXPECT_DOUBLE_EQ(json["deliveries_per_s"].get<double>(), 123456.789);
   EXPECT_NEAR(json["latency_ms"]["p99"].get<double>(), 0.15, 0.001);
   EXPECT_FALSE(json.contains("rss_before_kib"));
   EXPECT_FALSE(json.contains("broadcast_ms"));
   EXPECT_FALSE(json.contains("steps"));
   EXPECT_EQ(to_json_line(report).find('\n'), std::string::npos);
}

TEST(Report, IdleJsonHasNoMessageCounts) {
   bench_report report;
   report.scenario = "idle";
   report.rss_per_connection_bytes = 812.5;
   auto const json = nlohmann::json::parse(to_json_line(report));
   EXPECT_FALSE(json.contains("expected"));
   EXPECT_FALSE(json.contains("lost"));
   EXPECT_EQ(json["rss_per_connection_bytes"], 812.5);
}

TEST(Report, StepsAndMaxClients) {
   bench_report report;
   report.scenario = "max-clients";
   report.steps = {{1000, 12.5}, {2000, 600}};
   report.max_clients = 1000;
   auto const json = nlohmann::json::parse(to_json_line(report));
   ASSERT_EQ(json["steps"].size(), 2u);
   EXPECT_EQ(json["steps"][1]["connections"], 2000);
   EXPECT_EQ(json["steps"][1]["p95_ms"], 600);
   EXPECT_EQ(json["max_clients"], 1000);
}

TEST(Report, ExitCodeNeedsACleanCompleteRun) {
   bench_report report = message_report();
   EXPECT_EQ(exit_code(report), 0);
   report.received = 99;
   EXPECT_EQ(exit_code(report), 1);
   report = message_report();
   report.duplicates = 1;
   EXPECT_EQ(exit_code(report), 1);
   report = message_report();
   report.misrouted = 1;
   EXPECT_EQ(exit_code(report), 1);
   report = message_report();
   report.completed = false;
   EXPECT_EQ(exit_code(report), 1);
}

TEST(Report, PercentileOfSmallSets) {
   EXPECT_EQ(percentile_of({}, 0.5), 0);
   EXPECT_EQ(percentile_of({5, 1, 3}, 0.5), 3);
   EXPECT_EQ(percentile_of({5, 1, 3}, 0.99), 5);
   EXPECT_EQ(percentile_of({5, 1, 3}, 0.0), 1);
}

TEST(Report, HumanSummaryNamesTheProblem) {
   bench_report report = message_report();
   report.completed = false;
   report.problem = "hard timeout";
   report.received = 90;
   std::string const text = human_summary(report);
   EXPECT_NE(text.find("NOT completed"), std::string::npos);
   EXPECT_NE(text.find("hard timeout"), std::string::npos);
   EXPECT_NE(text.find("lost 10"), std::string::npos);
}

} // namespace
} // namespace notify::bench
