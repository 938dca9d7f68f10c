#include "notify/auth/base64url.hpp"

#include <array>
#include <cstdint>

namespace notify::auth {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t not_in_alphabet = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
   std::array<std::uint8_t, 256> table{};
   table.fill(not_in_alphabet);
   for (std::size_t value = 0; value < alphabet.size(); ++value) {
      table[static_cast<unsigned char>(alphabet[value])] = static_cast<std::uint8_t>(value);
   }
   return table;
}

constexpr auto decode_table = make_decode_table();

std::uint32_t sextet(char c) {
   return decode_table[static_cast<unsigned char>(c)];
}

} // namespace

bool in_base64url_alphabet(char c) {
   return sextet(c) != not_in_alphabet;
}

std::string base64url_encode(std::string_view bytes) {
   std::string text;
   text.reserve((bytes.size() * 4 + 2) / 3);
   auto const byte = [&](std::size_t at) {
      return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at]));
   };
   std::size_t at = 0;
   for (; at + 3 <= bytes.size(); at += 3) {
      auto const group = (byte(at) << 16) | (byte(at + 1) << 8) | byte(at + 2);
      text += alphabet[(group >> 18) & 0x3F];
      text += alphabet[(group >> 12) & 0x3F];
      text += alphabet[(group >> 6) & 0x3F];
      text += alphabet[group & 0x3F];
   }
   auto const rest = bytes.size() - at;
   if (rest == 1) {
      auto const group = (byte(at) << 16);
      text += alphabet[(group >> 18) & 0x3F];
      text += alphabet[(group >> 12) & 0x3F];
   } else if (rest == 2) {
      auto const group = (byte(at) << 16) | (byte(at + 1) << 8);
      text += alphabet[(group >> 18) & 0x3F];
      text += alphabet[(group >> 12) & 0x3F];
      text += alphabet[(group >> 6) & 0x3F];
   }
   return text;
}

std::optional<std::string> base64url_decode(std::string_view text) {
   auto const rest = text.size() % 4;
   if (rest == 1) {
      return std::nullopt; // 6 bits cannot make a byte
   }
   for (char const c : text) {
      if (sextet(c) == not_in_alphabet) {
         return std::nullopt;
      }
   }
   std::string bytes;
   bytes.reserve(text.size() / 4 * 3 + 2);
   std::size_t at = 0;
   for (; at + 4 <= text.size(); at += 4) {
      auto const group = (sextet(text[at]) << 18) | (sextet(text[at + 1]) << 12) |
                         (sextet(text[at + 2]) << 6) | sextet(text[at + 3]);
      bytes += static_cast<char>((group >> 16) & 0xFF);
      bytes += static_cast<char>((group >> 8) & 0xFF);
      bytes += static_cast<char>(group & 0xFF);
   }
   if (rest == 2) {
      auto const group = (sextet(text[at]) << 18) | (sextet(text[at + 1]) << 12);
      if ((group & 0xFFFF) != 0) {
         return std::nullopt; // unused low bits must be zero
      }
      bytes += static_cast<char>((group >> 16) & 0xFF);
   } else if (rest == 3) {
      auto const group =
          (sextet(text[at]) << 18) | (sextet(text[at + 1]) << 12) | (sextet(text[at + 2]) << 6);
      if ((group & 0xFF) != 0) {
         return std::nullopt;
      }
      bytes += static_cast<char>((group >> 16) & 0xFF);
      bytes += static_cast<char>((group >> 8) & 0xFF);
   }
   return bytes;
}

} // namespace notify::auth
