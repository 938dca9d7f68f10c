#include "notify/metrics/gateway_metrics.hpp"
#include "notify/metrics/prometheus.hpp"

#include <cstdint>
#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace notify::metrics {
namespace {

/// One sample line of the text format, split into its parts.
struct sample_line {
   std::string name;
   std::string label;       ///< empty when the sample has no label
   std::string label_value; ///< still escaped
   std::string value;
};

// Prometheus text format 0.0.4: metric and label names, an escaped label value (backslash,
// quote and newline are the only escapes), and a Go float (or NaN, +Inf, -Inf).
std::regex const
    sample_grammar(R"re(^([a-zA-Z_:][a-zA-Z0-9_:]*))re"
                   R"re((\{([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\\\|\\"|\\n|[^\\"])*)"\})?)re"
                   R"re( (NaN|[+-]Inf|[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)$)re");
std::regex const help_grammar(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$)");
std::regex const type_grammar(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");

std::vector<std::string> lines_of(const std::string& text) {
   std::vector<std::string> lines;
   std::istringstream in(text);
   for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
   }
   return lines;
}

std::optional<sample_line> parse_sample(const std::string& line) {
   std::smatch match;
   if (!std::regex_match(line, match, sample_grammar)) {
      return std::nullopt;
   }
   return sample_line{match[1], match[3], match[4], match[5]};
}

/// Checks the whole exposition: every line is HELP, TYPE or a valid sample, each family has HELP
/// then TYPE before its samples, and each sample belongs to the family announced last. Returns
/// "name" or "name{label=value}" → value.
std::map<std::string, std::string> parse_exposition(const std::string& text) {
   std::map<std::string, std::string> samples;
   EXPECT_FALSE(text.empty());
   EXPECT_EQ(text.back(), '\n') << "the last line ends with a newline";
   std::string current_family;
   bool histogram = false;
   std::string help_for;
   std::set<std::string> families;
   for (auto const& line : lines_of(text)) {
      std::smatch match;
      if (std::regex_match(line, match, help_grammar)) {
         help_for = match[1];
         EXPECT_FALSE(match[2].str().empty()) << "HELP text for " << help_for;
         continue;
      }
      if (std::regex_match(line, match, type_grammar)) {
         EXPECT_EQ(match[1].str(), help_for) << "TYPE follows the HELP of the same family";
         current_family = match[1];
         histogram = match[2] == "histogram";
         EXPECT_TRUE(families.insert(current_family).second) << "family twice: " << line;
         continue;
      }
      auto const sample = parse_sample(line);
      if (!sample) {
         ADD_FAILURE() << "line is not in the Prometheus text format: [" << line << "]";
         continue;
      }
      bool const histogram_part = histogram && (sample->name == current_family + "_bucket" ||
                                                sample->name == current_family + "_sum" ||
                                                sample->name == current_family + "_count");
      if (!histogram_part) {
         EXPECT_EQ(sample->name, current_family) << "sample outside its family: " << line;
      }
      auto key = sample->name;
      if (!sample->label.empty()) {
         key += "{" + sample->label + "=" + sample->label_value + "}";
      }
      EXPECT_TRUE(samples.emplace(key, sample->value).second) << "duplicate sample " << key;
   }
   return samples;
}

TEST(render_prometheus, every_line_follows_the_text_format) {
   gateway_metrics metrics;
   auto const samples = parse_exposition(render_prometheus(metrics));
   EXPECT_EQ(samples.size(), 13u /* unlabelled */ + 2u /* redis scopes */ + drop_reasons.size() +
                                 auth_failure_reasons.size() + connection_limit_reasons.size() +
                                 timeout_stages.size() + proxy_header_rejection_reasons.size() +
                                 history_gap_reasons.size() + latency_buckets_ms.size() +
                                 3u /* +Inf, _sum, _count */);
   for (auto const& [key, value] : samples) {
      EXPECT_EQ(value, "0") << key;
   }
}

