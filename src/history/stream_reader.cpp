#include "notify/history/stream_reader.hpp"

#include "notify/redis/error.hpp"
#include "notify/redis/request_client.hpp"

#include <algorithm>
#include <utility>

namespace notify::history {

namespace {

using boost::system::error_code;

/// One XRANGE / XREVRANGE element: [id, [field, value, ...]] as notify_publish writes it
/// (d: payload, p: previous id). An entry someone else added follows whatever came before it.
routing::notification entry_of(redis::reply const& element, routing::route const& target,
                               stream_id fallback_previous, std::size_t max_payload_bytes,
                               bool& ok) {
   ok = false;
   if (!element.is_array() || element.elements.size() != 2 ||
       element.elements[0].type != redis::reply::kind::string || !element.elements[1].is_array()) {
      return {};
   }
   auto const id = parse_stream_id(element.elements[0].str);
   if (!id) {
      return {};
   }
   std::string const* payload = nullptr;
   std::optional<stream_id> previous;
   auto const& fields = element.elements[1].elements;
   for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "d") {
         payload = &fields[i + 1].str;
      } else if (fields[i].str == "p") {
         previous = parse_stream_id(fields[i + 1].str);
      }
   }
   routing::stream_position position{*id, previous.value_or(fallback_previous)};
   if (!(position.previous < position.id)) {
      position.previous = fallback_previous;
   }
   ok = true;
   if (payload == nullptr) {
      return {target, nullptr, nullptr, position};
   }
   auto framed = routing::frame_notification(target, position, *payload, max_payload_bytes);
   return std::move(*framed.ready);
}

/// Entries of an XRANGE (oldest first) or XREVRANGE (newest first) reply, oldest first.
std::optional<std::vector<routing::notification>>
entries_of(redis::reply const& answer, bool newest_first, routing::route const& target,
           stream_id after, std::size_t max_payload_bytes) {
   if (!answer.is_array()) {
      return std::nullopt;
   }
   std::vector<redis::reply const*> ordered;
   ordered.reserve(answer.elements.size());
   for (auto const& element : answer.elements) {
      ordered.push_back(&element);
   }
   if (newest_first) {
      std::reverse(ordered.begin(), ordered.end());
   }
   std::vector<routing::notification> entries;
   entries.reserve(ordered.size());
   auto previous = after;
   for (auto const* element : ordered) {
      bool ok = false;
      auto entry = entry_of(*element, target, previous, max_payload_bytes, ok);
      if (!ok || !(previous < entry.position->id)) {
         return std::nullopt; // not a stream reply, or out of order: nothing to trust
      }
      previous = entry.position->id;
      entries.push_back(std::move(entry));
   }
   return entries;
}

/// The id in an XREVRANGE ... COUNT 1 reply; nullopt for an empty or missing stream.
std::optional<std::optional<stream_id>> newest_of(redis::reply const& answer) {
   if (!answer.is_array()) {
      return std::nullopt;
   }
   if (answer.elements.empty()) {
      return std::optional<stream_id>{};
   }
   auto const& element = answer.elements.front();
   if (!element.is_array() || element.elements.empty()) {
      return std::nullopt;
   }
   auto id = parse_stream_id(element.elements.front().str);
   if (!id) {
      return std::nullopt;
   }
   return std::optional<stream_id>{*id};
}

} // namespace

stream_reader::stream_reader(boost::asio::any_io_executor executor, redis::settings const& config,
                             std::size_t max_replay, std::size_t max_payload_bytes)
    : client_(redis::make_request_client(std::move(executor), config))
    , max_replay_(max_replay)
    , max_payload_bytes_(max_payload_bytes) {}

stream_reader::~stream_reader() {
   stop();
}

void stream_reader::stop() {
   *alive_ = false;
   client_->stop();
   for (auto& [request, handlers] : std::exchange(waiting_, {})) {
      for (auto& done : handlers) {
         done(redis::errc::stopped, nullptr);
      }
   }
}

