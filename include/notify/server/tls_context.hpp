#pragma once

#include "notify/config/settings.hpp"

#include <boost/asio/ssl/context.hpp>
#include <memory>

namespace notify::server {

/// The TLS server context for server.tls.cert_file / key_file, or null when TLS is off.
/// Throws config::config_error naming the setting when a file cannot be used.
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const config::server_settings& server);

} // namespace notify::server
