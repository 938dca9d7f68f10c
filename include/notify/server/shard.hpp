#pragma once

#include "notify/history/stream_reader.hpp"
#include "notify/history/stream_watermark.hpp"
#include "notify/routing/history_names.hpp"
#include "notify/server/connection_registry.hpp"
#include "notify/server/gateway_context.hpp"
#include "notify/server/net.hpp"
#include "notify/server/presence_tracker.hpp"
#include "notify/ws/frame.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace notify::server {

class websocket_session;

/// One event loop on one thread with the connections that live on it. Everything here is
/// touched by the shard's own thread only (except post()).
class shard {
public:
   shard(unsigned index, gateway_context& context);
   ~shard();
   shard(const shard&) = delete;
   shard& operator=(const shard&) = delete;

   unsigned index() const { return index_; }
   net::io_context& io() { return io_; }
   gateway_context& context() { return context_; }
   /// This shard's counters: written by its thread only, summed when scraped.
   metrics::shard_metrics& metrics() { return metrics_; }
   connection_registry& registry() { return registry_; }

   /// History reads for this shard's connections; null when history.enabled is false.
   history::stream_reader* history_reader() { return history_reader_.get(); }
   /// This shard's presence writes; null when presence.enabled is false.
   presence_tracker* presence() { return presence_.get(); }
   const routing::history_names& history_names() const { return history_names_; }
   /// The Redis subscription was re-established after a loss: every connection that follows a
   /// history stream reads what it may have missed meanwhile.
   void repair_history();
   /// Cluster mode: the shard channels of `users` (and the global one when `global`) were
   /// subscribed again: only their connections read what they may have missed.
   void repair_streams(const std::vector<std::string>& users, bool global);
   /// The Redis subscription is down: this shard may miss messages from now on.
   void history_link_lost();
   /// A global entry this shard received or read.
   void observe_global_position(stream_id seen) { global_watermark_.observe(seen); }
   /// Where a new connection that does not resume may start in its user's stream (`user_id`)
   /// or the global one (empty), known from what this shard has seen; nullopt when it must read.
   std::optional<stream_id> known_start(const std::string& user_id, bool global) const;

   /// Scratch space for socket reads: connections keep no read buffer of their own while idle.
   std::vector<char>& read_buffer() { return read_buffer_; }

   /// Frames every connection of this shard sends alike, built once per shard.
   const ws::shared_frame& ping_frame() const { return ping_frame_; }
   const ws::shared_frame& pong_message_frame() const { return pong_message_frame_; }

   /// Queues a connection to write what it has queued, once the current batch of deliveries is
   /// done, so several messages leave in one vectored write.
   void schedule_flush(std::shared_ptr<websocket_session> session);

   /// Starts the periodic walk that enforces auth, idle and close deadlines and sends pings.
   void start();
   /// Closes every connection with 1001 and stops the loop when none is left, or at the deadline.
   void begin_shutdown();
   /// A user's first connection on this shard arrived (true) or its last one left (false).
   void user_presence_changed(const std::string& user_id, bool present);
   /// Calls session->on_presence_synced() once the router has applied every presence change
   /// of this shard made so far.
   void sync_presence(const std::shared_ptr<websocket_session>& session);
   /// Called by a connection that just left the registry.
   void on_connection_left();
   /// Stops the loop now.
   void stop();

private:
   void run_flush();
   void forward_presence_changes();
   void post_presence_forward();
   void schedule_tick();
   void on_tick();
   void refresh_presence_slice();
   /// One slice of a round over the connections: 1/`slices` of them, from the back, where
   /// `cursor` stopped. A connection that ends during its visit swaps the last one into its
   /// slot, which this round has visited already.
   template <class Visit> void visit_slice(std::size_t& cursor, std::size_t slices, Visit visit);

   unsigned index_;
   gateway_context& context_;
   /// Kept here so that counting reads nothing that another thread writes (the global counters
   /// next to the block table are written by the Redis link).
   metrics::shard_metrics& metrics_;
   // Declared before io_ so that connections, destroyed with io_'s pending handlers, can still
   // leave it.
   connection_registry registry_;
   std::vector<char> read_buffer_;
   ws::shared_frame ping_frame_;
   ws::shared_frame pong_message_frame_;
   std::vector<std::shared_ptr<websocket_session>> dirty_;
   std::vector<std::shared_ptr<websocket_session>> flushing_;
   bool flush_posted_ = false;
   /// User presence changes of this loop turn, forwarded to the router in one post.
   std::vector<std::pair<std::string, bool>> presence_changes_;
   std::vector<std::weak_ptr<websocket_session>> awaiting_presence_sync_;
   bool presence_post_pending_ = false;
   net::io_context io_{1};
   net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
   net::steady_timer tick_timer_{io_};
   /// Ticks per full sweep of the connections' deadlines.
   static constexpr std::size_t sweep_slices = 20;
   std::size_t sweep_cursor_ = 0;
   std::optional<net::steady_timer> shutdown_deadline_;
   routing::history_names history_names_;
   history::stream_watermark global_watermark_;
   // After io_: its Redis link is closed before the loop goes away.
   std::unique_ptr<history::stream_reader> history_reader_;
   std::unique_ptr<presence_tracker> presence_;
   /// Walks the connections for presence refreshes, apart from the deadline sweep: a full
   /// round takes a third of presence.ttl_ms.
   std::size_t presence_cursor_ = 0;
   std::size_t presence_ticks_per_round_ = 1;
   bool draining_ = false;
   bool stopped_ = false;
};

} // namespace notify::server
