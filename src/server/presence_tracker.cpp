#include "notify/server/presence_tracker.hpp"

#include "notify/redis/error.hpp"
#include "notify/redis/request_client.hpp"

#include <array>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace notify::server {

namespace {

/// Names this process among every gateway writing the same keys: a restarted process is a new
/// one (its old members expire).
std::string process_name() {
   std::array<char, 256> host{};
   if (::gethostname(host.data(), host.size() - 1) != 0 || host[0] == '\0') {
      return "gateway:" + std::to_string(::getpid());
   }
   std::string name(host.data());
   if (name.size() > 64) {
      name.resize(64);
   }
   for (char& c : name) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
         c = '_';
      }
   }
   return name + ":" + std::to_string(::getpid());
}

} // namespace

presence_tracker::presence_tracker(boost::asio::any_io_executor executor,
                                   const config::settings& settings, unsigned shard_index,
                                   metrics::counter& write_failures)
    : client_(redis::make_request_client(std::move(executor), settings.redis))
    , names_(settings.history.prefix, settings.routing.max_user_id_bytes)
    , member_prefix_(process_name() + ":" + std::to_string(shard_index) + ":")
    , ttl_ms_(std::to_string(settings.presence.ttl.count()))
    , write_failures_(write_failures) {}

presence_tracker::~presence_tracker() {
   stop();
}

bool presence_tracker::tracks(std::string_view user_id) {
   return routing::history_names::has_history(user_id);
}

std::uint32_t presence_tracker::next_member() {
   if (++last_member_ == 0) {
      ++last_member_; // after 2^32 connections: the one that held 1 is long gone
   }
   return last_member_;
}

std::string presence_tracker::member_name(std::uint32_t member) const {
   return member_prefix_ + std::to_string(member);
}

void presence_tracker::send(std::vector<std::string> command,
                            std::function<void(bool taken, long long)> done) {
   ++in_flight_;
   auto command_name = command.front();
   client_->command(std::move(command),
                    [this, command_name = std::move(command_name), done = std::move(done)](
                        boost::system::error_code ec, const redis::reply& answer) {
                       if (ec == redis::errc::stopped) {
                          return; // the shard is going away: nobody waits for the answer
                       }
                       bool const taken = !ec && answer.type == redis::reply::kind::integer;
                       if (!taken) {
                          write_failures_.add(1);
                          spdlog::debug("presence: {} not written ({})", command_name,
                                        ec ? ec.message() : answer.str);
                       }
                       done(taken, answer.integer);
                       if (--in_flight_ == 0 && on_idle_) {
                          auto idle = std::move(on_idle_);
                          on_idle_ = nullptr;
                          idle();
                       }
                    });
}

void presence_tracker::join(std::string_view user_id, std::uint32_t member, std::size_t limit,
                            join_handler handler) {
   send({"FCALL", "notify_presence_join", "1", names_.presence_key(user_id), member_name(member),
         ttl_ms_, std::to_string(limit)},
        [handler = std::move(handler)](bool taken, long long live) {
           if (handler) {
              handler(!taken      ? join_result::unavailable
                      : live == 0 ? join_result::over_limit
                                  : join_result::admitted);
           }
        });
}

void presence_tracker::refresh(std::string_view user_id, std::uint32_t member) {
   join(user_id, member, 0, nullptr);
}

void presence_tracker::leave(std::string_view user_id, std::uint32_t member) {
   // A member left behind (Redis did not take the ZREM) expires after the ttl.
   send({"ZREM", names_.presence_key(user_id), member_name(member)}, [](bool, long long) {});
}

void presence_tracker::when_idle(std::function<void()> done) {
   if (in_flight_ == 0) {
      done();
      return;
   }
   on_idle_ = std::move(done);
}

void presence_tracker::stop() {
   client_->stop();
}

} // namespace notify::server
