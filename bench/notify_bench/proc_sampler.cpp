#include "proc_sampler.hpp"

#include <charconv>
#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace notify::bench {

namespace {

/// Reads a small /proc file whole; nullopt on any error.
std::optional<std::string> read_proc_file(const std::string& path) {
   int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
   if (fd < 0) {
      return std::nullopt;
   }
   std::string text;
   char buffer[4096];
   ssize_t got = 0;
   while ((got = ::read(fd, buffer, sizeof buffer)) > 0) {
      text.append(buffer, static_cast<std::size_t>(got));
   }
   ::close(fd);
   if (got < 0) {
      return std::nullopt;
   }
   return text;
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
   std::uint64_t value = 0;
   auto const [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
   if (error != std::errc() || end == text.data()) {
      return std::nullopt;
   }
   return value;
}

std::string_view skip_spaces(std::string_view text) {
   while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
      text.remove_prefix(1);
   }
   return text;
}

} // namespace

std::optional<std::uint64_t> parse_vm_rss_kib(std::string_view status_text) {
   constexpr std::string_view key = "VmRSS:";
   std::size_t at = 0;
   while ((at = status_text.find(key, at)) != std::string_view::npos) {
      if (at == 0 || status_text[at - 1] == '\n') {
         std::string_view rest = skip_spaces(status_text.substr(at + key.size()));
         auto const value = parse_number(rest);
         if (!value) {
            return std::nullopt;
         }
         auto const digits_end = rest.find_first_not_of("0123456789");
         if (digits_end == std::string_view::npos ||
             !skip_spaces(rest.substr(digits_end)).starts_with("kB")) {
            return std::nullopt;
         }
         return value;
      }
      at += key.size();
   }
   return std::nullopt;
}

std::optional<std::uint64_t> parse_cpu_ticks(std::string_view stat_text) {
   // After "pid (comm)" come: state(3) ppid(4) ... utime(14) stime(15), counted from 1.
   auto const paren = stat_text.rfind(')');
   if (paren == std::string_view::npos) {
      return std::nullopt;
   }
   std::string_view rest = stat_text.substr(paren + 1);
   constexpr int utime_field = 14;
   int field = 3;
   std::optional<std::uint64_t> utime;
   while (true) {
      rest = skip_spaces(rest);
      if (rest.empty()) {
         return std::nullopt;
      }
      auto const end = rest.find_first_of(" \t\n");
      std::string_view const word = rest.substr(0, end);
      if (field == utime_field) {
         utime = parse_number(word);
         if (!utime || word.find_first_not_of("0123456789") != std::string_view::npos) {
            return std::nullopt;
         }
      } else if (field == utime_field + 1) {
         auto const stime = parse_number(word);
         if (!stime || word.find_first_not_of("0123456789") != std::string_view::npos) {
            return std::nullopt;
         }
         return *utime + *stime;
      }
      if (end == std::string_view::npos) {
         return std::nullopt;
      }
      rest.remove_prefix(end);
      ++field;
   }
}

proc_sampler::proc_sampler(int pid)
    : pid_(pid)
    , ticks_per_second_(static_cast<double>(::sysconf(_SC_CLK_TCK))) {
   if (ticks_per_second_ <= 0) {
      ticks_per_second_ = 100;
   }
}

std::optional<process_sample> proc_sampler::sample() const {
   std::string const base = "/proc/" + std::to_string(pid_);
   auto const status = read_proc_file(base + "/status");
   auto const stat = read_proc_file(base + "/stat");
   if (!status || !stat) {
      return std::nullopt;
   }
   auto const rss = parse_vm_rss_kib(*status);
   auto const ticks = parse_cpu_ticks(*stat);
   if (!rss || !ticks) {
      return std::nullopt;
   }
   return process_sample{*rss, static_cast<double>(*ticks) / ticks_per_second_};
}

double own_cpu_seconds() {
   rusage usage{};
   if (::getrusage(RUSAGE_SELF, &usage) != 0) {
      return 0;
   }
   auto seconds = [](const timeval& tv) {
      return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
   };
   return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

} // namespace notify::bench
