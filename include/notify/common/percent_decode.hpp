#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace notify {

/// Decodes %XX escapes (and, for form-encoded query strings, '+' as a space). nullopt when a '%'
/// is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

} // namespace notify