void stream_reader::read_tail(const std::string& key, handler done) {
   auto request = "tail " + key;
   auto& handlers = waiting_[request];
   handlers.push_back(std::move(done));
   if (handlers.size() > 1) {
      return;
   }
   ++reads_started_;
   client_->command({"XREVRANGE", key, "+", "-", "COUNT", "1"},
                    [this, alive = alive_, request](error_code ec, const redis::reply& answer) {
                       if (!*alive) {
                          return;
                       }
                       if (ec) {
                          finish(request, ec, nullptr);
                          return;
                       }
                       auto newest = newest_of(answer);
                       if (!newest) {
                          finish(request, redis::errc::protocol_error, nullptr);
                          return;
                       }
                       auto outcome = std::make_shared<read_outcome>();
                       outcome->newest = *newest;
                       finish(request, {}, std::move(outcome));
                    });
}

struct stream_reader::waiting {
   std::optional<redis::reply> range;
   std::optional<redis::reply> newest;
   error_code ec;
   int answers = 0;
};

void stream_reader::read_after(const std::string& key, routing::route target, stream_id after,
                               handler done) {
   auto request = "after " + to_string(after) + " " + key;
   auto& handlers = waiting_[request];
   handlers.push_back(std::move(done));
   if (handlers.size() > 1) {
      return;
   }
   ++reads_started_;
   // Pipelined: the entries after the position, and where the stream ends (to tell a position
   // ahead of the stream from one that is up to date).
   auto state = std::make_shared<waiting>();
   auto on_both = [this, alive = alive_, request, state, key, target = std::move(target),
                   after](error_code ec, redis::reply answer, bool is_range) mutable {
      if (!*alive) {
         return;
      }
      if (ec) {
         state->ec = ec;
      } else if (is_range) {
         state->range = std::move(answer);
      } else {
         state->newest = std::move(answer);
      }
      if (++state->answers < 2) {
         return;
      }
      if (state->ec) {
         finish(request, state->ec, nullptr);
         return;
      }
      auto newest = newest_of(*state->newest);
      auto entries = entries_of(*state->range, false, target, after, max_payload_bytes_);
      if (!newest || !entries) {
         finish(request, redis::errc::protocol_error, nullptr);
         return;
      }
      auto outcome = std::make_shared<read_outcome>();
      outcome->newest = *newest;
      if (entries->size() <= max_replay_) {
         outcome->entries = std::move(*entries);
         finish(request, {}, std::move(outcome));
         return;
      }
      // More missed than may be replayed: the newest max_replay, and a gap before them.
      ++reads_started_;
      client_->command(
          {"XREVRANGE", key, "+", "(" + to_string(after), "COUNT", std::to_string(max_replay_)},
          [this, alive, request, outcome, target, after](error_code ec2,
                                                         const redis::reply& newest_entries) {
             if (!*alive) {
                return;
             }
             if (ec2) {
                finish(request, ec2, nullptr);
                return;
             }
             auto entries = entries_of(newest_entries, true, target, after, max_payload_bytes_);
             if (!entries || entries->empty()) {
                finish(request, redis::errc::protocol_error, nullptr);
                return;
             }
             outcome->entries = std::move(*entries);
             outcome->truncated = true;
             finish(request, {}, outcome);
          });
   };
   client_->command(
       {"XRANGE", key, "(" + to_string(after), "+", "COUNT", std::to_string(max_replay_ + 1)},
       [on_both](error_code ec, redis::reply answer) mutable {
          on_both(ec, std::move(answer), true);
       });
   client_->command({"XREVRANGE", key, "+", "-", "COUNT", "1"},
                    [on_both](error_code ec, redis::reply answer) mutable {
                       on_both(ec, std::move(answer), false);
                    });
}

void stream_reader::finish(std::string const& request, error_code ec, const outcome_ptr& outcome) {
   auto found = waiting_.find(request);
   if (found == waiting_.end()) {
      return;
   }
   auto handlers = std::move(found->second);
   waiting_.erase(found);
   for (auto& done : handlers) {
      done(ec, outcome);
   }
}

} // namespace notify::history
