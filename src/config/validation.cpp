// Rules on the merged settings: one value's shape, and how values fit together.

#include "notify/common/text.hpp"
#include "notify/config/loader.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace notify::config {

namespace {

class validator {
public:
   validator(settings const& config, origin_map const& origins)
       : config_(config)
       , origins_(origins) {}

   void run() const {
      detail::check_numeric_ranges(config_, origins_);
      check_server();
      check_routing();
      check_history();
      check_redis();
      check_presence();
      check_log();
      check_auth();
   }

private:
   [[noreturn]] void fail(std::string_view key, std::string_view problem,
                          std::string_view shown) const {
      throw config_error(std::string(key),
                         std::string(problem) + detail::got_from(origins_, key, shown));
   }

   void check_text(std::string_view key, std::string const& value) const {
      bool const has_control = std::any_of(value.begin(), value.end(),
                                           [](unsigned char c) { return c < 0x20 || c == 0x7F; });
      if (has_control) {
         fail(key, "must not contain control characters", detail::quote_value(value));
      }
   }

   void check_host(std::string_view key, std::string const& host) const {
      if (host.empty() || host.find(' ') != host.npos) {
         fail(key, "must be a host name or address without spaces", detail::quote_value(host));
      }
      check_text(key, host);
   }

   void check_server() const {
      auto const& server = config_.server;
      check_host("server.host", server.host);
      auto const& path = server.websocket_path;
      check_text("server.websocket_path", path);
      if (!path.starts_with('/') || path.find_first_of(" ?#") != path.npos) {
         fail("server.websocket_path", "must start with '/' and contain no space, '?' or '#'",
              detail::quote_value(path));
      }
      // A ping must get a chance to be answered before the connection counts as idle.
      if (server.idle_timeout <= server.ping_interval) {
         fail("server.idle_timeout_ms",
              "must be longer than server.ping_interval_ms (" +
                  std::to_string(server.ping_interval.count()) + ")",
              std::to_string(server.idle_timeout.count()));
      }
      for (auto const& origin : server.allowed_origins) {
         check_origin(origin);
      }
      for (auto const& proxy : server.trusted_proxies) {
         check_trusted_proxy(proxy);
      }
      // Without a list every connection would be refused: a mistake to report at start.
      if (server.proxy_protocol && server.trusted_proxies.empty()) {
         fail("server.proxy_protocol",
              "needs server.trusted_proxies: the addresses of the load balancers that send the "
              "PROXY header (every other peer is refused)",
              "true");
      }
      check_tls_files();
   }

   /// What a browser sends: scheme://host[:port], nothing after it. A trailing slash or a path
   /// would never match, so it is a mistake worth reporting at start.
   void check_origin(std::string const& origin) const {
      check_text("server.allowed_origins", origin);
      auto const scheme_end = origin.find("://");
      bool const has_scheme = scheme_end != origin.npos && scheme_end > 0;
      bool const has_host = has_scheme && origin.size() > scheme_end + 3;
      bool const has_path = has_host && origin.find_first_of("/?# ", scheme_end + 3) != origin.npos;
      if (origin != "*" && (!has_host || has_path)) {
         fail("server.allowed_origins",
              "each entry must be an origin like https://app.example.com (scheme://host[:port], "
              "no path), or *",
              detail::quote_value(origin));
      }
   }

   /// An address or CIDR block. The same rules as server::trusted_proxies, which the config
   /// module cannot depend on; that class refuses anything that slips through here.
   void check_trusted_proxy(std::string const& entry) const {
      check_text("server.trusted_proxies", entry);
      auto const slash = entry.find('/');
      auto const address_text = entry.substr(0, slash);
      boost::system::error_code ec;
      boost::asio::ip::address address;
      // A zone ("fe80::1%eth0") names an interface, not a host.
      bool const plain =
          !address_text.empty() && address_text.find_first_of("% \t") == std::string::npos;
      if (plain) {
         address = boost::asio::ip::make_address(address_text, ec);
      }
      if (!plain || ec) {
         fail("server.trusted_proxies",
              "each entry must be an IPv4 or IPv6 address or CIDR block (like 10.0.0.1, "
              "10.0.0.0/8, ::1 or fd00::/8)",
              detail::quote_value(entry));
      }
      if (slash != std::string::npos) {
         auto const digits = std::string_view(entry).substr(slash + 1);
         unsigned prefix = 0;
         auto const* end = digits.data() + digits.size();
         auto const [stop, error] = std::from_chars(digits.data(), end, prefix);
         if (digits.empty() || digits.size() > 3 || error != std::errc{} || stop != end ||
             prefix > (address.is_v4() ? 32U : 128U)) {
            fail("server.trusted_proxies",
                 "the prefix length after '/' must be 0-32 for IPv4, 0-128 for IPv6",
                 detail::quote_value(entry));
         }
      }
   }

