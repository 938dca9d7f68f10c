#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace notify::server {

/// The path of a request target, without its query.
std::string_view target_path(std::string_view target);

/// The first value of `name` in the target's query string, percent-decoded ('+' is a space).
/// nullopt when absent or badly encoded.
std::optional<std::string> query_parameter(std::string_view target, std::string_view name);

/// The token of an "Authorization: Bearer <token>" header value.
std::optional<std::string_view> bearer_token(std::string_view authorization);

/// True when a comma-separated header value lists `token` (case-insensitive), e.g.
/// Connection: keep-alive, Upgrade.
bool header_lists_token(std::string_view value, std::string_view token);

} // namespace notify::server
