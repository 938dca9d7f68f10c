#include "notify/auth/session_record.hpp"

#include "notify/common/user_id.hpp"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>

namespace notify::auth {

namespace {

std::optional<std::string> user_id_in(nlohmann::json& record, std::string_view user_field,
                                      std::size_t max_user_id_bytes) {
   auto const field = record.find(user_field);
   if (field == record.end()) {
      return std::nullopt;
   }
   std::string user_id;
   if (field->is_string()) {
      user_id = std::move(field->get_ref<std::string&>());
   } else if (field->is_number_unsigned()) {
      user_id = std::to_string(field->get<std::uint64_t>());
   } else if (field->is_number_integer()) {
      user_id = std::to_string(field->get<std::int64_t>());
   } else {
      return std::nullopt;
   }
   if (!valid_user_id(user_id, max_user_id_bytes)) {
      return std::nullopt;
   }
   return user_id;
}

/// The digits text[at, at + count) as a number; nullopt if any is not a digit.
std::optional<int> digits(std::string_view text, std::size_t at, std::size_t count) {
   int value = 0;
   for (std::size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') {
         return std::nullopt;
      }
      value = value * 10 + (text[i] - '0');
   }
   return value;
}

bool is_at(std::string_view text, std::size_t at, char expected) {
   return text[at] == expected;
}

} // namespace

std::optional<std::string> user_id_from_session_record(std::string_view json,
                                                       std::string_view user_field,
                                                       std::size_t max_user_id_bytes) {
   auto record = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
   if (!record.is_object()) {
      return std::nullopt; // also covers a parse error, which yields a discarded value
   }
   return user_id_in(record, user_field, max_user_id_bytes);
}

std::optional<std::string> user_id_from_session_record(std::string_view json,
                                                       std::size_t max_user_id_bytes) {
   return user_id_from_session_record(json, "userId", max_user_id_bytes);
}

std::optional<std::chrono::system_clock::time_point> parse_js_date(std::string_view text) {
   using namespace std::chrono;
   // 2026-12-07T19:00:00Z is 20 characters; Date.toJSON() adds .fff, other writers more digits.
   constexpr std::size_t seconds_end = 19;
   constexpr std::size_t max_chars = 40;
   if (text.size() < seconds_end + 1 || text.size() > max_chars || text.back() != 'Z' ||
       !is_at(text, 4, '-') || !is_at(text, 7, '-') || !is_at(text, 10, 'T') ||
       !is_at(text, 13, ':') || !is_at(text, 16, ':')) {
      return std::nullopt;
   }
   auto const y = digits(text, 0, 4);
   auto const mo = digits(text, 5, 2);
   auto const d = digits(text, 8, 2);
   auto const h = digits(text, 11, 2);
   auto const mi = digits(text, 14, 2);
   auto const s = digits(text, 17, 2);
   if (!y || !mo || !d || !h || !mi || !s || *h > 23 || *mi > 59 || *s > 60) {
      return std::nullopt;
   }
   auto const fraction_chars = text.size() - seconds_end - 1; // between the seconds and 'Z'
   milliseconds fraction{0};
   if (fraction_chars > 0) {
      auto const fraction_digits = text.substr(seconds_end + 1, fraction_chars - 1);
      if (fraction_chars < 2 || !is_at(text, seconds_end, '.') ||
          fraction_digits.find_first_not_of("0123456789") != std::string_view::npos) {
         return std::nullopt;
      }
      auto const kept = std::min<std::size_t>(fraction_chars - 1, 3);
      auto value = *digits(text, seconds_end + 1, kept);
      for (auto i = kept; i < 3; ++i) {
         value *= 10;
      }
      fraction = milliseconds(value);
   }
   year_month_day const date{year(*y), month(static_cast<unsigned>(*mo)),
                             day(static_cast<unsigned>(*d))};
   if (!date.ok()) {
      return std::nullopt;
   }
   // Four-digit years reach past what system_clock's nanoseconds hold (1677..2262): saturate
   // rather than overflow, so year 9999 is "far future" and not a wrapped date in the past.
   auto const at = sys_days(date) + hours(*h) + minutes(*mi) + seconds(*s) + fraction;
   constexpr auto latest = time_point_cast<milliseconds>(system_clock::time_point::max());
   constexpr auto earliest = time_point_cast<milliseconds>(system_clock::time_point::min());
   if (at >= latest) {
      return system_clock::time_point::max();
   }
   if (at <= earliest) {
      return system_clock::time_point::min();
   }
   return time_point_cast<system_clock::duration>(at);
}

express_session read_express_session(std::string_view json, std::string_view user_field,
                                     std::size_t max_user_id_bytes,
                                     std::chrono::system_clock::time_point now) {
   express_session result;
   result.problem = express_session::problem::invalid;
   auto record = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
   if (!record.is_object()) {
      return result;
   }
   if (auto const cookie = record.find("cookie"); cookie != record.end() && !cookie->is_null()) {
      if (!cookie->is_object()) {
         return result;
      }
      if (auto const expires = cookie->find("expires");
          expires != cookie->end() && !expires->is_null()) {
         auto const at = expires->is_string()
                             ? parse_js_date(expires->get_ref<std::string const&>())
                             : std::nullopt;
         if (!at) {
            return result;
         }
         if (*at <= now) {
            result.problem = express_session::problem::expired;
            return result;
         }
      }
   }
   result.user_id = user_id_in(record, user_field, max_user_id_bytes);
   if (result.user_id) {
      result.problem = express_session::problem::none;
   }
   return result;
}

} // namespace notify::auth
