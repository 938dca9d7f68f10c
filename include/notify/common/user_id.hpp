#pragma once

#include <cstddef>
#include <string_view>

namespace notify {

/// True when text is well-formed UTF-8 in the strict sense of RFC 3629: no overlong forms, no
/// UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF and no truncated sequence.
bool valid_utf8(std::string_view text);

/// A user id is 1..max_bytes bytes of valid UTF-8 with no control characters (< 0x20, 0x7f).
/// ':' and any other printable character are allowed, so ids like "org:7:user:42" work; the
/// channel parser finds the id between a fixed prefix and suffix, never by splitting on ':'.
bool valid_user_id(std::string_view id, std::size_t max_bytes);

} // namespace notify
