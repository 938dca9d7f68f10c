#include "notify/ws/handshake.hpp"

#include <array>
#include <openssl/evp.h>
#include <openssl/sha.h>

namespace notify::ws {

namespace {

constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool is_base64_of_16_bytes(std::string_view key) {
   // 16 bytes encode to 22 characters plus "==".
   if (key.size() != 24 || key[22] != '=' || key[23] != '=') {
      return false;
   }
   for (std::size_t i = 0; i < 22; ++i) {
      char const c = key[i];
      bool const ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '+' || c == '/';
      if (!ok) {
         return false;
      }
   }
   return true;
}

} // namespace

std::optional<std::string> accept_key_for(std::string_view client_key) {
   if (!is_base64_of_16_bytes(client_key)) {
      return std::nullopt;
   }
   std::string input;
   input.reserve(client_key.size() + websocket_guid.size());
   input.append(client_key).append(websocket_guid);
   std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
   SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
   std::array<unsigned char, 32> encoded{};
   int const length = EVP_EncodeBlock(encoded.data(), digest.data(), SHA_DIGEST_LENGTH);
   return std::string(reinterpret_cast<const char*>(encoded.data()),
                      static_cast<std::size_t>(length));
}

} // namespace notify::ws
