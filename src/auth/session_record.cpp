#include "notify/auth/session_record.hpp"

#include "notify/common/user_id.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>

namespace notify::auth {

std::optional<std::string> user_id_from_session_record(std::string_view json,
                                                       std::size_t max_user_id_bytes) {
   auto record = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
   if (!record.is_object()) {
      return std::nullopt; // also covers a parse error, which yields a discarded value
   }
   auto const field = record.find("userId");
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

} // namespace notify::auth
