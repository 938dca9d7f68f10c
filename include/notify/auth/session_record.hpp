#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace notify::auth {

/// The seed's session store keeps JSON like {"id":..,"userId":"42",...} (or userId as an integer).
/// Returns the user id when the record is a JSON object whose userId is a string or an integer
/// (taken in decimal) that passes valid_user_id; nullopt for anything else (bad JSON, missing,
/// null, float, bool, ...). Never throws on bad input.
std::optional<std::string> user_id_from_session_record(std::string_view json,
                                                       std::size_t max_user_id_bytes);

} // namespace notify::auth
