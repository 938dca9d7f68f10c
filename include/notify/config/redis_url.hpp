#pragma once

#include "notify/redis/settings.hpp"

#include <string_view>

namespace notify::config {

/// Applies redis://[user:pass@]host[:port][/db] to `into`. The user may be empty
/// (redis://:pass@host); user and password are percent-decoded; an IPv6 host goes in brackets
/// (redis://[::1]:6380). Only the parts present in the URL are changed. Throws config_error with
/// key "redis.url" on anything else (other schemes, query strings, bad ports, ...); the message
/// never repeats the URL, which may hold a password.
void apply_redis_url(std::string_view url, redis::settings& into);

} // namespace notify::config
