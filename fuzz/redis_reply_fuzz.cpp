// Bytes from Redis (or from whatever answers on its port) through reply_reader, the RESP parser
// every redis::connection reads with. The same bytes fed at once and one at a time, as a socket
// may deliver them, must give the same replies and the same verdict.

#include "fuzz_support.hpp"
#include "notify/redis/reply.hpp"

#include <vector>

namespace {

using notify::redis::reply;
using notify::redis::reply_reader;

// Small limits reach the budget checks; max_bytes stays above libFuzzer's input sizes, so that
// feeding everything at once never trips the unparsed-bytes limit when byte by byte would not.
constexpr notify::redis::reply_limits limits{.max_bytes = 1 << 16, .max_elements = 1 << 10};

bool same(reply const& a, reply const& b) {
   if (a.type != b.type || a.str != b.str || a.integer != b.integer ||
       a.elements.size() != b.elements.size()) {
      return false;
   }
   for (std::size_t i = 0; i < a.elements.size(); ++i) {
      if (!same(a.elements[i], b.elements[i])) {
         return false;
      }
   }
   return true;
}

void drain(reply_reader& reader, std::vector<reply>& into) {
   while (auto next = reader.next()) {
      into.push_back(std::move(*next));
   }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
   if (size > limits.max_bytes) {
      return 0;
   }
   auto const* bytes = reinterpret_cast<char const*>(data);

   reply_reader at_once(limits);
   std::vector<reply> whole;
   at_once.feed(bytes, size);
   drain(at_once, whole);

   reply_reader trickle(limits);
   std::vector<reply> pieces;
   for (std::size_t i = 0; i < size && !trickle.failed(); ++i) {
      trickle.feed(bytes + i, 1);
      drain(trickle, pieces);
   }

   FUZZ_CHECK(at_once.failed() == trickle.failed());
   FUZZ_CHECK(at_once.failed() == !at_once.error().empty());
   FUZZ_CHECK(whole.size() == pieces.size());
   for (std::size_t i = 0; i < whole.size(); ++i) {
      FUZZ_CHECK(same(whole[i], pieces[i]));
   }
   return 0;
}
