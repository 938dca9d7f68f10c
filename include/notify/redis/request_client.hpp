#pragma once

#include "notify/redis/reply.hpp"
#include "notify/redis/settings.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace notify::redis {

/// Request/response Redis access (session lookups, history reads), whether Redis is one server
/// (command_client) or a cluster (cluster_client, which sends each command to the master of its
/// key's slot). Use from one executor (thread) only. Handlers are never called from inside the
/// call that makes the request.
class request_client {
public:
   using get_handler =
       std::function<void(boost::system::error_code, std::optional<std::string> value)>;
   using reply_handler = std::function<void(boost::system::error_code, reply)>;

   virtual ~request_client() = default;

   /// Any command that is not a subscription. An error reply (WRONGTYPE, NOSCRIPT, ...) is a
   /// reply, not an error_code. On a cluster the key is args[1], or args[3] for FCALL,
   /// FCALL_RO, EVAL and EVALSHA with keys.
   virtual void command(std::vector<std::string> args, reply_handler handler) = 0;

   /// Fails everything waiting with errc::stopped and closes the links. Final.
   virtual void stop() = 0;

   /// GET key. value = nullopt for a nil reply (missing key); errc::protocol_error for a
   /// non-string answer (WRONGTYPE, NOAUTH, ...), besides the errors of command().
   void get(std::string key, get_handler handler);
};

/// A cluster_client for redis.mode cluster, else a command_client.
std::unique_ptr<request_client> make_request_client(boost::asio::any_io_executor executor,
                                                    settings const& config);

} // namespace notify::redis
