#pragma once

// Shared by the fuzz targets and the replay driver. A broken promise of a parser must stop the
// run with a stack trace (libFuzzer and the sanitizers report an abort as a crash), so targets
// check what the headers promise, not only that nothing crashes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size);

#define FUZZ_CHECK(condition)                                                                      \
   ((condition) ? void(0) : ::notify::fuzz::fail(#condition, __FILE__, __LINE__))

namespace notify::fuzz {

[[noreturn]] inline void fail(char const* condition, char const* file, int line) {
   std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", file, line, condition);
   std::abort();
}

inline std::string_view as_text(std::uint8_t const* data, std::size_t size) {
   return {reinterpret_cast<char const*>(data), size};
}

/// The text before the first '\n' and the text after it (everything and nothing without one):
/// how targets that take two strings get both from one input.
inline std::pair<std::string_view, std::string_view> split_first_line(std::string_view text) {
   auto const newline = text.find('\n');
   if (newline == std::string_view::npos) {
      return {text, {}};
   }
   return {text.substr(0, newline), text.substr(newline + 1)};
}

} // namespace notify::fuzz
