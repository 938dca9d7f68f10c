// The table of every setting: its key, where it lives in `settings`, its range, and how a JSON or
// string value is turned into it. Files, the environment, --set and validation all go through it,
// so a key cannot be known to one source and not to another.

#include "notify/config/loader.hpp"
#include "notify/config/redis_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <variant>

namespace notify::config {

namespace {

template <class T> using member = T& (*)(settings&);

/// redis.url is not a member: it sets several of them.
struct redis_url_target {};

using string_list = std::vector<std::string>;

using target =
    std::variant<member<std::string>, member<string_list>, member<bool>, member<std::uint16_t>,
                 member<unsigned>, member<std::size_t>, member<int>,
                 member<std::chrono::milliseconds>, member<std::chrono::seconds>, redis_url_target>;

struct field {
   std::string_view key;
   target place;
   std::int64_t min = 0; ///< numeric settings only
   std::int64_t max = 0;
   bool secret = false; ///< never quoted back in messages
};

constexpr std::int64_t one_day_ms = 24LL * 60 * 60 * 1000;
constexpr std::int64_t one_day_s = 24LL * 60 * 60;
constexpr std::int64_t max_int = std::numeric_limits<int>::max();

/// The member (config.*section).*name, as a plain function the table can hold.
template <auto section, auto name> auto& at(settings& config) {
   return (config.*section).*name;
}

std::vector<field> const& fields() {
   static std::vector<field> const table{
       {.key = "server.host", .place = at<&settings::server, &server_settings::host>},
       {.key = "server.port",
        .place = at<&settings::server, &server_settings::port>,
        .min = 1,
        .max = 65535},
       {.key = "server.threads",
        .place = at<&settings::server, &server_settings::threads>,
        .min = 0,
        .max = 1024},
       {.key = "server.websocket_path",
        .place = at<&settings::server, &server_settings::websocket_path>},
       {.key = "server.ping_interval_ms",
        .place = at<&settings::server, &server_settings::ping_interval>,
        .min = 1,
        .max = one_day_ms},
       {.key = "server.idle_timeout_ms",
        .place = at<&settings::server, &server_settings::idle_timeout>,
        .min = 1,
        .max = one_day_ms},
       {.key = "server.request_timeout_ms",
        .place = at<&settings::server, &server_settings::request_timeout>,
        .min = 1,
        .max = one_day_ms},
       {.key = "server.header_timeout_ms",
        .place = at<&settings::server, &server_settings::header_timeout>,
        .min = 1,
        .max = one_day_ms},
       {.key = "server.handshake_timeout_ms",
        .place = at<&settings::server, &server_settings::handshake_timeout>,
        .min = 1,
        .max = one_day_ms},
       {.key = "server.shutdown_timeout_ms",
        .place = at<&settings::server, &server_settings::shutdown_timeout>,
        .min = 1,
        .max = one_day_ms},
       {.key = "server.allowed_origins",
        .place = at<&settings::server, &server_settings::allowed_origins>},
       {.key = "server.trusted_proxies",
        .place = at<&settings::server, &server_settings::trusted_proxies>},
       {.key = "server.proxy_protocol",
        .place = at<&settings::server, &server_settings::proxy_protocol>},
       {.key = "server.status_page", .place = at<&settings::server, &server_settings::status_page>},
       {.key = "server.reuse_port", .place = at<&settings::server, &server_settings::reuse_port>},
       {.key = "server.tls.cert_file",
        .place = at<&settings::server, &server_settings::tls_cert_file>},
       {.key = "server.tls.key_file",
        .place = at<&settings::server, &server_settings::tls_key_file>},
       {.key = "auth.jwt_secret",
        .place = at<&settings::auth, &auth_settings::jwt_secret>,
        .secret = true},
       {.key = "auth.session_prefix", .place = at<&settings::auth, &auth_settings::session_prefix>},
       {.key = "auth.allow_insecure_user_id",
        .place = at<&settings::auth, &auth_settings::allow_insecure_user_id>},
       {.key = "auth.timeout_ms",
        .place = at<&settings::auth, &auth_settings::timeout>,
        .min = 1,
        .max = one_day_ms},
       // 0 is a meaningful leeway (exact exp/nbf), unlike a zero timeout.
       {.key = "auth.jwt_leeway_s",
        .place = at<&settings::auth, &auth_settings::jwt_leeway>,
        .min = 0,
        .max = one_day_s},
       {.key = "auth.max_failures",
        .place = at<&settings::auth, &auth_settings::max_failures>,
        .min = 0,
        .max = 1000000},
       {.key = "auth.lockout_s",
        .place = at<&settings::auth, &auth_settings::lockout>,
        .min = 1,
        .max = one_day_s},
       {.key = "auth.cookie_name", .place = at<&settings::auth, &auth_settings::cookie_name>},
       {.key = "auth.cookie_secrets",
        .place = at<&settings::auth, &auth_settings::cookie_secrets>,
        .secret = true},
       {.key = "auth.cookie_session_prefix",
        .place = at<&settings::auth, &auth_settings::cookie_session_prefix>},
       {.key = "auth.cookie_user_field",
        .place = at<&settings::auth, &auth_settings::cookie_user_field>},
       {.key = "limits.max_inbound_bytes",
        .place = at<&settings::limits, &limits_settings::max_inbound_bytes>,
        .min = 64,
        .max = 1048576},
       {.key = "limits.max_protocol_errors",
        .place = at<&settings::limits, &limits_settings::max_protocol_errors>,
        .min = 0,
        .max = 1000000},
       {.key = "limits.max_queued_bytes",
        .place = at<&settings::limits, &limits_settings::max_queued_bytes>,
        .min = 1024,
        .max = 1073741824},
       {.key = "limits.max_queued_messages",
        .place = at<&settings::limits, &limits_settings::max_queued_messages>,
        .min = 1,
        .max = 1000000},
       {.key = "limits.max_connections",
        .place = at<&settings::limits, &limits_settings::max_connections>,
        .min = 0,
        .max = 10000000},
       {.key = "limits.max_connections_per_user",
        .place = at<&settings::limits, &limits_settings::max_connections_per_user>,
        .min = 0,
        .max = 10000000},
       {.key = "limits.max_connections_per_user_scope",
        .place = at<&settings::limits, &limits_settings::max_connections_per_user_scope>},
       {.key = "limits.max_connections_per_ip",
        .place = at<&settings::limits, &limits_settings::max_connections_per_ip>,
        .min = 0,
        .max = 10000000},
       {.key = "limits.handshake_rate_per_ip",
        .place = at<&settings::limits, &limits_settings::handshake_rate_per_ip>,
        .min = 0,
        .max = 1000000},
       {.key = "limits.handshake_burst_per_ip",
        .place = at<&settings::limits, &limits_settings::handshake_burst_per_ip>,
        .min = 1,
        .max = 1000000},
       {.key = "routing.user_channel_pattern",
        .place = at<&settings::routing, &routing_settings::user_channel_pattern>},
       {.key = "routing.global_channel",
        .place = at<&settings::routing, &routing_settings::global_channel>},
       {.key = "routing.max_payload_bytes",
        .place = at<&settings::routing, &routing_settings::max_payload_bytes>,
        .min = 1,
        .max = 536870912},
       {.key = "routing.max_user_id_bytes",
        .place = at<&settings::routing, &routing_settings::max_user_id_bytes>,
        .min = 1,
        .max = 4096},
       {.key = "history.enabled", .place = at<&settings::history, &history::settings::enabled>},
       {.key = "history.prefix", .place = at<&settings::history, &history::settings::prefix>},
       {.key = "history.user_max_entries",
        .place = at<&settings::history, &history::settings::user_max_entries>,
        .min = 1,
        .max = 10000000},
       {.key = "history.global_max_entries",
        .place = at<&settings::history, &history::settings::global_max_entries>,
        .min = 1,
        .max = 10000000},
       {.key = "history.max_age_s",
        .place = at<&settings::history, &history::settings::max_age>,
        .min = 1,
        .max = 366 * one_day_s},
       {.key = "history.idempotency_ttl_s",
        .place = at<&settings::history, &history::settings::idempotency_ttl>,
        .min = 1,
        .max = 366 * one_day_s},
       {.key = "history.max_replay",
        .place = at<&settings::history, &history::settings::max_replay>,
        .min = 1,
        .max = 100000},
       {.key = "redis.url", .place = redis_url_target{}, .secret = true},
       {.key = "redis.host", .place = at<&settings::redis, &redis::settings::host>},
       {.key = "redis.port",
        .place = at<&settings::redis, &redis::settings::port>,
        .min = 1,
        .max = 65535},
       {.key = "redis.username", .place = at<&settings::redis, &redis::settings::username>},
       {.key = "redis.password",
        .place = at<&settings::redis, &redis::settings::password>,
        .secret = true},
       // Redis decides the upper bound (its `databases` setting, 16 by default).
       {.key = "redis.db",
        .place = at<&settings::redis, &redis::settings::db>,
        .min = 0,
        .max = max_int},
       {.key = "redis.connect_timeout_ms",
        .place = at<&settings::redis, &redis::settings::connect_timeout>,
        .min = 1,
        .max = one_day_ms},
       {.key = "redis.health_check_interval_ms",
        .place = at<&settings::redis, &redis::settings::health_check_interval>,
        .min = 1,
        .max = one_day_ms},
       {.key = "redis.reconnect_initial_delay_ms",
        .place = at<&settings::redis, &redis::settings::reconnect_initial_delay>,
        .min = 1,
        .max = one_day_ms},
       {.key = "redis.reconnect_max_delay_ms",
        .place = at<&settings::redis, &redis::settings::reconnect_max_delay>,
        .min = 1,
        .max = one_day_ms},
       {.key = "redis.mode", .place = at<&settings::redis, &redis::settings::mode>},
       {.key = "redis.cluster_nodes",
        .place = at<&settings::redis, &redis::settings::cluster_nodes>},
       {.key = "redis.topology_refresh_interval_ms",
        .place = at<&settings::redis, &redis::settings::topology_refresh_interval>,
        .min = 100,
        .max = one_day_ms},
       {.key = "redis.unsubscribe_delay_ms",
        .place = at<&settings::redis, &redis::settings::unsubscribe_delay>,
        .min = 0,
        .max = one_day_ms},
       {.key = "redis.classic_pubsub",
        .place = at<&settings::redis, &redis::settings::classic_pubsub>},
       {.key = "presence.enabled", .place = at<&settings::presence, &presence_settings::enabled>},
       {.key = "presence.ttl_ms",
        .place = at<&settings::presence, &presence_settings::ttl>,
        .min = 3000,
        .max = one_day_ms},
       {.key = "log.level", .place = at<&settings::log, &log_settings::level>},
   };
   return table;
}

field const& find_field(std::string_view key, std::string_view origin) {
   auto const& table = fields();
   auto const found =
       std::find_if(table.begin(), table.end(), [&](field const& f) { return f.key == key; });
   if (found == table.end()) {
      throw config_error(std::string(key), "unknown setting (from " + std::string(origin) +
                                               "); see docs/configuration.md for the list");
   }
   return *found;
}

template <class P> using member_type = std::remove_reference_t<std::invoke_result_t<P, settings&>>;

std::string integer_rule(field const& f) {
   return "must be an integer between " + std::to_string(f.min) + " and " + std::to_string(f.max);
}

[[noreturn]] void reject(field const& f, std::string_view problem, std::string_view shown,
                         std::string_view origin) {
   std::string message(problem);
   if (f.secret) {
      message += " (from " + std::string(origin) + ")";
   } else {
      message += " (got " + std::string(shown) + " from " + std::string(origin) + ")";
   }
   throw config_error(std::string(f.key), message);
}

template <class T>
void store_integer(settings& config, member<T> place, field const& f,
                   std::optional<std::int64_t> value, std::string_view shown,
                   std::string_view origin) {
   if (!value || *value < f.min || *value > f.max) {
      reject(f, integer_rule(f), shown, origin);
   }
   if constexpr (std::is_arithmetic_v<T>) {
      place(config) = static_cast<T>(*value);
   } else {
      place(config) = T(*value);
   }
}

void store_redis_url(settings& config, std::string_view url, std::string_view origin) {
   try {
      apply_redis_url(url, config.redis);
   } catch (config_error const& error) {
      // Add the origin; the problem text already leaves the URL (and its password) out.
      std::string problem(error.what());
      problem.erase(0, std::min(problem.size(), error.key.size() + 2));
      auto const hint = std::min(problem.find("; expected"), problem.size());
      problem.insert(hint, " (from " + std::string(origin) + ")");
      throw config_error(error.key, problem);
   }
}

/// An empty URL means "no URL" (the documented default, and what compose files pass for unset).
bool is_empty_url(field const& f, std::string_view value) {
   return std::holds_alternative<redis_url_target>(f.place) && value.empty();
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
   std::int64_t value = 0;
   auto const* const end = text.data() + text.size();
   auto const [stop, error] = std::from_chars(text.data(), end, value);
   if (text.empty() || error != std::errc{} || stop != end) {
      return std::nullopt;
   }
   return value;
}

/// "a, b,c" -> {"a", "b", "c"}: the environment and --set have no arrays.
string_list split_list(std::string_view text) {
   string_list items;
   while (!text.empty()) {
      auto const comma = std::min(text.find(','), text.size());
      auto item = text.substr(0, comma);
      while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())) != 0) {
         item.remove_prefix(1);
      }
      while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())) != 0) {
         item.remove_suffix(1);
      }
      if (!item.empty()) {
         items.emplace_back(item);
      }
      text.remove_prefix(std::min(comma + 1, text.size()));
   }
   return items;
}