TEST(render_prometheus, every_family_has_help_and_type) {
   gateway_metrics metrics;
   auto const text = render_prometheus(metrics);
   for (auto const* family :
        {"notify_connections", "notify_authenticated_connections", "notify_authenticated_users",
         "notify_connections_accepted_total", "notify_redis_messages_total",
         "notify_deliveries_total", "notify_dropped_messages_total", "notify_auth_failures_total",
         "notify_protocol_errors_total", "notify_slow_consumer_closes_total",
         "notify_refused_connections_total", "notify_redis_connected",
         "notify_redis_reconnects_total"}) {
      std::string const name(family);
      EXPECT_NE(text.find("# HELP " + name + " "), std::string::npos) << name;
      auto const type = name.ends_with("_total") ? "counter" : "gauge";
      EXPECT_NE(text.find("# TYPE " + name + " " + type + "\n"), std::string::npos) << name;
   }
}

TEST(render_prometheus, shows_current_values_without_exponent) {
   gateway_metrics metrics;
   metrics.shard(0).connections.set(1234567);
   metrics.shard(0).authenticated_connections.add(5);
   metrics.shard(0).authenticated_connections.add(-2);
   metrics.authenticated_users.set(-1);
   metrics.redis_messages_user.add(12345678901ull);
   metrics.redis_messages_global.add(7);
   metrics.shard(0).deliveries.add(1ull << 52);
   metrics.connections_accepted.add(100000000);
   metrics.shard(0).protocol_errors.add(3);
   metrics.redis_connected.set(1);
   metrics.redis_reconnects.add(2);
   auto const samples = parse_exposition(render_prometheus(metrics));
   EXPECT_EQ(samples.at("notify_connections"), "1234567");
   EXPECT_EQ(samples.at("notify_authenticated_connections"), "3");
   EXPECT_EQ(samples.at("notify_authenticated_users"), "-1");
   EXPECT_EQ(samples.at("notify_redis_messages_total{scope=user}"), "12345678901");
   EXPECT_EQ(samples.at("notify_redis_messages_total{scope=global}"), "7");
   EXPECT_EQ(samples.at("notify_deliveries_total"), "4503599627370496");
   EXPECT_EQ(samples.at("notify_connections_accepted_total"), "100000000");
   EXPECT_EQ(samples.at("notify_protocol_errors_total"), "3");
   EXPECT_EQ(samples.at("notify_redis_connected"), "1");
   EXPECT_EQ(samples.at("notify_redis_reconnects_total"), "2");
}

TEST(render_prometheus, lists_every_drop_and_auth_reason_with_its_value) {
   gateway_metrics metrics;
   for (std::size_t i = 0; i < drop_reasons.size(); ++i) {
      metrics.dropped_messages.add(drop_reasons[i], i + 1);
   }
   for (std::size_t i = 0; i < auth_failure_reasons.size(); ++i) {
      metrics.shard(0).auth_failures.add(auth_failure_reasons[i], 100 + i);
   }
   auto const samples = parse_exposition(render_prometheus(metrics));
   for (std::size_t i = 0; i < drop_reasons.size(); ++i) {
      auto const key = "notify_dropped_messages_total{reason=" + std::string(drop_reasons[i]) + "}";
      ASSERT_TRUE(samples.contains(key)) << key;
      EXPECT_EQ(samples.at(key), std::to_string(i + 1)) << key;
   }
   for (std::size_t i = 0; i < auth_failure_reasons.size(); ++i) {
      auto const key =
          "notify_auth_failures_total{reason=" + std::string(auth_failure_reasons[i]) + "}";
      ASSERT_TRUE(samples.contains(key)) << key;
      EXPECT_EQ(samples.at(key), std::to_string(100 + i)) << key;
   }
}

TEST(labelled_counter, counts_each_known_label) {
   labelled_counter<3> counters({"a", "b", "other"});
   counters.add("a");
   counters.add("b", 5);
   counters.add("a", 2);
   EXPECT_EQ(counters.value("a"), 3u);
   EXPECT_EQ(counters.value("b"), 5u);
   EXPECT_EQ(counters.value("other"), 0u);
   EXPECT_EQ(counters.value_at(0), 3u);
   EXPECT_EQ(counters.value_at(1), 5u);
}

