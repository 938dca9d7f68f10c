#include "support/self_signed_cert.hpp"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdexcept>

namespace notify::test {

namespace {

template <class T, void (*Free)(T*)> struct deleter {
   void operator()(T* p) const { Free(p); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using cert_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;

void check(bool ok, const char* what) {
   if (!ok) {
      throw std::runtime_error(std::string("self_signed_cert: ") + what + " failed");
   }
}

std::string pem_of(const std::function<int(BIO*)>& write) {
   bio_ptr bio(BIO_new(BIO_s_mem()));
   check(bio && write(bio.get()) == 1, "PEM write");
   char* data = nullptr;
   auto const size = BIO_get_mem_data(bio.get(), &data);
   return std::string(data, static_cast<std::size_t>(size));
}

void add_extension(X509* cert, int nid, const char* value) {
   X509V3_CTX context;
   X509V3_set_ctx_nodb(&context);
   X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
   X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
   check(extension != nullptr, "X509V3_EXT_conf_nid");
   X509_add_ext(cert, extension, -1);
   X509_EXTENSION_free(extension);
}

void write_file(const std::filesystem::path& path, const std::string& text) {
   std::ofstream out(path, std::ios::binary);
   out << text;
   check(static_cast<bool>(out), "writing a PEM file");
}

} // namespace

self_signed_cert::self_signed_cert() {
   char pattern[] = "/tmp/notify-tls-XXXXXX";
   check(::mkdtemp(pattern) != nullptr, "mkdtemp");
   directory_ = pattern;

   key_ptr key(EVP_EC_gen("P-256"));
   check(key != nullptr, "EVP_EC_gen");
   cert_ptr cert(X509_new());
   check(cert != nullptr, "X509_new");
   X509_set_version(cert.get(), 2);
   ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
   X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
   X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 60 * 60);
   X509_set_pubkey(cert.get(), key.get());
   auto* name = X509_get_subject_name(cert.get());
   X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                              reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
   X509_set_issuer_name(cert.get(), name);
   add_extension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
   add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
   check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

   cert_pem_ = pem_of([&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); });
   auto const key_pem = pem_of([&](BIO* bio) {
      return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
   });
   write_file(directory_ / "cert.pem", cert_pem_);
   write_file(directory_ / "key.pem", key_pem);
}

self_signed_cert::~self_signed_cert() {
   std::error_code ignored;
   std::filesystem::remove_all(directory_, ignored);
}

} // namespace notify::test