std::optional<bool> parse_bool(std::string_view text) {
   std::string lower(text);
   std::transform(lower.begin(), lower.end(), lower.begin(),
                  [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
   if (lower == "true" || lower == "1" || lower == "yes") {
      return true;
   }
   if (lower == "false" || lower == "0" || lower == "no") {
      return false;
   }
   return std::nullopt;
}

std::optional<std::int64_t> json_integer(nlohmann::json const& value) {
   if (value.is_number_unsigned()) {
      auto const number = value.get<std::uint64_t>();
      if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
         return std::nullopt;
      }
      return static_cast<std::int64_t>(number);
   }
   if (value.is_number_integer()) {
      return value.get<std::int64_t>();
   }
   return std::nullopt;
}

std::string show_json(nlohmann::json const& value) {
   auto shown = value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
   constexpr std::size_t max_shown = 80;
   if (shown.size() > max_shown) {
      shown.resize(max_shown);
      shown += "...";
   }
   return shown;
}

} // namespace

std::vector<std::string> const& setting_keys() {
   static std::vector<std::string> const keys = [] {
      std::vector<std::string> all;
      for (auto const& f : fields()) {
         all.emplace_back(f.key);
      }
      return all;
   }();
   return keys;
}

std::string environment_name(std::string_view key) {
   std::string name = "NOTIFY_";
   for (char const c : key) {
      name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
   }
   return name;
}