TEST(labelled_counter, counts_unknown_labels_as_other) {
   gateway_metrics metrics;
   metrics.dropped_messages.add("no_such_reason");
   metrics.dropped_messages.add("");
   metrics.dropped_messages.add("TOO_LARGE");
   metrics.shard(0).auth_failures.add("made_up", 4);
   EXPECT_EQ(metrics.dropped_messages.value("other"), 3u);
   EXPECT_EQ(metrics.dropped_messages.value("too_large"), 0u);
   EXPECT_EQ(metrics.dropped_messages.value("no_such_reason"), 0u) << "never a label of its own";
   EXPECT_EQ(metrics.shard(0).auth_failures.value("other"), 4u);
   auto const samples = parse_exposition(render_prometheus(metrics));
   EXPECT_EQ(samples.at("notify_dropped_messages_total{reason=other}"), "3");
   EXPECT_EQ(samples.at("notify_auth_failures_total{reason=other}"), "4");
}

TEST(labelled_counter, every_reason_list_ends_with_other) {
   EXPECT_EQ(drop_reasons.back(), "other");
   EXPECT_EQ(auth_failure_reasons.back(), "other");
   EXPECT_EQ(std::set<std::string_view>(drop_reasons.begin(), drop_reasons.end()).size(),
             drop_reasons.size());
   EXPECT_EQ(
       std::set<std::string_view>(auth_failure_reasons.begin(), auth_failure_reasons.end()).size(),
       auth_failure_reasons.size());
}

TEST(counter, adds_from_many_threads) {
   counter total;
   std::vector<std::thread> threads;
   for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&total] {
         for (int i = 0; i < 10000; ++i) {
            total.add();
         }
      });
   }
   for (auto& thread : threads) {
      thread.join();
   }
   EXPECT_EQ(total.value(), 40000u);
}

TEST(escape_label_value, escapes_backslash_quote_and_newline) {
   EXPECT_EQ(escape_label_value("plain"), "plain");
   EXPECT_EQ(escape_label_value(R"(a\b)"), R"(a\\b)");
   EXPECT_EQ(escape_label_value(R"(say "hi")"), R"(say \"hi\")");
   EXPECT_EQ(escape_label_value("two\nlines"), R"(two\nlines)");
   EXPECT_EQ(escape_label_value("\\\"\n"), R"(\\\"\n)");
   EXPECT_EQ(escape_label_value(""), "");
   EXPECT_EQ(escape_label_value("Zo\xC3\xAB\t"), "Zo\xC3\xAB\t") << "other bytes pass through";
}

TEST(prometheus_writer, writes_escaped_labels_in_valid_lines) {
   prometheus_writer writer;
   writer.family("test_total", "A test.", "counter");
   writer.sample("test_total", "reason", "back\\slash \"quoted\"\nnext", 2);
   auto const text = writer.take();
   EXPECT_EQ(text, "# HELP test_total A test.\n# TYPE test_total counter\n"
                   "test_total{reason=\"back\\\\slash \\\"quoted\\\"\\nnext\"} 2\n");
   auto const samples = parse_exposition(text);
   EXPECT_EQ(samples.at(R"(test_total{reason=back\\slash \"quoted\"\nnext})"), "2");
}

TEST(prometheus_writer, escapes_help_text) {
   prometheus_writer writer;
   writer.family("x", "line one\nline two \\ end", "gauge");
   EXPECT_EQ(writer.take(), "# HELP x line one\\nline two \\\\ end\n# TYPE x gauge\n");
}

