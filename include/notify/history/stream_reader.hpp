#pragma once

#include "notify/common/stream_id.hpp"
#include "notify/history/stream_cursor.hpp"
#include "notify/redis/settings.hpp"
#include "notify/routing/channel.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace notify::redis {
class request_client;
}

namespace notify::history {

/// Reads history streams for one shard's connections, on a Redis link of its own. Identical
/// reads in flight at the same time (the same stream from the same position: every connection
/// of a shard after a Redis outage, all tabs of one user) share one round trip and one
/// framed result. Use from the shard's thread only.
class stream_reader {
public:
   using outcome_ptr = std::shared_ptr<const read_outcome>;
   using handler = std::function<void(boost::system::error_code, outcome_ptr)>;

   stream_reader(boost::asio::any_io_executor executor, redis::settings const& config,
                 std::size_t max_replay, std::size_t max_payload_bytes);
   ~stream_reader();
   stream_reader(stream_reader const&) = delete;
   stream_reader& operator=(stream_reader const&) = delete;

   /// The stream's newest entry (outcome.entries empty).
   void read_tail(const std::string& key, handler done);
   /// Entries after `after` (at most max_replay, the newest when there are more), and the
   /// stream's newest entry.
   void read_after(const std::string& key, routing::route target, stream_id after, handler done);

   /// Fails reads in flight with errc::stopped. Final.
   void stop();

   /// Round trips started (for tests and metrics: grouping shows as fewer reads than callers).
   std::size_t reads_started() const { return reads_started_; }

private:
   struct waiting;
   void finish(std::string const& request, boost::system::error_code ec,
               const outcome_ptr& outcome);

   std::unique_ptr<redis::request_client> client_;
   std::size_t max_replay_;
   std::size_t max_payload_bytes_;
   std::map<std::string, std::vector<handler>> waiting_; ///< by request: key, mode, position
   std::size_t reads_started_ = 0;
   std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace notify::history
