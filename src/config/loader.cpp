#include "notify/config/loader.hpp"

#include <algorithm>

namespace notify::config {

void settings_loader::apply_assignments(std::vector<assignment> const& values) {
   // The URL sets several redis fields; the same source's own redis keys refine it.
   std::vector<assignment const*> ordered;
   ordered.reserve(values.size());
   for (auto const& value : values) {
      ordered.push_back(&value);
   }
   std::stable_partition(ordered.begin(), ordered.end(),
                         [](assignment const* value) { return value->key == "redis.url"; });
   for (auto const* value : ordered) {
      apply_string_value(value->key, value->value, value->origin);
   }
}

settings settings_loader::finish() const {
   validate(settings_, origins_);
   return settings_;
}

} // namespace notify::config
