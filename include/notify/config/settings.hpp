#pragma once

#include "notify/history/settings.hpp"
#include "notify/redis/settings.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace notify::config {

struct server_settings {
   std::string host = "0.0.0.0";
   std::uint16_t port = 8080;
   unsigned threads = 0; ///< 0: one event loop per core
   std::string websocket_path = "/ws";
   std::chrono::milliseconds ping_interval{25000};
   std::chrono::milliseconds idle_timeout{60000};
   /// Before the upgrade: from accept (or the previous response) to the first byte of a
   /// request; from that byte to the end of the request head; from accept to the 101 overall
   /// (it bounds the TLS handshake too).
   std::chrono::milliseconds request_timeout{10000};
   std::chrono::milliseconds header_timeout{10000};
   std::chrono::milliseconds handshake_timeout{10000};
   std::chrono::milliseconds shutdown_timeout{5000};
   /// Origins (scheme://host[:port]) allowed to open a WebSocket; empty allows any. A handshake
   /// without an Origin header (not a browser) is allowed either way.
   std::vector<std::string> allowed_origins;
   /// Peers (addresses or CIDR blocks, IPv4 and IPv6) whose X-Forwarded-For / Forwarded headers
   /// give the client address; empty trusts no one and every peer is its own client.
   std::vector<std::string> trusted_proxies;
   /// Every connection starts with a PROXY protocol header (v1 or v2, as HAProxy, AWS NLB and
   /// nginx send it) naming the client; only peers in trusted_proxies may connect, the header
   /// is required from them.
   bool proxy_protocol = false;
   /// Both set: the port speaks TLS only (wss:// and https://). PEM files.
   std::string tls_cert_file;
   std::string tls_key_file;
   /// GET / (a live status page with a "try it" panel), /stats (its JSON) and
   /// /notify-client.js (the browser client).
   bool status_page = true;
   /// SO_REUSEPORT: several gateway processes on one machine listen on the same port and the
   /// kernel spreads connections over them, past one process's open-file limit.
   bool reuse_port = false;
};

struct auth_settings {
   std::string jwt_secret; ///< HS256 secret; required unless only sessions are used
   std::string session_prefix = "session:"; ///< empty disables Redis session tokens
   bool allow_insecure_user_id = false;     ///< the seed's {"type":"auth","userId":...}
   std::chrono::milliseconds timeout{10000};
   std::chrono::seconds jwt_leeway{30};
   /// After this many failed authentications from one address within `lockout`, its further
   /// attempts are refused until `lockout` has passed since the last counted failure. 0 = off.
   unsigned max_failures = 5;
   std::chrono::seconds lockout{900};
   /// The web app's express-session cookie (express-session names it connect.sid), sent by the
   /// browser with the upgrade. Empty: cookie authentication is off. Needs cookie_secrets and a
   /// server.allowed_origins list without "*".
   std::string cookie_name;
   /// express-session's `secret` (an array there too): the first that verifies a cookie wins.
   std::vector<std::string> cookie_secrets;
   std::string cookie_session_prefix = "sess:"; ///< connect-redis' prefix: GET <prefix><sid>
   std::string cookie_user_field = "userId";    ///< the user id's field in the session JSON
};

struct limits_settings {
   std::size_t max_inbound_bytes = 4096;
   unsigned max_protocol_errors = 5; ///< bad client messages tolerated before closing with 1008
   /// Unsent bytes / messages a connection may hold; beyond either it is closed with 4004.
   std::size_t max_queued_bytes = std::size_t{1024} * 1024;
   std::size_t max_queued_messages = 4096;
   /// 0 = no limit (beyond the open-file limit). Over the total or per-IP limit the upgrade is
   /// refused (503 / 429); over the per-user limit the connection is closed with 4003 after auth.
   std::size_t max_connections = 0;
   std::size_t max_connections_per_user = 0;
   /// instance: max_connections_per_user counts this process's connections; all_instances:
   /// every gateway's on the same Redis (kept in the presence keys, needs presence.enabled).
   std::string max_connections_per_user_scope = "instance";
   /// max_connections_per_user is counted over every gateway (in Redis), not per process.
   bool per_user_limit_is_shared() const {
      return max_connections_per_user > 0 && max_connections_per_user_scope == "all_instances";
   }
   std::size_t max_connections_per_ip = 0;
   /// Token bucket per client address for WebSocket handshakes: refilled at this many per
   /// second, holding at most `handshake_burst_per_ip`. 0 = no rate limit. Over it: HTTP 429.
   unsigned handshake_rate_per_ip = 0;
   unsigned handshake_burst_per_ip = 20;
};

struct routing_settings {
   std::string user_channel_pattern = "user:*:notifications"; ///< exactly one '*'
   std::string global_channel = "global_notifications";
   std::size_t max_payload_bytes = std::size_t{1024} * 1024;
   std::size_t max_user_id_bytes = 256;
};

/// Presence across instances: every authenticated connection is a member of its user's sorted
/// set <history.prefix>{user:<id>}:presence (score: when it expires, Redis' clock in ms), kept
/// fresh by the gateway, so a backend can ask whether a user is connected anywhere.
struct presence_settings {
   bool enabled = true;
   /// A member not refreshed for this long (its gateway died) no longer counts; the gateway
   /// refreshes every member three times per ttl.
   std::chrono::milliseconds ttl{60000};
};

struct log_settings {
   std::string level = "info"; ///< trace, debug, info, warn, error, critical, off
};

/// Every setting of the gateway, with its default. config/gateway.json mirrors this.
struct settings {
   server_settings server;
   auth_settings auth;
   limits_settings limits;
   routing_settings routing;
   history::settings history;
   redis::settings redis;
   presence_settings presence;
   log_settings log;
   /// True when Redis was set by a config file, REDIS_URL/REDIS_* or a flag (scripts/run uses it
   /// to decide whether to start a private redis-server).
   bool redis_configured = false;
};

} // namespace notify::config