TEST(prometheus_writer, formats_numbers) {
   prometheus_writer writer;
   writer.family("v", "Values.", "gauge");
   writer.sample("v", "k", "zero", 0.0);
   writer.sample("v", "k", "negative", -42.0);
   writer.sample("v", "k", "big", 1e15);
   writer.sample("v", "k", "half", 0.5);
   writer.sample("v", "k", "huge", 1e20);
   writer.sample("v", "k", "nan", std::numeric_limits<double>::quiet_NaN());
   writer.sample("v", "k", "inf", std::numeric_limits<double>::infinity());
   writer.sample("v", "k", "minus_inf", -std::numeric_limits<double>::infinity());
   auto const samples = parse_exposition(writer.take());
   EXPECT_EQ(samples.at("v{k=zero}"), "0");
   EXPECT_EQ(samples.at("v{k=negative}"), "-42");
   EXPECT_EQ(samples.at("v{k=big}"), "1000000000000000");
   EXPECT_EQ(samples.at("v{k=half}"), "0.5");
   EXPECT_EQ(std::stod(samples.at("v{k=huge}")), 1e20);
   EXPECT_EQ(samples.at("v{k=nan}"), "NaN");
   EXPECT_EQ(samples.at("v{k=inf}"), "+Inf");
   EXPECT_EQ(samples.at("v{k=minus_inf}"), "-Inf");
}

TEST(prometheus_writer, writes_unlabelled_samples) {
   prometheus_writer writer;
   writer.family("a", "A.", "gauge");
   writer.sample("a", 1);
   EXPECT_EQ(writer.take(), "# HELP a A.\n# TYPE a gauge\na 1\n");
}

} // namespace
} // namespace notify::metrics

namespace notify::metrics {
namespace {

TEST(shard_metrics, blocks_sit_on_their_own_cache_lines) {
   static_assert(alignof(shard_metrics) >= 64);
   static_assert(sizeof(shard_metrics) % 64 == 0);
   gateway_metrics metrics(3);
   auto const first = reinterpret_cast<std::uintptr_t>(&metrics.shard(0));
   auto const second = reinterpret_cast<std::uintptr_t>(&metrics.shard(1));
   EXPECT_EQ(first % 64, 0u);
   EXPECT_GE(second - first, sizeof(shard_metrics));
   auto const global = reinterpret_cast<std::uintptr_t>(&metrics.redis_messages_user);
   auto const blocks_end = first + 3 * sizeof(shard_metrics);
   EXPECT_TRUE(global / 64 < first / 64 || global / 64 >= blocks_end / 64)
       << "a global counter shares a line with a shard block";
}

TEST(render_prometheus, sums_every_shards_block) {
   gateway_metrics metrics(3);
   EXPECT_EQ(metrics.shard_count(), 3u);
   // A connection opens and closes on one shard; gauges summed are exact.
   metrics.shard(0).connections.add(5);
   metrics.shard(1).connections.add(7);
   metrics.shard(1).connections.add(-2);
   metrics.shard(2).connections.add(1);
   metrics.shard(0).authenticated_connections.add(2);
   metrics.shard(2).authenticated_connections.add(3);
   metrics.shard(0).deliveries.add(10);
   metrics.shard(1).deliveries.add(20);
   metrics.shard(2).deliveries.add(30);
   metrics.shard(1).protocol_errors.add(4);
   metrics.shard(2).protocol_errors.add(1);
   metrics.shard(0).slow_consumers.add(1);
   metrics.shard(2).slow_consumers.add(2);
   metrics.shard(0).auth_failures.add("expired", 1);
   metrics.shard(1).auth_failures.add("expired", 2);
   metrics.shard(2).auth_failures.add("timeout", 9);
   metrics.shard(1).refused_connections.add("per_ip", 3);
   metrics.shard(2).refused_connections.add("per_ip", 4);
   metrics.shard(0).timeouts.add("idle", 6);
   metrics.shard(2).timeouts.add("idle", 1);
   metrics.shard(1).timeouts.add("header", 2);
   metrics.redis_messages_global.add(11);

   EXPECT_EQ(metrics.total(&shard_metrics::connections), 11);
   EXPECT_EQ(metrics.total(&shard_metrics::deliveries), 60u);
   EXPECT_EQ(metrics.total(&shard_metrics::auth_failures, "expired"), 3u);
   EXPECT_EQ(metrics.total(&shard_metrics::auth_failures, "no_such_label"), 0u);

   auto const samples = parse_exposition(render_prometheus(metrics));
   EXPECT_EQ(samples.at("notify_connections"), "11");
   EXPECT_EQ(samples.at("notify_authenticated_connections"), "5");
   EXPECT_EQ(samples.at("notify_deliveries_total"), "60");
   EXPECT_EQ(samples.at("notify_protocol_errors_total"), "5");
   EXPECT_EQ(samples.at("notify_slow_consumer_closes_total"), "3");
   EXPECT_EQ(samples.at("notify_auth_failures_total{reason=expired}"), "3");
   EXPECT_EQ(samples.at("notify_auth_failures_total{reason=timeout}"), "9");
   EXPECT_EQ(samples.at("notify_auth_failures_total{reason=bad_signature}"), "0");
   EXPECT_EQ(samples.at("notify_refused_connections_total{limit=per_ip}"), "7");
   EXPECT_EQ(samples.at("notify_timeouts_total{stage=idle}"), "7");
   EXPECT_EQ(samples.at("notify_timeouts_total{stage=header}"), "2");
   EXPECT_EQ(samples.at("notify_redis_messages_total{scope=global}"), "11");
}

TEST(render_prometheus, same_text_whatever_the_shard_count) {
   gateway_metrics one;
   gateway_metrics four(4);
   one.shard(0).deliveries.add(8);
   one.shard(0).timeouts.add("auth", 2);
   for (std::size_t i = 0; i < 4; ++i) {
      four.shard(i).deliveries.add(2);
   }
   four.shard(3).timeouts.add("auth", 2);
   EXPECT_EQ(render_prometheus(one), render_prometheus(four));
}

TEST(shard_metrics, shards_counting_at_once_lose_nothing) {
   gateway_metrics metrics(4);
   std::vector<std::thread> threads;
   for (std::size_t s = 0; s < 4; ++s) {
      threads.emplace_back([&metrics, s] {
         for (int i = 0; i < 10000; ++i) {
            metrics.shard(s).deliveries.add(1);
            metrics.shard(s).connections.add(1);
            metrics.shard(s).connections.add(-1);
         }
      });
   }
   for (auto& thread : threads) {
      thread.join();
   }
   auto const samples = parse_exposition(render_prometheus(metrics));
   EXPECT_EQ(samples.at("notify_deliveries_total"), "40000");
   EXPECT_EQ(samples.at("notify_connections"), "0");
}

} // namespace
} // namespace notify::metrics

