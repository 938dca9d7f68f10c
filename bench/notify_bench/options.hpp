#pragma once

// Command line of notify-bench: every option, its default and its validation. Pure: no I/O.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace notify::bench {

enum class scenario_kind { idle, user, broadcast, single_broadcast, max_clients };

/// "idle", "user", "broadcast", "single-broadcast", "max-clients".
std::string_view scenario_name(scenario_kind kind);

/// ws://HOST[:PORT][/PATH[?QUERY]]; target is path plus query, "/" at least.
/// How messages reach Redis: plain PUBLISH (at most once), or FCALL notify_publish (appended to
/// the target's history stream first, as publishers with reliable delivery do).
enum class publish_mode { publish, fcall, spublish };

struct ws_url {
   std::string host = "127.0.0.1";
   std::uint16_t port = 8080;
   std::string target = "/ws";
};

struct host_port {
   std::string host = "127.0.0.1";
   std::uint16_t port = 6379;
};

struct bench_options {
   ws_url url;
   host_port redis;
   std::size_t connections = 1000;
   std::size_t users = 0; ///< 0 until parsed: then --users, or --connections when not given
   unsigned sources = 50;
   std::size_t handshake_concurrency = 256;
   std::string jwt_secret;   ///< token auth: ?token=<JWT> minted per user
   std::string auth_message; ///< first-message auth: "{uid}" replaced by the user id
   scenario_kind scenario = scenario_kind::idle;
   double rate = 10000;     ///< user: messages per second
   double duration_s = 15;  ///< user: seconds of publishing
   std::size_t bursts = 50; ///< broadcast
   std::size_t burst_size = 10;
   std::chrono::milliseconds burst_timeout{10000};
   std::size_t count = 20;          ///< single-broadcast
   std::size_t step = 1000;         ///< max-clients
   std::size_t max_connections = 0; ///< max-clients; 0: as many as the open-file limit allows
   double bound_ms = 500;
   std::optional<int> server_pid;
   std::chrono::milliseconds warmup{1000};
   bool json = false;
   bool progress = false;
   std::chrono::seconds timeout{600};
   std::size_t payload_bytes = 64;
   publish_mode publish = publish_mode::publish;
   /// --redis is a seed of a Redis Cluster: publishes go to the master of each key's slot.
   bool redis_cluster = false;
   /// User ids are user_offset + i % users: several clients can load one gateway farm with
   /// disjoint users.
   std::uint64_t user_offset = 0;
   std::string label;

   bool uses_tokens() const { return !jwt_secret.empty(); }
};

/// Bad command line: the message names the option; the caller prints it and exits 2.
class option_error : public std::runtime_error {
public:
   using std::runtime_error::runtime_error;
};

struct parsed_command_line {
   bench_options options;
   bool help = false;
};

/// Parses the arguments after the program name. `env_jwt_secret` (NOTIFY_JWT_SECRET) is used
/// when neither --jwt-secret nor --auth-message is given, so a secret can stay out of `ps`.
/// Throws option_error.
parsed_command_line parse_command_line(std::span<const std::string_view> args,
                                       std::optional<std::string_view> env_jwt_secret);

/// Throws option_error for anything that is not ws://host[:port][/path].
ws_url parse_ws_url(std::string_view text);

/// "host:port" or "host" (port 6379). Throws option_error.
host_port parse_host_port(std::string_view text);

/// What --help prints.
std::string usage_text();

} // namespace notify::bench
