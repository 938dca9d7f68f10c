// Session records are read from Redis, where anyone with write access may have put anything.
// Whatever the bytes, the parser must not throw, and a user id it returns must be a valid one.

#include "fuzz_support.hpp"
#include "notify/auth/session_record.hpp"
#include "notify/common/user_id.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
   auto const record = notify::fuzz::as_text(data, size);
   // 256 is the default limit; 8 makes the length check reachable with short inputs.
   for (std::size_t const max_user_id_bytes : {std::size_t{256}, std::size_t{8}}) {
      if (auto const user_id =
              notify::auth::user_id_from_session_record(record, max_user_id_bytes)) {
         FUZZ_CHECK(notify::valid_user_id(*user_id, max_user_id_bytes));
      }
      auto const session = notify::auth::read_express_session(
          record, "userId", max_user_id_bytes, std::chrono::system_clock::time_point{});
      FUZZ_CHECK(session.user_id.has_value() ==
                 (session.problem == notify::auth::express_session::problem::none));
      if (session.user_id) {
         FUZZ_CHECK(notify::valid_user_id(*session.user_id, max_user_id_bytes));
      }
   }
   return 0;
}