namespace notify::metrics {
namespace {

TEST(latency_histogram, renders_cumulative_buckets_over_all_shards) {
   gateway_metrics metrics(2);
   metrics.shard(0).publish_to_socket.observe_ms(0.5);
   metrics.shard(0).publish_to_socket.observe_ms(3);
   metrics.shard(1).publish_to_socket.observe_ms(3);
   metrics.shard(1).publish_to_socket.observe_ms(60000);
   auto const text = render_prometheus(metrics);
   EXPECT_NE(text.find("notify_publish_to_socket_seconds_bucket{le=\"0.001\"} 1\n"), text.npos);
   EXPECT_NE(text.find("notify_publish_to_socket_seconds_bucket{le=\"0.002\"} 1\n"), text.npos);
   EXPECT_NE(text.find("notify_publish_to_socket_seconds_bucket{le=\"0.005\"} 3\n"), text.npos);
   EXPECT_NE(text.find("notify_publish_to_socket_seconds_bucket{le=\"10\"} 3\n"), text.npos);
   EXPECT_NE(text.find("notify_publish_to_socket_seconds_bucket{le=\"+Inf\"} 4\n"), text.npos);
   EXPECT_NE(text.find("notify_publish_to_socket_seconds_count 4\n"), text.npos);
   EXPECT_NE(text.find("notify_publish_to_socket_seconds_sum 60.0065"), text.npos) << text;
}

} // namespace
} // namespace notify::metrics
