#pragma once

#include <string_view>

namespace notify {

/// ASCII case-insensitive comparison, as HTTP header names and tokens need.
bool equals_ignoring_case(std::string_view a, std::string_view b);

/// Without leading and trailing spaces and tabs (HTTP optional whitespace).
std::string_view trim_whitespace(std::string_view text);

} // namespace notify
