#include "notify/common/user_id.hpp"

namespace notify {

namespace {

bool is_continuation(unsigned char byte) {
   return (byte & 0xC0) == 0x80;
}

/// Length of the sequence that starts at text[at], or 0 when it is not valid UTF-8. The second
/// byte's range depends on the lead byte: that is where overlongs, surrogates and code points
/// above U+10FFFF are excluded (RFC 3629, section 4).
std::size_t sequence_length(std::string_view text, std::size_t at) {
   auto const byte = [&](std::size_t offset) {
      return static_cast<unsigned char>(text[at + offset]);
   };
   auto const lead = byte(0);
   if (lead < 0x80) {
      return 1;
   }
   std::size_t length = 0;
   unsigned char second_min = 0x80;
   unsigned char second_max = 0xBF;
   if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
   } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) {
         second_min = 0xA0; // below is an overlong 2-byte form
      } else if (lead == 0xED) {
         second_max = 0x9F; // above are the surrogates
      }
   } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) {
         second_min = 0x90; // below is an overlong 3-byte form
      } else if (lead == 0xF4) {
         second_max = 0x8F; // above is beyond U+10FFFF
      }
   } else {
      return 0; // a stray continuation byte, an overlong lead (C0, C1) or F5..FF
   }
   if (text.size() - at < length) {
      return 0;
   }
   if (byte(1) < second_min || byte(1) > second_max) {
      return 0;
   }
   for (std::size_t offset = 2; offset < length; ++offset) {
      if (!is_continuation(byte(offset))) {
         return 0;
      }
   }
   return length;
}

} // namespace

bool valid_utf8(std::string_view text) {
   for (std::size_t at = 0; at < text.size();) {
      auto const length = sequence_length(text, at);
      if (length == 0) {
         return false;
      }
      at += length;
   }
   return true;
}

bool valid_user_id(std::string_view id, std::size_t max_bytes) {
   if (id.empty() || id.size() > max_bytes) {
      return false;
   }
   for (char const c : id) {
      auto const byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte == 0x7F) {
         return false;
      }
   }
   return valid_utf8(id);
}

} // namespace notify
