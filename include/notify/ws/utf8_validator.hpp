#pragma once

#include <cstdint>
#include <string_view>

namespace notify::ws {

/// Checks UTF-8 a piece at a time (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF), so a text message split into fragments fails at the first bad byte and a code
/// point split across a fragment boundary is still accepted.
class utf8_validator {
public:
   /// False as soon as `bytes` cannot continue valid UTF-8; the validator stays failed.
   bool feed(std::string_view bytes);
   /// True when everything fed so far ends on a code point boundary.
   bool complete() const { return continuation_bytes_ == 0 && !failed_; }
   void reset() { *this = utf8_validator(); }

private:
   std::uint8_t continuation_bytes_ = 0; ///< still expected for the current code point
   std::uint8_t lowest_next_ = 0x80;     ///< range of the next continuation byte
   std::uint8_t highest_next_ = 0xBF;
   bool failed_ = false;
};

} // namespace notify::ws
