#include "notify/redis/cluster_subscriber.hpp"

#include "notify/common/logging.hpp"
#include "notify/redis/pubsub_link.hpp"
#include "notify/redis/shard_channel_plan.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <spdlog/spdlog.h>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace notify::redis {

namespace {

using boost::system::error_code;
using clock = std::chrono::steady_clock;

bool all_strings(std::vector<reply> const& parts) {
   return std::all_of(parts.begin(), parts.end(),
                      [](reply const& part) { return part.type == reply::kind::string; });
}

} // namespace

class cluster_subscriber::impl : public std::enable_shared_from_this<impl> {
public:
   impl(boost::asio::any_io_executor executor, settings config, subscription_set classic,
        std::vector<std::string> permanent, handlers callbacks)
       : executor_(std::move(executor))
       , settings_(std::move(config))
       , classic_(std::move(classic))
       , permanent_(std::move(permanent))
       , handlers_(std::move(callbacks))
       , client_(executor_, settings_)
       , plan_(settings_.unsubscribe_delay)
       , refresh_timer_(executor_)
       , sweep_timer_(executor_) {
      for (auto const& channel : permanent_) {
         plan_.acquire(channel);
      }
   }

   void start() {
      if (started_) {
         return;
      }
      started_ = true;
      refresh_topology();
      schedule_refresh(settings_.topology_refresh_interval);
      schedule_sweep();
      report();
   }

   void stop() {
      stopped_ = true;
      refresh_timer_.cancel();
      sweep_timer_.cancel();
      for (auto& [node, link] : links_) {
         link->stop();
      }
      links_.clear();
      client_.stop();
      for (auto& [channel, waiters] : std::exchange(waiters_, {})) {
         for (auto& entry : waiters) {
            entry->remaining = 0;
         }
      }
   }

   void acquire(std::string const& channel) {
      plan_.acquire(channel);
      schedule_flush();
   }

   void release(std::string const& channel) {
      plan_.release(channel, clock::now());
      schedule_flush();
   }

   void when_subscribed(std::vector<std::string> const& channels, std::function<void()> done) {
      auto entry = std::make_shared<waiter>();
      entry->done = std::move(done);
      for (auto const& channel : channels) {
         if (confirmed_.contains(channel) || !can_subscribe_now(channel)) {
            continue;
         }
         ++entry->remaining;
         waiters_[channel].push_back(entry);
      }
      if (entry->remaining == 0) {
         finish(entry);
         return;
      }
      // A backstop: whatever happens to the link, the connections waiting go on in bounded time
      // (their gap is repaired once the channel is subscribed).
      auto timer = std::make_shared<boost::asio::steady_timer>(executor_);
      timer->expires_after(2 * settings_.connect_timeout);
      timer->async_wait([weak = weak_from_this(), entry, timer](error_code ec) {
         if (auto self = weak.lock(); self && !ec && entry->remaining > 0) {
            entry->remaining = 0;
            self->finish(entry);
         }
      });
   }

   bool ready() const { return ready_; }
   std::size_t channel_count() const { return plan_.channel_count(); }
   std::size_t master_count() const { return links_.size(); }
   cluster_client& client() { return client_; }

private:
   struct waiter {
      std::size_t remaining = 0;
      std::function<void()> done;
   };

   void finish(std::shared_ptr<waiter> const& entry) {
      if (entry->done) {
         boost::asio::post(executor_, std::exchange(entry->done, nullptr));
      }
   }

   /// Whether a confirmation can come without a topology change or a reconnect.
   bool can_subscribe_now(std::string const& channel) const {
      if (!topology_) {
         return false;
      }
      auto const owner = topology_->master_of_slot(hash_slot(channel));
      if (!owner) {
         return false;
      }
      auto const link = links_.find(topology_->masters()[*owner]);
      return link != links_.end() && link->second->is_up();
   }

   void release_waiters(std::string const& channel) {
      auto found = waiters_.find(channel);
      if (found == waiters_.end()) {
         return;
      }
      for (auto& entry : found->second) {
         if (entry->remaining > 0 && --entry->remaining == 0) {
            finish(entry);
         }
      }
      waiters_.erase(found);
   }