void settings_loader::note_origin(std::string_view key, std::string_view origin) {
   origins_.insert_or_assign(std::string(key), std::string(origin));
   if (key.starts_with("redis.")) {
      settings_.redis_configured = true;
   }
}

void settings_loader::apply_string_value(std::string_view key, std::string_view value,
                                         std::string_view origin) {
   auto const& f = find_field(key, origin);
   if (is_empty_url(f, value)) {
      return;
   }
   auto const shown = detail::quote_value(value);
   std::visit(
       [&](auto place) {
          using P = decltype(place);
          if constexpr (std::is_same_v<P, redis_url_target>) {
             store_redis_url(settings_, value, origin);
          } else if constexpr (std::is_same_v<member_type<P>, std::string>) {
             place(settings_) = std::string(value);
          } else if constexpr (std::is_same_v<member_type<P>, string_list>) {
             place(settings_) = split_list(value);
          } else if constexpr (std::is_same_v<member_type<P>, bool>) {
             auto const parsed = parse_bool(value);
             if (!parsed) {
                reject(f, "must be one of true, false, yes, no, 1, 0", shown, origin);
             }
             place(settings_) = *parsed;
          } else {
             store_integer(settings_, place, f, parse_integer(value), shown, origin);
          }
       },
       f.place);
   note_origin(key, origin);
}