   void check_tls_files() const {
      auto const& server = config_.server;
      if (server.tls_cert_file.empty() != server.tls_key_file.empty()) {
         auto const missing =
             server.tls_cert_file.empty() ? "server.tls.cert_file" : "server.tls.key_file";
         fail(missing, "must be set too: TLS needs both a certificate and its key", "nothing");
      }
      check_text("server.tls.cert_file", server.tls_cert_file);
      check_text("server.tls.key_file", server.tls_key_file);
   }

   static bool has_glob(std::string_view text, std::string_view glob_chars) {
      return text.find_first_of(glob_chars) != text.npos;
   }

   /// Whether `channel` would be taken for a user channel of `pattern` (its one '*' standing
   /// for any text, even an empty one). A pattern without '*' (reported elsewhere) fits nothing.
   static bool fits_user_pattern(std::string_view pattern, std::string_view channel) {
      auto const star = pattern.find('*');
      if (star == std::string_view::npos) {
         return false;
      }
      auto const prefix = pattern.substr(0, star);
      auto const suffix = pattern.substr(star + 1);
      return channel.size() >= prefix.size() + suffix.size() && channel.starts_with(prefix) &&
             channel.ends_with(suffix);
   }

   void check_routing() const {
      auto const& routing = config_.routing;
      auto const& pattern = routing.user_channel_pattern;
      auto const shown_pattern = detail::quote_value(pattern);
      check_text("routing.user_channel_pattern", pattern);
      if (std::count(pattern.begin(), pattern.end(), '*') != 1) {
         fail("routing.user_channel_pattern",
              "must contain exactly one '*', where the user id goes (e.g. user:*:notifications)",
              shown_pattern);
      }
      if (has_glob(pattern, "?[]\\")) {
         fail("routing.user_channel_pattern",
              "must not contain the glob characters ? [ ] or \\ (only the one '*')", shown_pattern);
      }
      if (pattern == "*") {
         fail("routing.user_channel_pattern",
              "must not be just \"*\", which would take every channel for a user id",
              shown_pattern);
      }

      auto const& global = routing.global_channel;
      auto const shown_global = detail::quote_value(global);
      check_text("routing.global_channel", global);
      if (global.empty() || has_glob(global, "*?[]\\")) {
         fail("routing.global_channel", "must be a channel name without glob characters * ? [ ] \\",
              shown_global);
      }
      // Otherwise every global message would also be delivered as a user message.
      if (fits_user_pattern(pattern, global)) {
         fail("routing.global_channel", "must not match routing.user_channel_pattern",
              shown_global);
      }
   }

   void check_history() const {
      auto const& history = config_.history;
      auto const& prefix = history.prefix;
      check_text("history.prefix", prefix);
      if (prefix.empty() || has_glob(prefix, "*?[]\\{}") || prefix.find(' ') != prefix.npos) {
         fail("history.prefix",
              "must be a non-empty key prefix without spaces, braces or glob characters "
              "(e.g. notify:)",
              detail::quote_value(prefix));
      }
      // A history channel taken for a classic user channel would deliver "<id> <prev> <json>"
      // as if it were the payload.
      auto const& pattern = config_.routing.user_channel_pattern;
      for (std::string const& channel : {prefix + "{user:1}:live", prefix + "{global}:live"}) {
         if (fits_user_pattern(pattern, channel)) {
            fail("history.prefix",
                 "its channels (" + channel + ") would match routing.user_channel_pattern",
                 detail::quote_value(prefix));
         }
      }
      if (config_.routing.global_channel.starts_with(prefix + "{")) {
         fail("history.prefix", "routing.global_channel must not look like a history channel",
              detail::quote_value(prefix));
      }
   }

   void check_presence() const {
      auto const& scope = config_.limits.max_connections_per_user_scope;
      if (scope != "instance" && scope != "all_instances") {
         fail("limits.max_connections_per_user_scope", "must be instance or all_instances",
              detail::quote_value(scope));
      }
      if (scope == "all_instances" && !config_.presence.enabled) {
         fail("limits.max_connections_per_user_scope",
              "all_instances counts connections in the presence keys: needs presence.enabled",
              detail::quote_value(scope));
      }
   }

   void check_redis() const {
      auto const& redis = config_.redis;
      check_host("redis.host", redis.host);
      if (redis.mode != "standalone" && redis.mode != "cluster") {
         fail("redis.mode", "must be standalone or cluster", detail::quote_value(redis.mode));
      }
      for (auto const& node : redis.cluster_nodes) {
         if (!parse_host_port(node)) {
            fail("redis.cluster_nodes", "each entry must be host:port or [ipv6]:port",
                 detail::quote_value(node));
         }
      }
      if (redis.is_cluster() && config_.server.threads > 64) {
         fail("server.threads", "must be at most 64 with redis.mode cluster",
              std::to_string(config_.server.threads));
      }
      if (redis.is_cluster() && redis.db != 0) {
         fail("redis.db", "must be 0 with redis.mode cluster (a cluster has database 0 only)",
              std::to_string(redis.db));
      }
      if (redis.reconnect_initial_delay > redis.reconnect_max_delay) {
         fail("redis.reconnect_initial_delay_ms",
              "must not exceed redis.reconnect_max_delay_ms (" +
                  std::to_string(redis.reconnect_max_delay.count()) + ")",
              std::to_string(redis.reconnect_initial_delay.count()));
      }
   }