   // --- topology -----------------------------------------------------------------------------

   void schedule_refresh(std::chrono::milliseconds delay) {
      refresh_timer_.expires_after(delay);
      refresh_timer_.async_wait([weak = weak_from_this()](error_code ec) {
         if (auto self = weak.lock(); self && !ec && !self->stopped_) {
            self->refresh_topology();
            self->schedule_refresh(self->settings_.topology_refresh_interval);
         }
      });
   }

   void refresh_topology() {
      if (stopped_) {
         return;
      }
      client_.fetch_topology(
          [weak = weak_from_this()](std::shared_ptr<const cluster_topology> topology,
                                    const std::string& why) {
             if (auto self = weak.lock(); self && !self->stopped_) {
                self->on_topology(std::move(topology), why);
             }
          });
   }

   void on_topology(std::shared_ptr<const cluster_topology> topology, std::string const& why) {
      if (!topology) {
         topology_problem_ = why;
         report();
         // Sooner than the periodic check: nothing works until a node answers.
         schedule_refresh(settings_.reconnect_max_delay);
         return;
      }
      topology_problem_.clear();
      bool const changed = !topology_ || topology_->masters() != topology->masters() ||
                           !same_owners(*topology_, *topology);
      topology_ = std::move(topology);
      if (changed) {
         lose(plan_.adopt(*topology_));
         follow_masters();
         if (auto const unserved = topology_->uncovered_slots(); unserved > 0) {
            spdlog::warn("redis cluster: {} slot(s) have no master", unserved);
         }
      }
      schedule_flush();
      report();
   }

   static bool same_owners(cluster_topology const& a, cluster_topology const& b) {
      for (std::uint16_t slot = 0; slot < cluster_slots; ++slot) {
         auto const x = a.master_of_slot(slot);
         auto const y = b.master_of_slot(slot);
         if (x.has_value() != y.has_value() || (x && !(a.masters()[*x] == b.masters()[*y]))) {
            return false;
         }
      }
      return true;
   }

   /// One link per master: new masters get one, nodes that are no longer masters lose theirs.
   void follow_masters() {
      auto const& masters = topology_->masters();
      for (auto it = links_.begin(); it != links_.end();) {
         if (std::find(masters.begin(), masters.end(), it->first) != masters.end()) {
            ++it;
            continue;
         }
         spdlog::info("redis cluster: {} is no longer a master; closing its subscriber link",
                      to_string(it->first));
         auto const node = it->first;
         it->second->stop();
         it = links_.erase(it);
         lose(plan_.lost_node(node));
         if (classic_home_ && *classic_home_ == node) {
            classic_home_.reset();
         }
      }
      for (auto const& master : masters) {
         if (!links_.contains(master)) {
            open_link(master);
         }
      }
      choose_classic_home();
   }

   void open_link(node_address const& node) {
      auto link = std::make_unique<pubsub_link>(
          executor_, settings_for(settings_, node),
          pubsub_link::handlers{
              .on_connected = [this, node] { return on_link_up(node); },
              .on_push = [this, node](reply&& message) { on_push(node, std::move(message)); },
              .on_state = [this,
                           node](subscriber_state state,
                                 std::string_view reason) { on_link_state(node, state, reason); },
              .describe = [] { return std::string("shard channels"); }});
      auto* const raw = link.get();
      links_.emplace(node, std::move(link));
      raw->start();
   }

   // --- links ---------------------------------------------------------------------------------

   std::size_t on_link_up(node_address const& node) {
      // A fresh link holds nothing: whatever the plan had there is sent again.
      lose(plan_.lost_node(node));
      if (classic_home_ && *classic_home_ == node) {
         send_classic(node);
      }
      schedule_flush();
      if (handlers_.on_master_up) {
         boost::asio::post(executor_, [weak = weak_from_this(), node] {
            if (auto self = weak.lock(); self && !self->stopped_) {
               self->handlers_.on_master_up(node);
            }
         });
      }
      return 0; // the link counts as up at once; channels are confirmed one by one
   }

