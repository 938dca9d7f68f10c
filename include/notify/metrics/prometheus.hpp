#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace notify::metrics {

/// Writes the Prometheus text exposition format (version 0.0.4), one family at a time.
class prometheus_writer {
public:
   /// Starts a family: its HELP and TYPE lines. `type` is "counter" or "gauge".
   void family(std::string_view name, std::string_view help, std::string_view type);
   void sample(std::string_view name, double value);
   void sample(std::string_view name, std::string_view label, std::string_view label_value,
               double value);

   std::string take() { return std::move(out_); }

private:
   void append_value(double value);
   std::string out_;
};

/// Escapes a label value (backslash, double quote, newline) as the format requires.
std::string escape_label_value(std::string_view value);

} // namespace notify::metrics
