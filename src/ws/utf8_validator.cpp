#include "notify/ws/utf8_validator.hpp"

#include <cstring>

namespace notify::ws {

namespace {

constexpr std::uint64_t high_bits = 0x8080808080808080ULL;

} // namespace

bool utf8_validator::feed(std::string_view bytes) {
   if (failed_) {
      return false;
   }
   std::size_t at = 0;
   while (at < bytes.size()) {
      if (continuation_bytes_ == 0) {
         // JSON control messages are mostly ASCII: skip it eight bytes at a time.
         while (at + 8 <= bytes.size()) {
            std::uint64_t word = 0;
            std::memcpy(&word, bytes.data() + at, 8);
            if ((word & high_bits) != 0) {
               break;
            }
            at += 8;
         }
         if (at == bytes.size()) {
            break;
         }
      }
      auto const byte = static_cast<std::uint8_t>(bytes[at++]);
      if (continuation_bytes_ > 0) {
         if (byte < lowest_next_ || byte > highest_next_) {
            failed_ = true;
            return false;
         }
         lowest_next_ = 0x80;
         highest_next_ = 0xBF;
         --continuation_bytes_;
         continue;
      }
      if (byte < 0x80) {
         continue;
      }
      if (byte >= 0xC2 && byte <= 0xDF) {
         continuation_bytes_ = 1;
      } else if (byte >= 0xE0 && byte <= 0xEF) {
         continuation_bytes_ = 2;
         if (byte == 0xE0) {
            lowest_next_ = 0xA0; // below is an overlong form
         } else if (byte == 0xED) {
            highest_next_ = 0x9F; // above are the surrogates U+D800..U+DFFF
         }
      } else if (byte >= 0xF0 && byte <= 0xF4) {
         continuation_bytes_ = 3;
         if (byte == 0xF0) {
            lowest_next_ = 0x90; // below is an overlong form
         } else if (byte == 0xF4) {
            highest_next_ = 0x8F; // above is past U+10FFFF
         }
      } else {
         failed_ = true; // a stray continuation byte, C0/C1 (overlong) or F5..FF
         return false;
      }
   }
   return true;
}

} // namespace notify::ws
