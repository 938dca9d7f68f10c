// The config file: {"server": {...}, "auth": {...}, ...}, keys named like the settings fields,
// durations as integers with an _ms (or _s) suffix, "_doc"-style keys ignored.

#include "notify/config/loader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

namespace notify::config {

namespace {

/// Far above any real config; a guard against pointing --config at something huge.
constexpr std::size_t max_file_bytes = std::size_t{1024} * 1024;

constexpr std::array<std::string_view, 8> sections{"server",  "auth",  "limits",   "routing",
                                                   "history", "redis", "presence", "log"};

bool is_comment(std::string const& name) {
   return name.starts_with('_');
}

bool is_section(std::string const& name) {
   return std::find(sections.begin(), sections.end(), name) != sections.end();
}

std::string read_config_file(std::string const& path) {
   std::error_code error;
   auto const status = std::filesystem::status(path, error);
   if (error || !std::filesystem::exists(status)) {
      throw config_error("config", "cannot read " + path + ": no such file");
   }
   // A FIFO or device could block or never end; a directory cannot be read as text.
   if (!std::filesystem::is_regular_file(status)) {
      throw config_error("config", "cannot read " + path + ": not a regular file");
   }
   std::ifstream file(path, std::ios::binary);
   if (!file) {
      auto const reason = std::error_code(errno, std::generic_category()).message();
      throw config_error("config", "cannot open " + path + ": " + reason);
   }
   std::string text;
   std::array<char, 4096> buffer{};
   while (file.read(buffer.data(), buffer.size()) || file.gcount() > 0) {
      text.append(buffer.data(), static_cast<std::size_t>(file.gcount()));
      if (text.size() > max_file_bytes) {
         throw config_error("config", path + " is larger than 1 MiB; is it really the config?");
      }
   }
   if (file.bad()) {
      throw config_error("config", "error while reading " + path);
   }
   return text;
}

/// Setting names are plain identifiers; anything else (empty, control bytes, megabytes of text)
/// cannot name a setting and must not reach an error message as it is.
void check_name(std::string const& name, std::string_view where, std::string_view origin) {
   constexpr std::size_t max_name_bytes = 64;
   bool const plain = !name.empty() && name.size() <= max_name_bytes &&
                      std::all_of(name.begin(), name.end(),
                                  [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
   if (!plain) {
      throw config_error("config", "unknown " + std::string(where) + " " +
                                       detail::quote_value(name.substr(0, max_name_bytes)) +
                                       " in " + std::string(origin));
   }
}

std::string parse_problem(nlohmann::json::exception const& error) {
   // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep line, column and reason.
   std::string_view text(error.what());
   if (auto const tag_end = text.find("] "); text.starts_with('[') && tag_end != text.npos) {
      text.remove_prefix(tag_end + 2);
   }
   return std::string(text);
}

/// Section members, and members of nested groups such as server.tls, as dotted keys.
void collect_values(std::string const& prefix, nlohmann::json const& group,
                    std::vector<std::pair<std::string, nlohmann::json const*>>& values,
                    std::string_view origin) {
   for (auto const& [name, value] : group.items()) {
      if (is_comment(name)) {
         continue;
      }
      check_name(name, "setting", origin);
      auto key = prefix;
      key.append(1, '.').append(name);
      if (value.is_object()) {
         collect_values(key, value, values, origin);
      } else {
         values.emplace_back(std::move(key), &value);
      }
   }
}

} // namespace

void settings_loader::apply_file(std::string const& path) {
   if (path.empty()) {
      throw config_error("config", "the config file path is empty");
   }
   apply_json_text(read_config_file(path), path);
}

void settings_loader::apply_json_text(std::string_view text, std::string_view origin) {
   nlohmann::json document;
   try {
      document = nlohmann::json::parse(text);
   } catch (nlohmann::json::exception const& error) {
      // parse_error, and out_of_range for numbers such as 1e999.
      throw config_error("config",
                         std::string(origin) + " is not valid JSON: " + parse_problem(error));
   }
   if (!document.is_object()) {
      throw config_error("config", std::string(origin) + " must hold a JSON object");
   }

   // Check the whole layout first, so a typo is reported even when a value before it is bad.
   std::vector<std::pair<std::string, nlohmann::json const*>> values;
   for (auto const& [section, body] : document.items()) {
      if (is_comment(section)) {
         continue;
      }
      check_name(section, "section", origin);
      if (!is_section(section)) {
         throw config_error(
             section,
             "unknown section (from " + std::string(origin) +
                 "); expected server, auth, limits, routing, history, redis, presence or log");
      }
      if (!body.is_object()) {
         throw config_error(section, "must be a JSON object (from " + std::string(origin) + ")");
      }
      collect_values(section, body, values, origin);
   }
   // The URL sets several redis fields; the file's own redis keys refine it.
   std::stable_partition(values.begin(), values.end(),
                         [](auto const& entry) { return entry.first == "redis.url"; });
   for (auto const& [key, value] : values) {
      apply_json_value(key, *value, origin);
   }
}

} // namespace notify::config
