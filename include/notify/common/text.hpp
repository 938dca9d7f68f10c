#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace notify {

/// ASCII case-insensitive comparison, as HTTP header names and tokens need.
bool equals_ignoring_case(std::string_view a, std::string_view b);

/// Without leading and trailing spaces and tabs (HTTP optional whitespace).
std::string_view trim_whitespace(std::string_view text);

/// Letters, digits, '.', '-' and '_' only: a DNS name or an IPv4 address, nothing a log line or
/// a command could be smuggled in.
bool is_host_name(std::string_view host);

/// Hex digits, ':' and '.' with at least one ':' (brackets already taken off).
bool is_ipv6_literal(std::string_view host);

/// "host:port" or "[ipv6]:port" with a plausible host (is_host_name or is_ipv6_literal, at most
/// 253 bytes) and a port in 1..65535; nullopt otherwise.
std::optional<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text);

} // namespace notify
