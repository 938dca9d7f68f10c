#include "notify/server/gateway.hpp"

#include "notify/common/logging.hpp"
#include "notify/history/function_library.hpp"
#include "notify/redis/cluster_subscriber.hpp"
#include "notify/redis/command_client.hpp"
#include "notify/redis/error.hpp"
#include "notify/redis/subscriber.hpp"
#include "notify/server/authenticator.hpp"
#include "notify/server/listener.hpp"
#include "notify/server/notification_router.hpp"
#include "notify/server/shard.hpp"
#include "notify/server/tls_context.hpp"

#include <csignal>
#include <thread>

namespace notify::server {

namespace {

unsigned shard_count(const config::settings& settings) {
   if (settings.server.threads > 0) {
      return settings.server.threads;
   }
   auto const cores = std::max(1U, std::thread::hardware_concurrency());
   // The router tracks users on at most 64 loops, which cluster mode relies on.
   return settings.redis.is_cluster() ? std::min(cores, 64U) : cores;
}

} // namespace

gateway::gateway(const config::settings& settings)
    : settings_(settings)
    , metrics_(shard_count(settings))
    , tls_context_(make_tls_context(settings.server))
    , context_{.settings = settings,
               .metrics = metrics_,
               .auth = nullptr,
               .ready = readiness_,
               .shutting_down{false},
               .shard_presence_changed = {},
               .connections_per_ip = {},
               .connections_per_user = {},
               .handshakes_per_ip{settings.limits.handshake_rate_per_ip,
                                  settings.limits.handshake_burst_per_ip},
               .auth_failures_per_ip{settings.auth.max_failures, settings.auth.lockout},
               .trusted_proxies = server::trusted_proxies(settings.server.trusted_proxies),
               .tls = tls_context_.get(),
               .started_at = steady_clock::now(),
               .rates = {}} {
   auto const count = shard_count(settings);
   for (unsigned i = 0; i < count; ++i) {
      shards_.push_back(std::make_unique<shard>(i, context_));
   }
   auto& home = *shards_.front();
   if (!settings.auth.session_prefix.empty() || !settings.auth.cookie_name.empty()) {
      session_lookups_ = redis::make_request_client(home.io().get_executor(), settings.redis);
   }
   authenticator_ =
       std::make_unique<authenticator>(settings, home.io().get_executor(), session_lookups_.get());
   context_.auth = authenticator_.get();

   std::vector<shard*> all_shards;
   for (auto& s : shards_) {
      all_shards.push_back(s.get());
   }
   routing::channel_scheme scheme(settings.routing.user_channel_pattern,
                                  settings.routing.global_channel,
                                  settings.routing.max_user_id_bytes);
   std::optional<routing::channel_scheme> history_channels;
   if (settings.history.enabled) {
      history_channels =
          routing::history_names(settings.history.prefix, settings.routing.max_user_id_bytes)
              .live_channels();
   }
   router_ = std::make_unique<notification_router>(home.io().get_executor(), all_shards, scheme,
                                                   std::move(history_channels),
                                                   settings.routing.max_payload_bytes, metrics_);
   context_.shard_presence_changed = [this, executor = home.io().get_executor()](
                                         unsigned shard_index,
                                         std::vector<std::pair<std::string, bool>> changes,
                                         std::function<void()> applied) {
      net::post(executor,
                [this, shard_index, changes = std::move(changes), applied = std::move(applied)] {
                   router_->apply_presence(shard_index, changes, applied);
                });
   };
   if (settings.redis.is_cluster()) {
      subscribe_cluster(scheme);
   } else {
      subscribe_standalone(scheme);
   }

   auto const address = net::ip::make_address(settings.server.host);
   listener_ = std::make_shared<listener>(home.io(), tcp::endpoint(address, settings.server.port),
                                          all_shards, settings.server.reuse_port);
}

void gateway::subscribe_standalone(const routing::channel_scheme& scheme) {
   auto& home = *shards_.front();
   redis::subscription_set subscriptions;
   subscriptions.add_pattern(scheme.user_pattern());
   subscriptions.add_channel(scheme.global_channel());
   if (settings_.history.enabled) {
      auto const live =
          routing::history_names(settings_.history.prefix, settings_.routing.max_user_id_bytes)
              .live_channels();
      subscriptions.add_pattern(live.user_pattern());
      subscriptions.add_channel(live.global_channel());
   }
   if (needs_function_library()) {
      history_admin_ =
          std::make_unique<redis::command_client>(home.io().get_executor(), settings_.redis);
   }
   redis::subscriber::handlers handlers;
   handlers.on_message = [this](std::string&& channel, std::string&& payload) {
      router_->on_message(channel, payload);
   };
   handlers.on_state = [this](redis::subscriber_state state, std::string_view reason) {
      on_redis_state(state, reason);
   };
   subscriber_ = std::make_unique<redis::subscriber>(home.io().get_executor(), settings_.redis,
                                                     std::move(subscriptions), std::move(handlers));
}

void gateway::subscribe_cluster(const routing::channel_scheme& scheme) {
   auto& home = *shards_.front();
   // Plain PUBLISH still works on a cluster (Redis broadcasts classic messages to every node);
   // one node's link is enough to hear them all.
   redis::subscription_set classic;
   if (settings_.redis.classic_pubsub) {
      classic.add_pattern(scheme.user_pattern());
      classic.add_channel(scheme.global_channel());
   }
   // Global messages are for every instance: one shard channel on one master each (plain
   // SPUBLISH, and the history library's), rather than classic pub/sub, which every node of
   // the cluster would carry.
   std::vector<std::string> permanent{scheme.global_channel()};
   if (settings_.history.enabled) {
      permanent.push_back(
          routing::history_names(settings_.history.prefix, settings_.routing.max_user_id_bytes)
              .live_channels()
              .global_channel());
   }
   redis::cluster_subscriber::handlers handlers;
   handlers.on_message = [this](std::string&& channel, std::string&& payload) {
      router_->on_message(channel, payload);
   };
   handlers.on_state = [this](bool ready, std::string_view reason) {
      on_cluster_state(ready, reason);
   };
   handlers.on_resubscribed = [this](const std::vector<std::string>& channels) {
      metrics_.redis_reconnects.add(1);
      if (settings_.history.enabled) {
         router_->repair_channels(channels);
      }
   };
   handlers.on_lost = [this](const std::vector<std::string>& channels) {
      router_->channels_lost(channels);
   };
   handlers.on_master_up = [this](const redis::node_address& master) {
      if (needs_function_library()) {
         load_function_library(&master);
      }
   };
   cluster_subscriber_ = std::make_unique<redis::cluster_subscriber>(
       home.io().get_executor(), settings_.redis, std::move(classic), std::move(permanent),
       std::move(handlers));
   router_->use_cluster(cluster_subscriber_.get());
}

gateway::~gateway() = default;

int gateway::run() {
   auto& home = *shards_.front();
   signals_.emplace(home.io(), SIGINT, SIGTERM);
   wait_for_signal();

   auto const endpoint = listener_->local_endpoint();
   spdlog::info("notify-gateway {} listening on {}:{} with {} event loop(s)", NOTIFY_VERSION,
                endpoint.address().to_string(), endpoint.port(), shards_.size());
   if (settings_.redis.is_cluster()) {
      std::string seeds;
      for (auto const& seed : redis::seed_nodes(settings_.redis)) {
         seeds += (seeds.empty() ? "" : ",") + redis::to_string(seed);
      }
      spdlog::info("redis cluster (seeds {}): each user's shard channel on its slot's master; "
                   "classic '{}' and '{}' {}",
                   seeds, settings_.routing.user_channel_pattern, settings_.routing.global_channel,
                   settings_.redis.classic_pubsub ? "too (plain PUBLISH)" : "off");
   } else {
      spdlog::info("redis {}:{} db {}; channels '{}' and '{}'", settings_.redis.host,
                   settings_.redis.port, settings_.redis.db, settings_.routing.user_channel_pattern,
                   settings_.routing.global_channel);
   }
   if (settings_.auth.jwt_secret.empty()) {
      spdlog::info("JWT authentication is off (no auth.jwt_secret)");
   }
   if (settings_.auth.session_prefix.empty()) {
      spdlog::info("Redis session tokens are off (auth.session_prefix is empty)");
   }
   if (!settings_.auth.cookie_name.empty()) {
      // The secrets themselves are never logged; their count helps check a rotation.
      spdlog::info("session cookie authentication on: cookie '{}', {} secret(s), records '{}<sid>'",
                   settings_.auth.cookie_name, settings_.auth.cookie_secrets.size(),
                   settings_.auth.cookie_session_prefix);
   }
   if (settings_.auth.allow_insecure_user_id) {
      spdlog::warn("auth.allow_insecure_user_id is on: any client may claim any user id; "
                   "never use this in production");
   }

   for (auto& s : shards_) {
      s->start();
   }
   if (subscriber_) {
      subscriber_->start();
   } else {
      cluster_subscriber_->start();
   }
   listener_->start();

   std::vector<std::thread> threads;
   for (std::size_t i = 1; i < shards_.size(); ++i) {
      threads.emplace_back([s = shards_[i].get()] { s->io().run(); });
   }
   home.io().run();
   for (auto& thread : threads) {
      thread.join();
   }
   spdlog::info("stopped");
   return 0;
}

void gateway::wait_for_signal() {
   signals_->async_wait([this](error_code ec, int signal_number) {
      if (ec) {
         return;
      }
      spdlog::info("received signal {}", signal_number);
      begin_shutdown();
      wait_for_signal();
   });
}

void gateway::begin_shutdown() {
   if (context_.shutting_down.exchange(true)) {
      spdlog::warn("second signal: stopping now");
      for (auto& s : shards_) {
         net::post(s->io(), [target = s.get()] { target->stop(); });
      }
      return;
   }
   spdlog::info("shutting down: closing {} connection(s), waiting at most {} ms",
                metrics_.total(&metrics::shard_metrics::connections),
                settings_.server.shutdown_timeout.count());
   listener_->stop();
   if (subscriber_) {
      subscriber_->stop();
   }
   if (cluster_subscriber_) {
      cluster_subscriber_->stop();
   }
   if (session_lookups_) {
      session_lookups_->stop();
   }
   if (history_admin_) {
      history_admin_->stop();
   }
   readiness_.set(false, "shutting down");
   for (auto& s : shards_) {
      net::post(s->io(), [target = s.get()] { target->begin_shutdown(); });
   }
}

bool gateway::needs_function_library() const {
   return settings_.history.enabled || settings_.presence.enabled;
}

void gateway::load_function_library(const redis::node_address* node) {
   // Every (re)connect: a Redis restarted without persistence has lost its functions, and
   // publishers' FCALL would fail until someone loads them again. On a cluster each master
   // (a promoted replica too) needs them: functions are not shared across masters.
   auto library = history::function_library(settings_.history, settings_.routing.max_payload_bytes,
                                            settings_.routing.max_user_id_bytes, node != nullptr);
   std::vector<std::string> command{"FUNCTION", "LOAD", "REPLACE", std::move(library)};
   auto const where = node != nullptr ? " on " + redis::to_string(*node) : std::string();
   auto done = [this, where](error_code ec, redis::reply answer) {
      if (ec == redis::errc::stopped) {
         return;
      }
      if (ec || answer.is_error()) {
         auto const why = ec ? ec.message() : answer.str;
         spdlog::warn("history: cannot load the notify function library{} ({}); FCALL "
                      "notify_publish fails until it is loaded (notify-gateway "
                      "redis-functions prints it)",
                      where, why);
         return;
      }
      if (!library_loaded_ && settings_.presence.enabled) {
         spdlog::info("presence: keys '{}{{user:<id>}}:presence' (FCALL_RO notify_presence 1 "
                      "user:<id>), members expire {} ms after their last refresh; per-user "
                      "connection limit counted per {}",
                      settings_.history.prefix, settings_.presence.ttl.count(),
                      settings_.limits.per_user_limit_is_shared() ? "all instances" : "instance");
      }
      if (!library_loaded_) {
         library_loaded_ = true;
         spdlog::info("history: function library loaded (FCALL notify_publish); streams "
                      "'{}{{user:<id>}}:history', at least {} entries per user, {} global, "
                      "{} s",
                      settings_.history.prefix, settings_.history.user_max_entries,
                      settings_.history.global_max_entries, settings_.history.max_age.count());
      }
   };
   if (node != nullptr) {
      cluster_subscriber_->client().command_on(*node, std::move(command), std::move(done));
   } else {
      history_admin_->command(std::move(command), std::move(done));
   }
}

void gateway::on_cluster_state(bool ready, std::string_view reason) {
   metrics_.redis_connected.set(ready ? 1 : 0);
   readiness_.set(ready, std::string(reason));
}

void gateway::on_redis_state(redis::subscriber_state state, std::string_view reason) {
   bool const subscribed = state == redis::subscriber_state::subscribed;
   metrics_.redis_connected.set(subscribed ? 1 : 0);
   if (subscribed) {
      if (history_admin_) {
         load_function_library(nullptr);
      }
      if (ever_subscribed_) {
         metrics_.redis_reconnects.add(1);
         // Whatever was published while the link was down is in the streams: every
         // connection reads what it missed, no client has to reconnect.
         for (auto& s : shards_) {
            net::post(s->io(), [target = s.get()] { target->repair_history(); });
         }
      }
      ever_subscribed_ = true;
      readiness_.set(true, {});
      return;
   }
   if (ever_subscribed_ && settings_.history.enabled) {
      for (auto& s : shards_) {
         net::post(s->io(), [target = s.get()] { target->history_link_lost(); });
      }
   }
   std::string why = "redis: ";
   why += redis::to_string(state);
   if (!reason.empty()) {
      why += " (";
      why += reason;
      why += ")";
   }
   readiness_.set(false, std::move(why));
}

} // namespace notify::server
