#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReader; // hiredis/read.h; kept out of our headers

namespace notify::redis {

/// An owned Redis (RESP2) reply. Strings are copied once out of the reader's buffer, then moved.
struct reply {
   enum class kind { string, status, error, integer, nil, array };

   kind type = kind::nil;
   std::string str;       ///< string, status and error text
   long long integer = 0; ///< integer replies
   std::vector<reply> elements;

   bool is_error() const { return type == kind::error; }
   bool is_array() const { return type == kind::array; }
};

/// Bounds on what one reply may cost, so a hostile or broken server cannot make us allocate
/// without limit. Redis itself caps bulk strings at 512 MB; we need far less.
struct reply_limits {
   std::size_t max_bytes = std::size_t{64} << 20;   ///< unparsed bytes, and string bytes per reply
   std::size_t max_elements = std::size_t{1} << 20; ///< array elements per reply, all levels
};

/// hiredis's RESP parser (redisReader) building `reply` trees directly, within `reply_limits`.
/// Any violation is a protocol error: the stream cannot be trusted afterwards.
class reply_reader {
public:
   explicit reply_reader(reply_limits limits = {});
   ~reply_reader();
   reply_reader(reply_reader const&) = delete;
   reply_reader& operator=(reply_reader const&) = delete;

   /// Appends bytes from the socket. False (and failed()) on a protocol error or when more than
   /// max_bytes would sit unparsed.
   bool feed(char const* data, std::size_t size);

   /// The next complete reply; nullopt when more bytes are needed or the stream failed.
   std::optional<reply> next();

   bool failed() const { return !error_.empty(); }
   /// What went wrong, for the log; empty while all is well.
   std::string_view error() const { return error_; }

   struct budget {
      reply_limits limits;
      std::size_t bytes = 0;    ///< string bytes in the reply being built
      std::size_t elements = 0; ///< array elements in the reply being built
      bool exceeded = false;
   };

private:
   void fail(std::string message);

   budget budget_;
   ::redisReader* reader_ = nullptr;
   std::string error_;
};

} // namespace notify::redis
