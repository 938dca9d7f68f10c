#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace notify::auth {

/// The seed's session store keeps JSON like {"id":..,"userId":"42",...} (or userId as an integer).
/// Returns the user id when the record is a JSON object whose `user_field` is a string or an
/// integer (taken in decimal) that passes valid_user_id; nullopt for anything else (bad JSON,
/// missing, null, float, bool, ...). Never throws on bad input.
std::optional<std::string> user_id_from_session_record(std::string_view json,
                                                       std::string_view user_field,
                                                       std::size_t max_user_id_bytes);

/// The same with the field "userId" (plain session tokens).
std::optional<std::string> user_id_from_session_record(std::string_view json,
                                                       std::size_t max_user_id_bytes);

/// An express-session record as connect-redis stores it:
/// {"cookie":{"originalMaxAge":..,"expires":"2026-12-07T19:00:00.000Z",..},"userId":42}.
struct express_session {
   enum class problem { none, invalid, expired };
   std::optional<std::string> user_id; ///< set exactly when problem is none
   problem problem = problem::none;
};

/// Reads `user_field` like user_id_from_session_record, and refuses (expired) a record whose
/// cookie.expires lies at or before `now`: Redis' TTL should have removed it, but a key whose
/// TTL was lost (PERSIST, a copy, a restore) must not outlive the session. A missing or null
/// expires is a browser-session cookie without an end date; any other shape is invalid.
express_session read_express_session(std::string_view json, std::string_view user_field,
                                     std::size_t max_user_id_bytes,
                                     std::chrono::system_clock::time_point now);

/// JavaScript's Date.toJSON() form, YYYY-MM-DDTHH:MM:SS[.fff]Z (UTC); nullopt for anything else.
/// Dates outside what the clock holds (before 1678, after 2261) saturate to its min/max.
std::optional<std::chrono::system_clock::time_point> parse_js_date(std::string_view text);

} // namespace notify::auth
