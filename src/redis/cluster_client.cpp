#include "notify/redis/cluster_client.hpp"

#include "notify/common/text.hpp"
#include "notify/redis/command_client.hpp"
#include "notify/redis/error.hpp"
#include "notify/redis/hash_slot.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <optional>
#include <spdlog/spdlog.h>
#include <string_view>
#include <utility>

namespace notify::redis {

namespace {

using boost::system::error_code;

constexpr int max_redirects = 5;
constexpr std::chrono::milliseconds try_again_delay{50};

/// The key a command is routed by (see request_client::command); nullopt for keyless commands.
std::optional<std::string_view> routing_key(std::vector<std::string> const& args) {
   if (args.empty()) {
      return std::nullopt;
   }
   auto const& name = args[0];
   bool const scripted =
       equals_ignoring_case(name, "FCALL") || equals_ignoring_case(name, "FCALL_RO") ||
       equals_ignoring_case(name, "EVAL") || equals_ignoring_case(name, "EVALSHA");
   if (scripted) {
      if (args.size() > 3 && args[2] != "0") {
         return args[3];
      }
      return std::nullopt;
   }
   if (args.size() > 1) {
      return args[1];
   }
   return std::nullopt;
}

} // namespace

std::vector<node_address> seed_nodes(settings const& config) {
   std::vector<node_address> seeds;
   for (auto const& text : config.cluster_nodes) {
      if (auto node = parse_node_address(text)) {
         seeds.push_back(std::move(*node));
      }
   }
   if (seeds.empty()) {
      seeds.push_back({config.host, config.port});
   }
   return seeds;
}

settings settings_for(settings const& config, node_address const& node) {
   auto out = config;
   out.host = node.host;
   out.port = node.port;
   out.db = 0;
   return out;
}

class cluster_client::impl : public std::enable_shared_from_this<impl> {
public:
   impl(boost::asio::any_io_executor executor, settings config, std::size_t max_waiting)
       : executor_(std::move(executor))
       , settings_(std::move(config))
       , seeds_(seed_nodes(settings_))
       , max_waiting_(max_waiting) {}

   void command(std::vector<std::string> args, reply_handler handler) {
      if (stopped_) {
         fail_later(std::move(handler), errc::stopped);
         return;
      }
      route(std::make_shared<request>(request{std::move(args), std::move(handler)}));
   }

   void command_on(node_address const& node, std::vector<std::string> args, reply_handler handler) {
      if (stopped_) {
         fail_later(std::move(handler), errc::stopped);
         return;
      }
      client(node).command(std::move(args), std::move(handler));
   }

   void fetch_topology(topology_handler done) {
      if (stopped_) {
         boost::asio::post(executor_, [done = std::move(done)] { done(nullptr, "stopped"); });
         return;
      }
      if (done) {
         fetch_waiters_.push_back(std::move(done));
      }
      fetch();
   }

   void stop() {
      if (stopped_) {
         return;
      }
      stopped_ = true;
      for (auto& waiting : std::exchange(waiting_, {})) {
         fail_later(std::move(waiting->handler), errc::stopped);
      }
      for (auto& done : std::exchange(fetch_waiters_, {})) {
         boost::asio::post(executor_, [done = std::move(done)] { done(nullptr, "stopped"); });
      }
      for (auto& [node, node_client] : nodes_) {
         node_client->stop();
      }
   }

private:
   struct request {
      std::vector<std::string> args;
      reply_handler handler;
      int redirects = 0;
   };
   using request_ptr = std::shared_ptr<request>;

   void fail_later(reply_handler handler, error_code ec) {
      boost::asio::post(executor_, [handler = std::move(handler), ec] { handler(ec, reply{}); });
   }

   command_client& client(node_address const& node) {
      auto& slot = nodes_[node];
      if (!slot) {
         slot = std::make_unique<command_client>(executor_, settings_for(settings_, node));
      }
      return *slot;
   }

   void route(request_ptr req) {
      if (!topology_) {
         if (waiting_.size() >= max_waiting_) {
            fail_later(std::move(req->handler), errc::queue_full);
            return;
         }
         waiting_.push_back(std::move(req));
         fetch();
         return;
      }
      auto const key = routing_key(req->args);
      std::optional<std::size_t> owner;
      if (key) {
         owner = topology_->master_of_slot(hash_slot(*key));
      } else if (!topology_->masters().empty()) {
         owner = 0;
      }
      if (!owner) {
         fetch(); // a failover may be under way: the next request may find a master
         fail_later(std::move(req->handler), errc::slot_unserved);
         return;
      }
      send_to(topology_->masters()[*owner], std::move(req), false);
   }

   void send_to(node_address const& node, request_ptr const& req, bool asking) {
      auto& target = client(node);
      if (asking) {
         target.command({"ASKING"}, [](error_code, reply const&) {});
      }
      auto args = req->args; // kept for a redirect
      target.command(std::move(args), [weak = weak_from_this(), req](error_code ec, reply answer) {
         if (auto self = weak.lock()) {
            self->on_answer(req, ec, std::move(answer));
         } else {
            req->handler(errc::stopped, reply{});
         }
      });
   }

   void on_answer(request_ptr const& req, error_code ec, reply answer) {
      if (ec) {
         if (stopped_) {
            ec = errc::stopped;
         } else {
            if (ec == errc::stopped) {
               ec = errc::connection_lost; // the node left the map while this was in flight
            }
            fetch(); // a master that fails may have been replaced
         }
         req->handler(ec, reply{});
         return;
      }
      if (answer.is_error() && follow(req, answer.str)) {
         return;
      }
      req->handler({}, std::move(answer));
   }

