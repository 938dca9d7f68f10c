#pragma once

#include "notify/redis/reply.hpp"
#include "notify/redis/settings.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace notify::redis {

/// Plain request/response client (session lookups, history reads), on a connection of its own,
/// never the subscriber's. Connects lazily on the first request. When the link is down, the next
/// request tries again, but no more often than a backoff allows: requests in between fail at once
/// with errc::not_connected, so a dead Redis costs callers nothing but a fast error. When the
/// oldest request has waited settings.connect_timeout and no answer came for as long, the link is
/// dropped and every request on it fails with boost::asio::error::timed_out (a Redis that answers
/// nothing in that time is not healthy; one still working through a long pipeline is). Use from
/// one executor (thread) only. Handlers are never called from inside get().
class command_client {
public:
   using get_handler =
       std::function<void(boost::system::error_code, std::optional<std::string> value)>;
   using reply_handler = std::function<void(boost::system::error_code, reply)>;

   /// `max_waiting`: requests that may queue while the link is being established.
   command_client(boost::asio::any_io_executor executor, settings config,
                  std::size_t max_waiting = 1024);
   /// Stops, as stop() does.
   ~command_client();
   command_client(command_client const&) = delete;
   command_client& operator=(command_client const&) = delete;

   /// GET key. value = nullopt for a nil reply (missing key). Errors: the connect failure,
   /// errc::not_connected, errc::queue_full, errc::connection_lost, errc::stopped,
   /// boost::asio::error::timed_out, or errc::protocol_error for a non-string answer
   /// (WRONGTYPE, NOAUTH, ...).
   void get(std::string key, get_handler handler);

   /// Any command that is not a subscription. The same errors as get(); an error reply
   /// (WRONGTYPE, NOSCRIPT, ...) is a reply, not an error_code.
   void command(std::vector<std::string> args, reply_handler handler);

   /// Fails everything waiting with errc::stopped and closes the link. Final.
   void stop();

private:
   class impl;
   std::shared_ptr<impl> impl_;
};

} // namespace notify::redis
