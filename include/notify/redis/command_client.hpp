#pragma once

#include "notify/redis/reply.hpp"
#include "notify/redis/request_client.hpp"
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
class command_client final : public request_client {
public:
   /// `max_waiting`: requests that may queue while the link is being established.
   command_client(boost::asio::any_io_executor executor, settings config,
                  std::size_t max_waiting = 1024);
   /// Stops, as stop() does.
   ~command_client() override;
   command_client(command_client const&) = delete;
   command_client& operator=(command_client const&) = delete;

   /// Errors: the connect failure, errc::not_connected, errc::queue_full,
   /// errc::connection_lost, errc::stopped, boost::asio::error::timed_out.
   void command(std::vector<std::string> args, reply_handler handler) override;

   /// Fails everything waiting with errc::stopped and closes the link. Final.
   void stop() override;

private:
   class impl;
   std::shared_ptr<impl> impl_;
};

} // namespace notify::redis