   void on_link_state(node_address const& node, subscriber_state state, std::string_view reason) {
      if (state == subscriber_state::backoff) {
         link_problem_[node] = std::string(reason);
         lose(plan_.lost_node(node));
         if (classic_home_ && *classic_home_ == node) {
            classic_confirmed_ = false;
            classic_home_.reset();
            choose_classic_home();
         }
         refresh_topology(); // a master that went away may have been replaced by its replica
      } else if (state == subscriber_state::subscribed) {
         link_problem_.erase(node);
         choose_classic_home();
      }
      report();
   }

   /// The classic subscriptions live on one master's link; another takes them when it goes.
   void choose_classic_home() {
      if (classic_.empty() || classic_home_ || !topology_) {
         return;
      }
      for (auto const& [node, link] : links_) {
         if (link->is_up()) {
            classic_home_ = node;
            send_classic(node);
            return;
         }
      }
      if (!links_.empty()) {
         classic_home_ = links_.begin()->first; // subscribed there once its link is up
      }
   }

   /// Also called from on_link_up, before the link counts as up: pubsub_link::send only needs
   /// an open socket.
   void send_classic(node_address const& node) {
      auto const link = links_.find(node);
      if (link == links_.end()) {
         return;
      }
      classic_confirmed_ = false;
      classic_pending_ = classic_.expected_confirmations();
      for (auto& command : classic_.commands()) {
         link->second->send(std::move(command));
      }
   }

   void on_push(node_address const& node, reply&& message) {
      auto& parts = message.elements;
      // Messages are all strings; (un)subscribe confirmations end with a count.
      if (parts.size() < 3 || parts[0].type != reply::kind::string ||
          parts[1].type != reply::kind::string) {
         return;
      }
      std::string_view const type = parts.front().str;
      if ((type == "smessage" || type == "message") && parts.size() == 3 && all_strings(parts)) {
         deliver(std::move(parts[1].str), std::move(parts[2].str));
      } else if (type == "pmessage" && parts.size() == 4 && all_strings(parts)) {
         deliver(std::move(parts[2].str), std::move(parts[3].str));
      } else if (type == "ssubscribe") {
         on_confirmed(parts[1].str);
      } else if (type == "sunsubscribe") {
         on_sunsubscribe(node, parts[1].str);
      } else if ((type == "subscribe" || type == "psubscribe") && classic_home_ &&
                 *classic_home_ == node) {
         if (classic_pending_ > 0 && --classic_pending_ == 0) {
            classic_confirmed_ = true;
            report();
         }
      }
   }

   void deliver(std::string&& channel, std::string&& payload) {
      if (handlers_.on_message && !stopped_) {
         handlers_.on_message(std::move(channel), std::move(payload));
      }
   }

   void on_confirmed(std::string const& channel) {
      if (!plan_.wanted(channel)) {
         return; // released meanwhile: the unsubscribe follows after the delay
      }
      confirmed_.insert(channel);
      if (needs_repair_.erase(channel) > 0) {
         queue_repaired(channel);
      }
      release_waiters(channel);
      if (!ready_) {
         report();
      }
   }

   void on_sunsubscribe(node_address const& node, std::string const& channel) {
      if (auto own = own_unsubscribes_.find(channel); own != own_unsubscribes_.end()) {
         if (--own->second == 0) {
            own_unsubscribes_.erase(own);
         }
         return; // the confirmation of our own SUNSUBSCRIBE
      }
      // Redis dropped it: its slot moved to another master (resharding, failover).
      spdlog::info("redis cluster: {} dropped shard channel '{}' (slot {} moved); resubscribing",
                   to_string(node), channel, hash_slot(channel));
      plan_.lost(channel);
      lose({channel});
      refresh_topology();
   }

