#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

namespace notify::bench {

namespace {

constexpr double ns_per_ms = 1e6;

double rounded(double value) {
   return std::round(value * 10000.0) / 10000.0;
}

double to_ms(std::uint64_t ns) {
   return static_cast<double>(ns) / ns_per_ms;
}

template <typename T>
void put_optional(nlohmann::ordered_json& json, const char* key, const std::optional<T>& value) {
   if (value) {
      if constexpr (std::is_floating_point_v<T>) {
         json[key] = rounded(*value);
      } else {
         json[key] = *value;
      }
   }
}

std::string fixed(double value, int decimals) {
   std::ostringstream out;
   out.setf(std::ios::fixed);
   out.precision(decimals);
   out << value;
   return out.str();
}

} // namespace

latency_summary_ms summarize(const latency_histogram& histogram) {
   return {to_ms(histogram.percentile_ns(0.50)),  to_ms(histogram.percentile_ns(0.90)),
           to_ms(histogram.percentile_ns(0.95)),  to_ms(histogram.percentile_ns(0.99)),
           to_ms(histogram.percentile_ns(0.999)), to_ms(histogram.max_ns())};
}

double percentile_of(std::vector<double> values, double q) {
   if (values.empty()) {
      return 0;
   }
   std::sort(values.begin(), values.end());
   auto rank = static_cast<std::size_t>(
       std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size())));
   rank = std::clamp<std::size_t>(rank, 1, values.size());
   return values[rank - 1];
}

std::string to_json_line(const bench_report& report) {
   nlohmann::ordered_json json;
   json["scenario"] = report.scenario;
   json["server_label"] = report.server_label;
   json["connections"] = report.connections;
   json["users"] = report.users;
   put_optional(json, "connect_seconds", report.connect_seconds);
   put_optional(json, "connects_per_s", report.connects_per_s);
   json["auth_failures"] = report.auth_failures;
   put_optional(json, "rss_before_kib", report.rss_before_kib);
   put_optional(json, "rss_after_kib", report.rss_after_kib);
   put_optional(json, "rss_per_connection_bytes", report.rss_per_connection_bytes);
   if (report.has_messages) {
      json["expected"] = report.expected;
      json["received"] = report.received;
      json["lost"] = report.lost();
      json["duplicates"] = report.duplicates;
      json["misrouted"] = report.misrouted;
      json["published"] = report.published;
   }
   put_optional(json, "duration_s", report.duration_s);
   put_optional(json, "deliveries_per_s", report.deliveries_per_s);
   put_optional(json, "server_cpu_percent", report.server_cpu_percent);
   put_optional(json, "deliveries_per_server_cpu_s", report.deliveries_per_server_cpu_s);
   put_optional(json, "client_cpu_percent", report.client_cpu_percent);
   if (report.latency_ms) {
      auto const& l = *report.latency_ms;
      json["latency_ms"] = {{"p50", rounded(l.p50)},   {"p90", rounded(l.p90)},
                            {"p95", rounded(l.p95)},   {"p99", rounded(l.p99)},
                            {"p999", rounded(l.p999)}, {"max", rounded(l.max)}};
   }
   if (report.broadcast_ms) {
      auto const& b = *report.broadcast_ms;
      json["broadcast_ms"] = {
          {"p50", rounded(b.p50)}, {"p99", rounded(b.p99)}, {"max", rounded(b.max)}};
   }
   put_optional(json, "max_clients", report.max_clients);
   if (!report.steps.empty()) {
      auto steps = nlohmann::ordered_json::array();
      for (auto const& step : report.steps) {
         steps.push_back({{"connections", step.connections}, {"p95_ms", rounded(step.p95_ms)}});
      }
      json["steps"] = std::move(steps);
   }
   json["completed"] = report.completed;
   return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string human_summary(const bench_report& report) {
   std::ostringstream out;
   out << "notify-bench " << report.scenario;
   if (!report.server_label.empty()) {
      out << " [" << report.server_label << "]";
   }
   out << ": " << (report.completed ? "completed" : "NOT completed");
   if (!report.problem.empty()) {
      out << " (" << report.problem << ")";
   }
   out << "\n  connections " << report.connections << " (users " << report.users << ")";
   if (report.connects_per_s) {
      out << ", connected in " << fixed(*report.connect_seconds, 2) << " s ("
          << fixed(*report.connects_per_s, 0) << "/s)";
   }
   out << ", auth failures " << report.auth_failures;
   if (!report.failures_by_reason.empty()) {
      out << " [" << report.failures_by_reason << "]";
   }
   if (report.disconnects != 0) {
      out << ", disconnects " << report.disconnects;
   }
   out << "\n";
   if (report.rss_before_kib && report.rss_after_kib) {
      out << "  server RSS " << *report.rss_before_kib << " -> " << *report.rss_after_kib << " KiB";
      if (report.rss_per_connection_bytes) {
         out << " = " << fixed(*report.rss_per_connection_bytes, 0) << " bytes per connection";
      }
      out << "\n";
   }
   if (report.has_messages) {
      out << "  published " << report.published << ", expected " << report.expected << ", received "
          << report.received << ", lost " << report.lost() << ", duplicates " << report.duplicates
          << ", misrouted " << report.misrouted;
      if (report.late != 0) {
         out << ", late " << report.late;
      }
      if (report.other_messages != 0) {
         out << ", other messages " << report.other_messages;
      }
      if (report.publish_errors != 0 || report.publish_unheard != 0) {
         out << ", publish errors " << report.publish_errors << ", unheard "
             << report.publish_unheard;
      }
      out << "\n";
   }
   if (report.deliveries_per_s) {
      out << "  " << fixed(*report.deliveries_per_s, 0) << " deliveries/s over "
          << fixed(report.duration_s.value_or(0), 2) << " s";
      if (report.server_cpu_percent) {
         out << ", server CPU " << fixed(*report.server_cpu_percent, 1) << " %";
      }
      if (report.deliveries_per_server_cpu_s) {
         out << ", " << fixed(*report.deliveries_per_server_cpu_s, 0)
             << " deliveries per server CPU-s";
      }
      if (report.client_cpu_percent) {
         out << ", client CPU " << fixed(*report.client_cpu_percent, 1) << " %";
      }
      out << "\n";
   }
   if (report.latency_ms) {
      auto const& l = *report.latency_ms;
      out << "  latency ms: p50 " << fixed(l.p50, 3) << ", p90 " << fixed(l.p90, 3) << ", p95 "
          << fixed(l.p95, 3) << ", p99 " << fixed(l.p99, 3) << ", p99.9 " << fixed(l.p999, 3)
          << ", max " << fixed(l.max, 3) << "\n";
   }
   if (report.broadcast_ms) {
      auto const& b = *report.broadcast_ms;
      out << "  broadcast to all, ms: p50 " << fixed(b.p50, 2) << ", p99 " << fixed(b.p99, 2)
          << ", max " << fixed(b.max, 2) << "\n";
   }
   for (auto const& step : report.steps) {
      out << "  step " << step.connections << " connections: p95 " << fixed(step.p95_ms, 2)
          << " ms\n";
   }
   if (report.max_clients) {
      out << "  max clients within the bound: " << *report.max_clients << "\n";
   }
   return out.str();
}

int exit_code(const bench_report& report) {
   bool const clean = !report.has_messages ||
                      (report.lost() == 0 && report.duplicates == 0 && report.misrouted == 0);
   return report.completed && clean ? 0 : 1;
}

} // namespace notify::bench
