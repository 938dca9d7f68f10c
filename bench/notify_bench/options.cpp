#include "options.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

namespace notify::bench {

namespace {

constexpr std::size_t max_connections_limit = 10'000'000;

[[noreturn]] void fail(std::string_view option, std::string_view problem) {
   throw option_error(std::string(option) + ": " + std::string(problem));
}

std::string quoted(std::string_view text) {
   constexpr std::size_t shown = 60;
   std::string out = "\"";
   out.append(text.substr(0, shown));
   if (text.size() > shown) {
      out += "...";
   }
   return out + "\"";
}

std::uint64_t parse_unsigned(std::string_view option, std::string_view text, std::uint64_t min,
                             std::uint64_t max) {
   std::uint64_t value = 0;
   auto const [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
   if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
      fail(option, "expected a whole number (got " + quoted(text) + ")");
   }
   if (value < min || value > max) {
      fail(option, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                       " (got " + quoted(text) + ")");
   }
   return value;
}

double parse_positive_double(std::string_view option, std::string_view text, double max) {
   double value = 0;
   auto const [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
   if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
       !std::isfinite(value) || value <= 0 || value > max) {
      fail(option, "expected a number above 0 and at most " + std::to_string(max) + " (got " +
                       quoted(text) + ")");
   }
   return value;
}

std::uint16_t parse_port(std::string_view option, std::string_view text) {
   return static_cast<std::uint16_t>(parse_unsigned(option, text, 1, 65535));
}

bool valid_host(std::string_view host) {
   if (host.empty() || host.size() > 253) {
      return false;
   }
   for (char const c : host) {
      bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
      if (!ok) {
         return false;
      }
   }
   return true;
}

bool printable_ascii(std::string_view text) {
   for (char const c : text) {
      if (c <= 0x20 || c >= 0x7f) {
         return false;
      }
   }
   return true;
}

scenario_kind parse_scenario(std::string_view text) {
   for (auto kind : {scenario_kind::idle, scenario_kind::user, scenario_kind::broadcast,
                     scenario_kind::single_broadcast, scenario_kind::max_clients}) {
      if (scenario_name(kind) == text) {
         return kind;
      }
   }
   fail("--scenario", "expected idle, user, broadcast, single-broadcast or max-clients (got " +
                          quoted(text) + ")");
}

using value_handler =
    std::function<void(bench_options&, std::string_view option, std::string_view)>;

const std::map<std::string_view, value_handler>& value_options() {
   static const std::map<std::string_view, value_handler> handlers = {
       {"--url", [](auto& o, auto, auto v) { o.url = parse_ws_url(v); }},
       {"--redis", [](auto& o, auto, auto v) { o.redis = parse_host_port(v); }},
       {"--connections",
        [](auto& o, auto n, auto v) {
           o.connections = parse_unsigned(n, v, 1, max_connections_limit);
        }},
       {"--users",
        [](auto& o, auto n, auto v) { o.users = parse_unsigned(n, v, 1, max_connections_limit); }},
       {"--sources",
        [](auto& o, auto n, auto v) {
           o.sources = static_cast<unsigned>(parse_unsigned(n, v, 1, 254));
        }},
       {"--handshake-concurrency",
        [](auto& o, auto n, auto v) {
           o.handshake_concurrency = parse_unsigned(n, v, 1, 100'000);
        }},
       {"--jwt-secret",
        [](auto& o, auto n, auto v) {
           if (v.empty()) {
              fail(n, "must not be empty");
           }
           o.jwt_secret = std::string(v);
        }},
       {"--auth-message",
        [](auto& o, auto n, auto v) {
           if (v.find("{uid}") == std::string_view::npos) {
              fail(n, "must contain {uid}, the place of the user id (got " + quoted(v) + ")");
           }
           o.auth_message = std::string(v);
        }},
       {"--scenario", [](auto& o, auto, auto v) { o.scenario = parse_scenario(v); }},
       {"--rate",
        [](auto& o, auto n, auto v) { o.rate = parse_positive_double(n, v, 10'000'000); }},
       {"--duration",
        [](auto& o, auto n, auto v) { o.duration_s = parse_positive_double(n, v, 86'400); }},
       {"--bursts", [](auto& o, auto n, auto v) { o.bursts = parse_unsigned(n, v, 1, 1'000'000); }},
       {"--burst-size",
        [](auto& o, auto n, auto v) { o.burst_size = parse_unsigned(n, v, 1, 100'000); }},
       {"--burst-timeout",
        [](auto& o, auto n, auto v) {
           o.burst_timeout = std::chrono::milliseconds(parse_unsigned(n, v, 1, 3'600'000));
        }},
       {"--count", [](auto& o, auto n, auto v) { o.count = parse_unsigned(n, v, 1, 1'000'000); }},
       {"--step",
        [](auto& o, auto n, auto v) { o.step = parse_unsigned(n, v, 1, max_connections_limit); }},
       {"--max-connections",
        [](auto& o, auto n, auto v) {
           o.max_connections = parse_unsigned(n, v, 1, max_connections_limit);
        }},
       {"--bound-ms",
        [](auto& o, auto n, auto v) { o.bound_ms = parse_positive_double(n, v, 3'600'000); }},
       {"--server-pid",
        [](auto& o, auto n, auto v) {
           o.server_pid =
               static_cast<int>(parse_unsigned(n, v, 1, std::numeric_limits<int>::max()));
        }},
       {"--warmup-ms",
        [](auto& o, auto n, auto v) {
           o.warmup = std::chrono::milliseconds(parse_unsigned(n, v, 0, 3'600'000));
        }},
       {"--timeout-s",
        [](auto& o, auto n, auto v) {
           o.timeout = std::chrono::seconds(parse_unsigned(n, v, 1, 86'400));
        }},
       {"--payload-bytes",
        [](auto& o, auto n, auto v) {
           o.payload_bytes = parse_unsigned(n, v, 1, 16 * 1024 * 1024);
        }},
       {"--publish",
        [](auto& o, auto n, auto v) {
           if (v == "publish") {
              o.publish = publish_mode::publish;
           } else if (v == "fcall") {
              o.publish = publish_mode::fcall;
           } else if (v == "spublish") {
              o.publish = publish_mode::spublish;
           } else {
              fail(n, "expected publish, fcall or spublish (got " + quoted(v) + ")");
           }
        }},
       {"--user-offset",
        [](auto& o, auto n, auto v) { o.user_offset = parse_unsigned(n, v, 0, 1'000'000'000); }},
       {"--label", [](auto& o, auto, auto v) { o.label = std::string(v); }},
   };
   return handlers;
}

void finish(bench_options& options, bool users_given, bool secret_given, bool message_given,
            std::optional<std::string_view> env_jwt_secret) {
   if (secret_given && message_given) {
      fail("--jwt-secret", "use either --jwt-secret or --auth-message, not both");
   }
   if (!secret_given && !message_given) {
      if (!env_jwt_secret || env_jwt_secret->empty()) {
         fail("--jwt-secret", "give --jwt-secret SECRET (or NOTIFY_JWT_SECRET) for token auth, or "
                              "--auth-message TEMPLATE for first-message auth");
      }
      options.jwt_secret = std::string(*env_jwt_secret);
   }
   if (!users_given) {
      // max-clients grows to an unknown count: give every connection a user of its own.
      options.users = options.scenario == scenario_kind::max_clients ? max_connections_limit
                                                                     : options.connections;
   } else if (options.scenario != scenario_kind::max_clients &&
              options.users > options.connections) {
      fail("--users", "cannot exceed --connections (" + std::to_string(options.connections) + ")");
   }
   if (options.max_connections != 0 && options.max_connections < options.step) {
      fail("--max-connections", "must be at least --step (" + std::to_string(options.step) + ")");
   }
}

} // namespace

std::string_view scenario_name(scenario_kind kind) {
   switch (kind) {
   case scenario_kind::idle:
      return "idle";
   case scenario_kind::user:
      return "user";
   case scenario_kind::broadcast:
      return "broadcast";
   case scenario_kind::single_broadcast:
      return "single-broadcast";
   case scenario_kind::max_clients:
      return "max-clients";
   }
   return "unknown";
}

ws_url parse_ws_url(std::string_view text) {
   constexpr std::string_view scheme = "ws://";
   if (!text.starts_with(scheme)) {
      fail("--url",
           "expected ws://HOST[:PORT][/PATH] (wss is not supported; got " + quoted(text) + ")");
   }
   std::string_view rest = text.substr(scheme.size());
   std::size_t const target_start = rest.find_first_of("/?");
   std::string_view authority = rest.substr(0, target_start);
   std::string_view target =
       target_start == std::string_view::npos ? std::string_view("/") : rest.substr(target_start);
   if (!printable_ascii(target)) {
      fail("--url", "the path must be printable ASCII without spaces (got " + quoted(text) + ")");
   }
   ws_url url;
   url.port = 80;
   if (auto const colon = authority.rfind(':'); colon != std::string_view::npos) {
      url.port = parse_port("--url", authority.substr(colon + 1));
      authority = authority.substr(0, colon);
   }
   if (!valid_host(authority)) {
      fail("--url", "bad host in " + quoted(text));
   }
   url.host = std::string(authority);
   url.target = target.starts_with('?') ? "/" + std::string(target) : std::string(target);
   return url;
}

host_port parse_host_port(std::string_view text) {
   host_port result;
   std::string_view host = text;
   if (auto const colon = text.rfind(':'); colon != std::string_view::npos) {
      result.port = parse_port("--redis", text.substr(colon + 1));
      host = text.substr(0, colon);
   }
   if (!valid_host(host)) {
      fail("--redis", "expected HOST:PORT (got " + quoted(text) + ")");
   }
   result.host = std::string(host);
   return result;
}

parsed_command_line parse_command_line(std::span<const std::string_view> args,
                                       std::optional<std::string_view> env_jwt_secret) {
   parsed_command_line result;
   bool users_given = false;
   bool secret_given = false;
   bool message_given = false;
   for (std::size_t i = 0; i < args.size(); ++i) {
      std::string_view arg = args[i];
      if (arg == "-h" || arg == "--help") {
         result.help = true;
         return result;
      }
      if (arg == "--json") {
         result.options.json = true;
         continue;
      }
      if (arg == "--progress") {
         result.options.progress = true;
         continue;
      }
      if (arg == "--redis-cluster") {
         result.options.redis_cluster = true;
         continue;
      }
      std::string_view name = arg;
      std::optional<std::string_view> value;
      if (auto const equals = arg.find('=');
          arg.starts_with("--") && equals != std::string_view::npos) {
         name = arg.substr(0, equals);
         value = arg.substr(equals + 1);
      }
      auto const handler = value_options().find(name);
      if (handler == value_options().end()) {
         fail(quoted(arg), "unknown option (see --help)");
      }
      if (!value) {
         if (i + 1 >= args.size()) {
            fail(name, "needs a value (see --help)");
         }
         value = args[++i];
      }
      handler->second(result.options, name, *value);
      users_given = users_given || name == "--users";
      secret_given = secret_given || name == "--jwt-secret";
      message_given = message_given || name == "--auth-message";
   }
   finish(result.options, users_given, secret_given, message_given, env_jwt_secret);
   return result;
}

std::string usage_text() {
   return R"(Usage: notify-bench [options]
Load generator for notify-gateway (and any server speaking the same protocol): opens WebSocket
connections, publishes to Redis, counts every delivery and measures latency publish -> receive.

Target and auth:
  --url ws://HOST:PORT/PATH     WebSocket endpoint (ws://127.0.0.1:8080/ws)
  --redis HOST:PORT             Redis to publish to (127.0.0.1:6379)
  --jwt-secret SECRET           mint an HS256 token per user, sent as ?token= (or NOTIFY_JWT_SECRET)
  --auth-message TEMPLATE       send TEMPLATE as first message, {uid} replaced by the user id,
                                e.g. '{"type":"auth","userId":"{uid}"}'; waits for "auth_ok"
Connections:
  --connections N               connections to open (1000); connection i is user i % U
  --users U                     distinct users (default N)
  --sources S                   spread client addresses over 127.0.0.1..S (50), loopback only
  --handshake-concurrency C     handshakes in flight at most (256)
Scenario:
  --scenario NAME               idle | user | broadcast | single-broadcast | max-clients (idle)
  --rate R  --duration S        user: R messages/s to user channels for S seconds (10000, 15)
  --bursts B  --burst-size K    broadcast: B closed-loop bursts of K global messages (50, 10)
  --burst-timeout MS            wait at most this long for a burst or broadcast (10000)
  --count C                     single-broadcast: C broadcasts, one at a time (20)
  --step N  --max-connections M max-clients: add N connections per step up to M (1000, file limit)
  --bound-ms MS                 max-clients: latency p95 bound (500)
  --payload-bytes B             size of each published payload, at least (64)
  --publish MODE                publish: PUBLISH to the classic channels (default); fcall:
                                FCALL notify_publish (history on in the gateway); spublish:
                                SPUBLISH to the same channel names (shard channels, cluster)
  --redis-cluster               --redis is a Redis Cluster seed: each publish goes to the master
                                of its slot (CLUSTER SLOTS read at start, one link per master)
  --user-offset N               user ids start at N (0): several clients, disjoint users
Measurement and output:
  --server-pid PID              sample the server's RSS and CPU from /proc
  --warmup-ms MS                pause after connecting, before measuring (1000)
  --label TEXT                  server_label in the JSON line
  --json                        print one JSON line on stdout (last line); summary on stderr
  --progress                    a progress line on stderr once a second
  --timeout-s S                 hard stop for the whole run (600)
Exit status: 0 when the run completed with nothing lost, duplicated or misrouted; 1 otherwise;
2 on bad options.
)";
}

} // namespace notify::bench