void settings_loader::apply_json_value(std::string_view key, nlohmann::json const& value,
                                       std::string_view origin) {
   auto const& f = find_field(key, origin);
   if (value.is_string() && is_empty_url(f, value.get_ref<std::string const&>())) {
      return;
   }
   auto const shown = show_json(value);
   std::visit(
       [&](auto place) {
          using P = decltype(place);
          if constexpr (std::is_same_v<P, redis_url_target>) {
             if (!value.is_string()) {
                reject(f, "must be a string", shown, origin);
             }
             store_redis_url(settings_, value.get_ref<std::string const&>(), origin);
          } else if constexpr (std::is_same_v<member_type<P>, std::string>) {
             if (!value.is_string()) {
                reject(f, "must be a string", shown, origin);
             }
             place(settings_) = value.get<std::string>();
          } else if constexpr (std::is_same_v<member_type<P>, string_list>) {
             if (value.is_string()) {
                place(settings_) = split_list(value.get_ref<std::string const&>());
                return;
             }
             auto const is_string = [](nlohmann::json const& item) { return item.is_string(); };
             if (!value.is_array() || !std::all_of(value.begin(), value.end(), is_string)) {
                reject(f, "must be an array of strings", shown, origin);
             }
             place(settings_) = value.get<string_list>();
          } else if constexpr (std::is_same_v<member_type<P>, bool>) {
             if (!value.is_boolean()) {
                reject(f, "must be true or false", shown, origin);
             }
             place(settings_) = value.get<bool>();
          } else {
             store_integer(settings_, place, f, json_integer(value), shown, origin);
          }
       },
       f.place);
   note_origin(key, origin);
}

namespace detail {

void check_numeric_ranges(settings const& config, origin_map const& origins) {
   settings copy = config; // the accessors hand out mutable references
   for (auto const& f : fields()) {
      std::visit(
          [&](auto place) {
             using P = decltype(place);
             if constexpr (!std::is_same_v<P, redis_url_target>) {
                using T = member_type<P>;
                if constexpr (!std::is_same_v<T, std::string> && !std::is_same_v<T, bool> &&
                              !std::is_same_v<T, string_list>) {
                   std::int64_t value = 0;
                   if constexpr (std::is_arithmetic_v<T>) {
                      value = static_cast<std::int64_t>(place(copy));
                   } else {
                      value = static_cast<std::int64_t>(place(copy).count());
                   }
                   if (value < f.min || value > f.max) {
                      throw config_error(std::string(f.key),
                                         integer_rule(f) +
                                             got_from(origins, f.key, std::to_string(value)));
                   }
                }
             }
          },
          f.place);
   }
}

} // namespace detail

} // namespace notify::config