   /// True when the error reply is a redirection or a retry that this client follows.
   bool follow(request_ptr const& req, std::string const& error) {
      auto const redirect = parse_redirection(error);
      bool const try_again = error.starts_with("TRYAGAIN");
      if (!redirect && !try_again) {
         if (error.starts_with("CLUSTERDOWN")) {
            fetch();
         }
         return false;
      }
      if (++req->redirects > max_redirects || stopped_) {
         req->handler(errc::too_many_redirects, reply{});
         return true;
      }
      if (try_again) {
         auto timer = std::make_shared<boost::asio::steady_timer>(executor_, try_again_delay);
         timer->async_wait([weak = weak_from_this(), req, timer](error_code) {
            if (auto self = weak.lock(); self && !self->stopped_) {
               self->route(req);
            } else {
               req->handler(errc::stopped, reply{});
            }
         });
         return true;
      }
      if (redirect->type == redirection::kind::moved) {
         fetch(); // the slot map is out of date
      }
      send_to(redirect->target, req, redirect->type == redirection::kind::ask);
      return true;
   }

   /// Who to ask for CLUSTER SLOTS: the masters known, then the seeds.
   std::vector<node_address> candidates() const {
      std::vector<node_address> out;
      if (topology_) {
         out = topology_->masters();
      }
      for (auto const& seed : seeds_) {
         if (std::find(out.begin(), out.end(), seed) == out.end()) {
            out.push_back(seed);
         }
      }
      return out;
   }

   void fetch() {
      if (fetching_ || stopped_) {
         return;
      }
      fetching_ = true;
      ask_for_slots(std::make_shared<std::vector<node_address>>(candidates()), 0, {});
   }

   void ask_for_slots(std::shared_ptr<std::vector<node_address>> const& nodes, std::size_t next,
                      std::string const& why) {
      if (next >= nodes->size()) {
         finish_fetch(nullptr, why.empty() ? "no cluster node to ask" : why);
         return;
      }
      auto const node = (*nodes)[next];
      client(node).command({"CLUSTER", "SLOTS"}, [weak = weak_from_this(), nodes, next,
                                                  node](error_code ec, reply const& answer) {
         auto self = weak.lock();
         if (!self) {
            return;
         }
         if (self->stopped_) {
            self->finish_fetch(nullptr, "stopped");
            return;
         }
         std::string problem;
         if (ec) {
            problem = to_string(node) + ": " + ec.message();
         } else if (auto parsed = cluster_topology::from_cluster_slots(answer, node.host, problem);
                    parsed && parsed->masters().empty()) {
            problem = to_string(node) + ": CLUSTER SLOTS names no master";
         } else if (parsed) {
            self->finish_fetch(std::make_shared<const cluster_topology>(std::move(*parsed)), {});
            return;
         } else {
            problem = to_string(node) + ": " + problem;
         }
         self->ask_for_slots(nodes, next + 1, std::move(problem));
      });
   }

   void finish_fetch(std::shared_ptr<const cluster_topology> const& topology,
                     std::string const& why) {
      fetching_ = false;
      if (topology) {
         topology_ = topology;
         forget_old_nodes();
      } else if (!stopped_) {
         spdlog::warn("redis cluster: cannot read the slot map ({})", why);
      }
      auto waiting = std::exchange(waiting_, {});
      for (auto& req : waiting) {
         if (topology_) {
            route(std::move(req));
         } else {
            fail_later(std::move(req->handler), stopped_ ? errc::stopped : errc::slot_unserved);
         }
      }
      for (auto& done : std::exchange(fetch_waiters_, {})) {
         done(topology, why);
      }
   }

   /// Links to nodes that are neither masters nor seeds any more (a removed node, a master
   /// demoted to replica) are closed; one is opened again if a redirect names the node.
   void forget_old_nodes() {
      for (auto it = nodes_.begin(); it != nodes_.end();) {
         auto const& masters = topology_->masters();
         bool const keep = std::find(masters.begin(), masters.end(), it->first) != masters.end() ||
                           std::find(seeds_.begin(), seeds_.end(), it->first) != seeds_.end();
         if (keep) {
            ++it;
         } else {
            it->second->stop();
            it = nodes_.erase(it);
         }
      }
   }

   boost::asio::any_io_executor executor_;
   settings settings_;
   std::vector<node_address> seeds_;
   std::size_t max_waiting_;
   std::shared_ptr<const cluster_topology> topology_;
   std::map<node_address, std::unique_ptr<command_client>> nodes_;
   std::vector<request_ptr> waiting_; ///< for the first slot map
   std::vector<topology_handler> fetch_waiters_;
   bool fetching_ = false;
   bool stopped_ = false;
};

cluster_client::cluster_client(boost::asio::any_io_executor executor, settings config,
                               std::size_t max_waiting)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(config), max_waiting)) {}

cluster_client::~cluster_client() {
   stop();
}

void cluster_client::command(std::vector<std::string> args, reply_handler handler) {
   impl_->command(std::move(args), std::move(handler));
}

void cluster_client::command_on(node_address const& node, std::vector<std::string> args,
                                reply_handler handler) {
   impl_->command_on(node, std::move(args), std::move(handler));
}

void cluster_client::fetch_topology(topology_handler done) {
   impl_->fetch_topology(std::move(done));
}

void cluster_client::stop() {
   impl_->stop();
}

} // namespace notify::redis