   /// Channels that are no longer subscribed but still wanted: subscribed again (by the next
   /// flush, or once their master is known or up), then reported for repair.
   void lose(std::vector<std::string> const& channels) {
      if (channels.empty()) {
         return;
      }
      std::vector<std::string> lost;
      for (auto const& channel : channels) {
         bool const had = confirmed_.erase(channel) > 0 || waiters_.contains(channel);
         if (had && plan_.wanted(channel)) {
            needs_repair_.insert(channel);
            lost.push_back(channel);
         }
         release_waiters(channel); // they go on now; their gap is repaired on resubscribe
      }
      schedule_flush();
      if (!lost.empty() && handlers_.on_lost) {
         handlers_.on_lost(lost);
      }
   }

   void queue_repaired(std::string const& channel) {
      repaired_.push_back(channel);
      if (!repair_posted_) {
         repair_posted_ = true;
         boost::asio::post(executor_, [weak = weak_from_this()] {
            auto self = weak.lock();
            if (!self || self->stopped_) {
               return;
            }
            self->repair_posted_ = false;
            auto channels = std::exchange(self->repaired_, {});
            if (self->handlers_.on_resubscribed) {
               self->handlers_.on_resubscribed(channels);
            }
         });
      }
   }

   // --- commands ------------------------------------------------------------------------------

   void schedule_flush() {
      if (flush_posted_ || stopped_) {
         return;
      }
      flush_posted_ = true;
      boost::asio::post(executor_, [weak = weak_from_this()] {
         if (auto self = weak.lock(); self && !self->stopped_) {
            self->flush_posted_ = false;
            self->flush();
         }
      });
   }

   /// Released channels wait out the unsubscribe delay; this looks at them again.
   void schedule_sweep() {
      auto const period = std::clamp(settings_.unsubscribe_delay / 2, std::chrono::milliseconds(50),
                                     std::chrono::milliseconds(1000));
      sweep_timer_.expires_after(period);
      sweep_timer_.async_wait([weak = weak_from_this()](error_code ec) {
         if (auto self = weak.lock(); self && !ec && !self->stopped_) {
            if (self->plan_.has_queued()) {
               self->flush();
            }
            self->schedule_sweep();
         }
      });
   }

   void flush() {
      if (!topology_) {
         return;
      }
      auto batches = plan_.take_commands(*topology_, clock::now());
      std::vector<std::string> unsent;
      for (auto& [master, commands] : batches) {
         auto const node = topology_->masters()[master];
         auto const link = links_.find(node);
         bool const up = link != links_.end() && link->second->is_up();
         for (auto& command : commands) {
            bool const subscribe = command.front() == "SSUBSCRIBE";
            if (!up) {
               // Sent again by on_link_up (the plan counts them as placed on this node).
               if (subscribe) {
                  unsent.insert(unsent.end(), command.begin() + 1, command.end());
               }
               continue;
            }
            if (!subscribe) {
               for (auto it = command.begin() + 1; it != command.end(); ++it) {
                  confirmed_.erase(*it);
                  needs_repair_.erase(*it);
                  ++own_unsubscribes_[*it];
               }
               link->second->send(std::move(command));
               continue;
            }
            auto channels = std::vector<std::string>(command.begin() + 1, command.end());
            link->second->send(std::move(command),
                               [weak = weak_from_this(), channels = std::move(channels)](
                                   error_code ec, reply const& answer) {
                                  auto self = weak.lock();
                                  if (!self || ec || !answer.is_error()) {
                                     return false; // confirmations arrive as pushes
                                  }
                                  self->on_subscribe_refused(channels, answer.str);
                                  return true;
                               });
         }
      }
      for (auto const& channel : unsent) {
         release_waiters(channel);
         if (plan_.wanted(channel)) {
            needs_repair_.insert(channel);
         }
      }
   }

   void on_subscribe_refused(std::vector<std::string> const& channels, std::string const& error) {
      static log_rate_limiter limiter;
      if (auto suppressed = limiter.allow()) {
         spdlog::info("redis cluster: SSUBSCRIBE of {} channel(s) refused ({}); following the "
                      "cluster ({} more not logged)",
                      channels.size(), error, *suppressed);
      }
      for (auto const& channel : channels) {
         plan_.lost(channel);
      }
      lose(channels);
      for (auto const& channel : channels) {
         if (plan_.wanted(channel)) {
            needs_repair_.insert(channel);
         }
      }
      refresh_topology(); // MOVED: the map is out of date; the next flush uses the new one
   }

