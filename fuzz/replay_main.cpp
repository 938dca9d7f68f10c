// Runs a fuzz target over saved inputs without libFuzzer, so any compiler can replay the corpora
// as regression tests: `fuzz_replay_<target> <file or directory>...`. Fails when an argument is
// missing or no input was found, so a moved corpus cannot make the test pass vacuously.

#include "fuzz_support.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <vector>

namespace {

namespace fs = std::filesystem;

void replay_file(fs::path const& path) {
   std::ifstream file(path, std::ios::binary);
   std::vector<char> const content{std::istreambuf_iterator<char>(file), {}};
   // An exact-size heap copy, as libFuzzer passes it, so a read past the end can be noticed.
   auto const bytes = std::make_unique<std::uint8_t[]>(content.size());
   std::copy(content.begin(), content.end(), bytes.get());
   LLVMFuzzerTestOneInput(bytes.get(), content.size());
}

std::vector<fs::path> inputs_of(fs::path const& argument) {
   if (!fs::is_directory(argument)) {
      return {argument};
   }
   std::vector<fs::path> files;
   for (auto const& entry : fs::directory_iterator(argument)) {
      if (entry.is_regular_file()) {
         files.push_back(entry.path());
      }
   }
   std::sort(files.begin(), files.end()); // the same order on every machine
   return files;
}

} // namespace

int main(int argc, char** argv) {
   std::size_t replayed = 0;
   for (int i = 1; i < argc; ++i) {
      fs::path const argument(argv[i]);
      if (!fs::exists(argument)) {
         std::cerr << "replay: " << argument << " does not exist\n";
         return 1;
      }
      for (auto const& path : inputs_of(argument)) {
         std::cout << "replay: " << path.string() << std::endl; // names the culprit of a crash
         replay_file(path);
         ++replayed;
      }
   }
   if (replayed == 0) {
      std::cerr << "replay: no inputs (usage: " << argv[0] << " <file or directory>...)\n";
      return 1;
   }
   std::cout << "replay: " << replayed << " inputs, no failure\n";
   return 0;
}
