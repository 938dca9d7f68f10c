#pragma once

#include "notify/config/settings.hpp"
#include "notify/metrics/gateway_metrics.hpp"
#include "notify/routing/history_names.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace notify::redis {
class request_client;
}

namespace notify::server {

/// One shard's part of presence across instances (config::presence_settings): each
/// authenticated connection is a member of its user's <prefix>{user:<id>}:presence set, written
/// through the function library (notify_presence_join) on the user's slot owner. The shard's
/// thread only.
class presence_tracker {
public:
   enum class join_result {
      admitted,    ///< counted; within the limit
      over_limit,  ///< the user had `limit` live connections on all gateways together
      unavailable, ///< Redis did not answer: counted later, by the refresh
   };
   using join_handler = std::function<void(join_result)>;

   presence_tracker(boost::asio::any_io_executor executor, const config::settings& settings,
                    unsigned shard_index, metrics::counter& write_failures);
   ~presence_tracker();
   presence_tracker(const presence_tracker&) = delete;
   presence_tracker& operator=(const presence_tracker&) = delete;

   /// Whether `user_id` can have a presence key: an id with '}' would leave the user's slot.
   static bool tracks(std::string_view user_id);
   /// A member number no other connection of this process holds (never 0).
   std::uint32_t next_member();

   /// Adds the connection; with `limit` > 0 only while the user has fewer live connections. The
   /// handler (may be empty) runs on the shard's thread, never inside this call.
   void join(std::string_view user_id, std::uint32_t member, std::size_t limit,
             join_handler handler);
   /// Pushes the member's expiry a ttl ahead (adding it again if it had expired).
   void refresh(std::string_view user_id, std::uint32_t member);
   void leave(std::string_view user_id, std::uint32_t member);
   /// Calls `done` once every write sent so far is answered (at once when none is waiting): a
   /// gateway that shuts down takes its members with it instead of leaving them to expire.
   void when_idle(std::function<void()> done);
   void stop();

private:
   std::string member_name(std::uint32_t member) const;
   void send(std::vector<std::string> command, std::function<void(bool taken, long long)> done);

   std::unique_ptr<redis::request_client> client_;
   routing::history_names names_;
   std::string member_prefix_; ///< "<host>:<pid>:<shard>:"
   std::string ttl_ms_;
   metrics::counter& write_failures_;
   std::uint32_t last_member_ = 0;
   std::size_t in_flight_ = 0;
   std::function<void()> on_idle_;
};

} // namespace notify::server
