// The PROXY protocol header is the first thing read from a connection, before TLS and HTTP.
// Input: the start of a connection. Checks: no crash, a complete header never claims bytes that
// did not arrive, and the answer does not depend on how the bytes were split or what follows.

#include "fuzz_support.hpp"
#include "notify/server/proxy_protocol.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
   using notify::server::parse_proxy_header;
   using status = notify::server::proxy_header::status;
   std::string_view const input(reinterpret_cast<const char*>(data), size);
   auto const whole = parse_proxy_header(input);
   if (whole.result != status::complete) {
      return 0;
   }
   FUZZ_CHECK(whole.length > 0 && whole.length <= input.size());
   FUZZ_CHECK(whole.length <= notify::server::max_proxy_header_length);
   // Any shorter prefix is still incomplete; the header alone gives the same answer.
   for (std::size_t i = 0; i < whole.length; i += 1 + i / 8) {
      FUZZ_CHECK(parse_proxy_header(input.substr(0, i)).result == status::need_more);
   }
   auto const exact = parse_proxy_header(input.substr(0, whole.length));
   FUZZ_CHECK(exact.result == status::complete && exact.length == whole.length);
   FUZZ_CHECK(exact.source == whole.source);
   return 0;
}