   void check_log() const {
      static constexpr std::array<std::string_view, 7> levels{"trace", "debug",    "info", "warn",
                                                              "error", "critical", "off"};
      auto const& level = config_.log.level;
      if (std::find(levels.begin(), levels.end(), level) == levels.end()) {
         fail("log.level", "must be one of trace, debug, info, warn, error, critical, off",
              detail::quote_value(level));
      }
   }

   void check_auth() const {
      auto const& auth = config_.auth;
      check_text("auth.session_prefix", auth.session_prefix);
      if (auth.jwt_secret.empty() && auth.session_prefix.empty() && auth.cookie_name.empty() &&
          !auth.allow_insecure_user_id) {
         throw config_error("auth.jwt_secret",
                            "no way to authenticate clients: set a JWT secret (NOTIFY_JWT_SECRET), "
                            "or keep Redis session tokens on (auth.session_prefix), or use the "
                            "web app's session cookie (auth.cookie_name), or, for development "
                            "only, set auth.allow_insecure_user_id");
      }
      // HS256 is only as strong as its key; a short one can be brute-forced offline from any
      // token a client holds.
      constexpr std::size_t min_secret_bytes = 32;
      if (!auth.jwt_secret.empty() && auth.jwt_secret.size() < min_secret_bytes) {
         throw config_error(
             "auth.jwt_secret",
             "must be at least 32 bytes long for HS256" +
                 detail::got_from(origins_, "auth.jwt_secret",
                                  std::to_string(auth.jwt_secret.size()) + " bytes") +
                 "; generate one with `openssl rand -hex 32`");
      }
      check_cookie_auth();
   }

   /// RFC 6265 cookie-name: a token, i.e. visible ASCII without separators.
   static bool is_cookie_name(std::string_view name) {
      return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
         return c > 0x20 && c < 0x7F &&
                std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) ==
                    std::string_view::npos;
      });
   }

   void check_cookie_auth() const {
      auto const& auth = config_.auth;
      if (auth.cookie_name.empty()) {
         return;
      }
      if (!is_cookie_name(auth.cookie_name)) {
         fail("auth.cookie_name",
              "must be a cookie name (letters, digits and !#$%&'*+-.^_`|~, e.g. connect.sid)",
              detail::quote_value(auth.cookie_name));
      }
      if (auth.cookie_secrets.empty()) {
         throw config_error("auth.cookie_secrets",
                            "must list the web app's express-session secret(s) when "
                            "auth.cookie_name is set" +
                                detail::got_from(origins_, "auth.cookie_name", ""));
      }
      for (auto const& secret : auth.cookie_secrets) {
         if (secret.empty()) {
            throw config_error("auth.cookie_secrets",
                               "must not contain an empty secret" +
                                   detail::got_from(origins_, "auth.cookie_secrets", ""));
         }
      }
      check_text("auth.cookie_session_prefix", auth.cookie_session_prefix);
      if (auth.cookie_session_prefix.empty()) {
         fail("auth.cookie_session_prefix",
              "must be connect-redis' key prefix (sess: by default) when auth.cookie_name is set",
              "\"\"");
      }
      check_text("auth.cookie_user_field", auth.cookie_user_field);
      if (auth.cookie_user_field.empty()) {
         fail("auth.cookie_user_field",
              "must name the session field that holds the user id (e.g. userId)", "\"\"");
      }
      // The browser attaches the cookie to a WebSocket opened by any page, on any site; only
      // the Origin check tells the web app's pages from a hostile one (cross-site WebSocket
      // hijacking: that page would read the user's notifications).
      auto const& origins = config_.server.allowed_origins;
      if (origins.empty()) {
         throw config_error(
             "server.allowed_origins",
             "must list the web app's origins (e.g. https://app.example.com) when cookie "
             "authentication is on (auth.cookie_name): a browser sends the session cookie with a "
             "WebSocket opened by a page on any site, so without an Origin check any site could "
             "open the gateway as its visitor and read their notifications (cross-site WebSocket "
             "hijacking)");
      }
      if (std::find(origins.begin(), origins.end(), "*") != origins.end()) {
         fail("server.allowed_origins",
              "must not contain * when cookie authentication is on (auth.cookie_name): * lets a "
              "page on any site open the gateway with its visitor's session cookie and read their "
              "notifications (cross-site WebSocket hijacking); list the web app's origins",
              "*");
      }
   }

   settings const& config_;
   origin_map const& origins_;
};

} // namespace

void validate(settings const& config, origin_map const& origins) {
   validator(config, origins).run();
}

} // namespace notify::config
