#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace notify::auth {

/// Base64url (RFC 4648, section 5) without padding, as JWTs use it.
std::string base64url_encode(std::string_view bytes);

/// Strict inverse of base64url_encode: nullopt on '=' padding, characters outside the base64url
/// alphabet, a length that leaves a single dangling character, or non-zero unused bits in the
/// last character. The last rule makes every byte string have exactly one encoding, so a token
/// cannot be altered without changing what it decodes to.
std::optional<std::string> base64url_decode(std::string_view text);

/// Whether `c` is one of the 64 characters of the base64url alphabet.
bool in_base64url_alphabet(char c);

} // namespace notify::auth
