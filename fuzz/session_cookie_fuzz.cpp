// Cookie headers come from any browser or script. Whatever the bytes, finding and verifying the
// session cookie must not crash or throw, and a session id it returns must be safe in a Redis key.

#include "fuzz_support.hpp"
#include "notify/auth/session_cookie.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
   auto const header = notify::fuzz::as_text(data, size);
   auto const found = notify::auth::find_cookie(header, "connect.sid");
   FUZZ_CHECK(found.value.size() <= header.size());
   // The corpus' cookies are signed with this secret, so the fuzzer starts from valid ones.
   static notify::auth::session_cookie_verifier const verifier({"wrong secret", "keyboard cat"});
   for (auto const value : {found.value, header}) {
      auto const result = verifier.verify(value);
      if (result.session_id) {
         auto const& sid = *result.session_id;
         FUZZ_CHECK(!sid.empty());
         FUZZ_CHECK(sid.size() <= notify::auth::session_cookie_verifier::max_session_id_bytes);
         for (char const c : sid) {
            FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 &&
                       static_cast<unsigned char>(c) < 0x7f);
         }
      }
   }
   return 0;
}
