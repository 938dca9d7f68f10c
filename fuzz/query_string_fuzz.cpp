// Request targets and header values come from any HTTP client. Input: a parameter name or
// header token on the first line, the target or header value after it.

#include "fuzz_support.hpp"
#include "notify/common/percent_decode.hpp"
#include "notify/server/http_util.hpp"

namespace {

using namespace notify;

bool is_blank(char c) {
   return c == ' ' || c == '\t';
}

bool is_inside(std::string_view part, std::string_view whole) {
   return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void check_percent_decode(std::string_view text, bool plus_is_space) {
   auto const decoded = percent_decode(text, plus_is_space);
   if (!decoded) {
      FUZZ_CHECK(text.find('%') != std::string_view::npos);
      return;
   }
   FUZZ_CHECK(decoded->size() <= text.size());
   if (text.find('%') == std::string_view::npos && !plus_is_space) {
      FUZZ_CHECK(*decoded == text);
   }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
   auto const [name, text] = fuzz::split_first_line(fuzz::as_text(data, size));

   auto const path = server::target_path(text);
   FUZZ_CHECK(text.starts_with(path) && path.find('?') == std::string_view::npos);

   for (auto const parameter : {name, std::string_view("token")}) {
      if (auto const value = server::query_parameter(text, parameter)) {
         FUZZ_CHECK(value->size() <= text.size());
      }
   }

   if (auto const token = server::bearer_token(text)) {
      FUZZ_CHECK(!token->empty() && is_inside(*token, text));
      FUZZ_CHECK(!is_blank(token->front()) && !is_blank(token->back()));
   }

   (void)server::header_lists_token(text, name);
   (void)server::header_lists_token(text, "upgrade");

   check_percent_decode(text, false);
   check_percent_decode(text, true);
   return 0;
}
