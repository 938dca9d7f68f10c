#pragma once

#include "notify/server/gateway_context.hpp"

#include <string>

namespace notify::server {

/// The JSON of GET /stats: what the status page shows, in one object.
std::string render_stats(gateway_context& context);

} // namespace notify::server