   // --- readiness -----------------------------------------------------------------------------

   void report() {
      std::string why;
      if (!topology_) {
         why = "redis cluster: no slot map" +
               (topology_problem_.empty() ? std::string() : " (" + topology_problem_ + ")");
      } else if (auto down = std::find_if(links_.begin(), links_.end(),
                                          [](auto const& entry) { return !entry.second->is_up(); });
                 down != links_.end()) {
         auto const problem = link_problem_.find(down->first);
         why = "redis cluster: link to master " + to_string(down->first) + " " +
               std::string(to_string(down->second->state())) +
               (problem == link_problem_.end() ? std::string() : " (" + problem->second + ")");
      } else if (!classic_.empty() && !classic_confirmed_) {
         why = "redis cluster: subscribing to the classic channels";
      } else if (auto missing = std::find_if(
                     permanent_.begin(), permanent_.end(),
                     [this](std::string const& channel) { return !confirmed_.contains(channel); });
                 missing != permanent_.end()) {
         why = "redis cluster: subscribing to '" + *missing + "'";
      }
      bool const now_ready = why.empty();
      if (now_ready == ready_ && why == last_reason_) {
         return;
      }
      if (now_ready && !ready_) {
         spdlog::info("redis cluster: subscribed on {} master(s)", links_.size());
      }
      ready_ = now_ready;
      last_reason_ = why;
      if (handlers_.on_state) {
         handlers_.on_state(ready_, why);
      }
   }

   boost::asio::any_io_executor executor_;
   settings settings_;
   subscription_set classic_;
   std::vector<std::string> permanent_;
   handlers handlers_;
   cluster_client client_;
   shard_channel_plan plan_;
   std::shared_ptr<const cluster_topology> topology_;
   std::string topology_problem_;
   std::map<node_address, std::unique_ptr<pubsub_link>> links_;
   std::map<node_address, std::string> link_problem_;
   std::optional<node_address> classic_home_;
   std::size_t classic_pending_ = 0;
   bool classic_confirmed_ = false;
   std::unordered_set<std::string> confirmed_;
   std::unordered_set<std::string> needs_repair_;
   std::unordered_map<std::string, int> own_unsubscribes_;
   std::unordered_map<std::string, std::vector<std::shared_ptr<waiter>>> waiters_;
   std::vector<std::string> repaired_;
   bool repair_posted_ = false;
   bool flush_posted_ = false;
   boost::asio::steady_timer refresh_timer_;
   boost::asio::steady_timer sweep_timer_;
   bool ready_ = false;
   std::string last_reason_ = "-";
   bool started_ = false;
   bool stopped_ = false;
};

cluster_subscriber::cluster_subscriber(boost::asio::any_io_executor executor, settings config,
                                       subscription_set classic, std::vector<std::string> permanent,
                                       handlers callbacks)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(config), std::move(classic),
                                   std::move(permanent), std::move(callbacks))) {}

cluster_subscriber::~cluster_subscriber() {
   stop();
}

void cluster_subscriber::start() {
   impl_->start();
}

void cluster_subscriber::stop() {
   impl_->stop();
}

void cluster_subscriber::acquire(std::string const& channel) {
   impl_->acquire(channel);
}

void cluster_subscriber::release(std::string const& channel) {
   impl_->release(channel);
}

void cluster_subscriber::when_subscribed(std::vector<std::string> const& channels,
                                         std::function<void()> done) {
   impl_->when_subscribed(channels, std::move(done));
}

bool cluster_subscriber::ready() const {
   return impl_->ready();
}

std::size_t cluster_subscriber::channel_count() const {
   return impl_->channel_count();
}

std::size_t cluster_subscriber::master_count() const {
   return impl_->master_count();
}

cluster_client& cluster_subscriber::client() {
   return impl_->client();
}

} // namespace notify::redis
