#include "notify/metrics/prometheus.hpp"

#include <cmath>
#include <cstdio>

namespace notify::metrics {

void prometheus_writer::family(std::string_view name, std::string_view help,
                               std::string_view type) {
   out_.append("# HELP ").append(name).append(" ");
   for (char c : help) {
      if (c == '\\') {
         out_.append("\\\\");
      } else if (c == '\n') {
         out_.append("\\n");
      } else {
         out_.push_back(c);
      }
   }
   out_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void prometheus_writer::sample(std::string_view name, double value) {
   out_.append(name).append(" ");
   append_value(value);
}

void prometheus_writer::sample(std::string_view name, std::string_view label,
                               std::string_view label_value, double value) {
   out_.append(name).append("{").append(label).append("=\"");
   out_.append(escape_label_value(label_value)).append("\"} ");
   append_value(value);
}

void prometheus_writer::append_value(double value) {
   if (std::isnan(value)) {
      out_.append("NaN\n");
      return;
   }
   if (std::isinf(value)) {
      out_.append(value > 0 ? "+Inf\n" : "-Inf\n");
      return;
   }
   char buffer[32];
   // Integral values (all of ours) print without exponent or fraction.
   if (value == std::floor(value) && std::fabs(value) < 9.0e15) {
      std::snprintf(buffer, sizeof buffer, "%.0f\n", value);
   } else {
      std::snprintf(buffer, sizeof buffer, "%.17g\n", value);
   }
   out_.append(buffer);
}

std::string escape_label_value(std::string_view value) {
   std::string escaped;
   escaped.reserve(value.size());
   for (char c : value) {
      switch (c) {
      case '\\':
         escaped.append("\\\\");
         break;
      case '"':
         escaped.append("\\\"");
         break;
      case '\n':
         escaped.append("\\n");
         break;
      default:
         escaped.push_back(c);
      }
   }
   return escaped;
}

} // namespace notify::metrics
