#include "notify/server/tls_context.hpp"

#include "notify/config/loader.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace notify::server {

namespace {

namespace ssl = boost::asio::ssl;

std::string openssl_reason(const boost::system::system_error& error) {
   // Asio's message for an OpenSSL failure is its reason string ("no such file", "key values
   // mismatch"), which is what an operator needs.
   return error.code().message();
}

} // namespace

std::unique_ptr<ssl::context> make_tls_context(const config::server_settings& server) {
   if (server.tls_cert_file.empty()) {
      return nullptr;
   }
   auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
   context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::single_dh_use);
   auto* native = context->native_handle();
   SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
   // Idle connections give their record buffers back: most connections are idle most of the time.
   SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
   try {
      context->use_certificate_chain_file(server.tls_cert_file);
   } catch (const boost::system::system_error& error) {
      throw config::config_error("server.tls.cert_file", "cannot load the certificate chain " +
                                                             server.tls_cert_file + ": " +
                                                             openssl_reason(error));
   }
   try {
      context->use_private_key_file(server.tls_key_file, ssl::context::pem);
   } catch (const boost::system::system_error& error) {
      throw config::config_error("server.tls.key_file", "cannot load the private key " +
                                                            server.tls_key_file + ": " +
                                                            openssl_reason(error));
   }
   if (SSL_CTX_check_private_key(native) != 1) {
      ERR_clear_error();
      throw config::config_error("server.tls.key_file",
                                 "the private key does not match the certificate in " +
                                     server.tls_cert_file);
   }
   return context;
}

} // namespace notify::server
