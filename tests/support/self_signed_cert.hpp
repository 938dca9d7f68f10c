#pragma once

// A throwaway self-signed certificate for TLS tests, made at test time (nothing secret is kept
// in the repository): an EC P-256 key and a certificate for 127.0.0.1 / localhost, written as PEM
// files into a temporary directory that is removed with the object.

#include <filesystem>
#include <string>

namespace notify::test {

class self_signed_cert {
public:
   self_signed_cert();
   ~self_signed_cert();
   self_signed_cert(const self_signed_cert&) = delete;
   self_signed_cert& operator=(const self_signed_cert&) = delete;

   std::string cert_file() const { return (directory_ / "cert.pem").string(); }
   std::string key_file() const { return (directory_ / "key.pem").string(); }
   /// The certificate itself, for a client that trusts exactly this one.
   const std::string& cert_pem() const { return cert_pem_; }

private:
   std::filesystem::path directory_;
   std::string cert_pem_;
};

} // namespace notify::test
