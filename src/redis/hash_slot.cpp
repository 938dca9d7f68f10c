#include "notify/redis/hash_slot.hpp"

namespace notify::redis {

namespace {

std::uint16_t crc16_xmodem(std::string_view bytes) {
   std::uint16_t crc = 0;
   for (char const c : bytes) {
      crc ^= static_cast<std::uint16_t>(static_cast<std::uint8_t>(c) << 8);
      for (int bit = 0; bit < 8; ++bit) {
         crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                                   : static_cast<std::uint16_t>(crc << 1);
      }
   }
   return crc;
}

} // namespace

std::uint16_t hash_slot(std::string_view key) {
   if (auto const open = key.find('{'); open != std::string_view::npos) {
      auto const close = key.find('}', open + 1);
      if (close != std::string_view::npos && close > open + 1) {
         key = key.substr(open + 1, close - open - 1);
      }
   }
   return crc16_xmodem(key) % cluster_slots;
}

} // namespace notify::redis
