#pragma once

#include <string_view>

namespace notify::server {

/// Files compiled into the binary (see cmake/embed.cmake), so the gateway serves its status page
/// and browser client without any files next to it.
std::string_view status_page_html();
std::string_view notify_client_js();

} // namespace notify::server
