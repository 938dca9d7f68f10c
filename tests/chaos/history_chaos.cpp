// Bounded chaos run for message history, the acceptance run of reliable delivery. 300 WebSocket
// clients in the envelope format (100 users, 3 logical clients each, every one also following the
// global stream); two publishers at a steady 200 messages/s through FCALL notify_publish (195/s
// to random users, 5/s global); one client dropped every 100 ms (abruptly or with a close frame;
// back after 20 ms..1.5 s, one in ten after 2..5 s) and reconnected with its last ids; and three
// rounds of: redis-server (append-only, fsync always) killed with SIGKILL and restarted while the
// clients stay connected (the gateway has to repair on its own), then the gateway killed with
// SIGKILL and a new one started on a new port (the clients reconnect and resume once it has loaded
// its function library, i.e. is subscribed). About 60 s; hard deadline 150 s.
//
// Ground truth: the stream id each FCALL returned, per target, in order. A publish that gets no
// answer (Redis down, or killed before answering) is retried with the same message id until it
// is answered, so it lands in the stream exactly once and its id is known (notify_publish
// returns the first id for a repeated message id).
//
// Checked per logical client and stream (user, global): the ids it received are strictly
// increasing across all its connections (no duplicate, nothing out of order), each is a
// published id of its own target carrying that publish's payload, and every id published from
// its start on was received or lies inside a range a gap signal named (after < id <= until).
// Its start: a first connection does not resume, so everything published after its auth_ok is
// owed, plus everything after the first message it got (messages published between the
// gateway's start read and auth_ok may or may not come, but from the first one on nothing may be
// skipped). A client that got nothing on its first connection resumes from the newest id
// published before it first connected (or 0-0), which makes everything after that owed.
//
// A gap `unavailable` means the gateway could not read the stream when the client connected
// (it came back during a Redis outage): the connection has no history, so the client drops it at
// once and reconnects a little later from the same position (what it does not accept, it does
// not count as received). Such gaps are counted; they cover nothing because the next connection
// resumes from the same place.
//
// Prints the seed (HISTORY_CHAOS_SEED overrides it), the counts and PASS / FAIL; exits 1 on any
// missing, duplicated, reordered, foreign or altered message, on gaps covering more than 0.5 % of
// the owed deliveries, on a gateway that crashed, closed a connection itself or did not exit
// cleanly at the end (a sanitizer report), 2 when it cannot run, 3 past the hard deadline (then
// everything it started is killed by PID).

#include "chaos_watchdog.hpp"
#include "notify/auth/jwt.hpp"
#include "notify/common/stream_id.hpp"
#include "support/gateway_process.hpp"
#include "support/http_get.hpp"
#include "support/redis_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <hiredis/hiredis.h>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility> // before Boost 1.74 Asio, see notify/server/net.hpp
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace notify::test;
using notify::stream_id;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;

constexpr int user_count = 100;
constexpr int clients_per_user = 3;
constexpr int client_count = user_count * clients_per_user;
constexpr int global_target = user_count; ///< targets 0..user_count-1 are users
constexpr int target_count = user_count + 1;
constexpr int publisher_count = 2;
constexpr auto publish_period = 10ms; ///< per publisher: 200 messages/s in total
constexpr int global_every = 20;      ///< publisher 0: every 20th message is global (5/s)
constexpr auto drop_period = 100ms;   ///< one random client dropped this often (10/s)
constexpr int fault_rounds = 3;       ///< each: Redis killed, then the gateway killed
constexpr auto between_faults = 7s;
constexpr auto warmup = 2s;
constexpr auto calm_after_faults = 4s;
constexpr auto catch_up_stall = 10s; ///< at the end: give up when nothing arrived for this long
constexpr auto hard_deadline = 150s;
constexpr double max_gap_share = 0.005;
constexpr std::uint32_t default_seed = 20261207;
constexpr std::string_view jwt_secret = "history-chaos-secret-0123456789abcdef01";
constexpr std::array<std::string_view, 2> stream_names{"user", "global"};
constexpr std::size_t user_stream = 0;
constexpr std::size_t global_stream = 1;

time_point const run_started = clock_type::now();

long long ms_since_start(time_point at) {
   return std::chrono::duration_cast<std::chrono::milliseconds>(at - run_started).count();
}

std::string user_name(int user) {
   return "hc-" + std::to_string(user);
}

std::string target_key(int target) {
   return target == global_target ? std::string("global") : "user:" + user_name(target);
}

std::string id_text(stream_id id) {
   return notify::to_string(id);
}

// ---------------------------------------------------------------------------------------------
// The hard deadline's guard (chaos_watchdog.hpp).

notify::chaos::watchdog run_watchdog{"history_chaos", run_started, hard_deadline};

// ---------------------------------------------------------------------------------------------
// Ground truth: what each FCALL returned, per target, in publish order.

struct published {
   stream_id id;
   long long seq = 0;
   time_point first_sent; ///< when its first attempt was sent
};

class truth_store {
public:
   void add(int target, published entry) {
      std::lock_guard lock(mutex_);
      entries_[static_cast<std::size_t>(target)].push_back(entry);
   }
   std::optional<stream_id> newest(int target) const {
      std::lock_guard lock(mutex_);
      auto const& list = entries_[static_cast<std::size_t>(target)];
      if (list.empty()) {
         return std::nullopt;
      }
      return list.back().id;
   }
   /// After the publishers have stopped.
   std::vector<published> const& of(int target) const {
      return entries_[static_cast<std::size_t>(target)];
   }

private:
   mutable std::mutex mutex_;
   std::array<std::vector<published>, target_count> entries_;
};

// ---------------------------------------------------------------------------------------------
// Publisher: FCALL notify_publish at a steady rate on a hiredis link of its own. Publisher k owns
// the users u with u % publisher_count == k (publisher 0 also the global stream), so each
// target's publishes are sequential and its ids come back in order.

class publisher {
public:
   publisher(int index, std::uint16_t redis_port, truth_store& truth, std::uint32_t seed)
       : index_(index)
       , port_(redis_port)
       , truth_(truth)
       , rng_(seed) {
      for (int user = index; user < user_count; user += publisher_count) {
         users_.push_back(user);
      }
   }
   ~publisher() { stop(); }
   publisher(publisher const&) = delete;
   publisher& operator=(publisher const&) = delete;

   void start() {
      thread_ = std::thread([this] { run(); });
   }
   /// Stops ticking; a publish still unanswered is retried for up to 10 s more.
   void stop() {
      running_ = false;
      if (thread_.joinable()) {
         thread_.join();
      }
   }
   long long published_count() const { return published_.load(); }
   long long failed_attempts() const { return failed_attempts_.load(); }
   /// Publishes answered only after one or more failed attempts.
   long long retried() const { return retried_.load(); }
   long long unresolved() const { return unresolved_; }
   std::string const& last_error() const { return last_error_; }

private:
   void run() {
      auto next_tick = clock_type::now();
      std::array<long long, target_count> seqs{};
      long long tick = 0;
      while (running_) {
         std::this_thread::sleep_until(next_tick);
         next_tick += publish_period;
         if (clock_type::now() > next_tick) {
            next_tick = clock_type::now() + publish_period; // late (Redis down): do not burst
         }
         int const target =
             index_ == 0 && tick % global_every == 0
                 ? global_target
                 : users_[std::uniform_int_distribution<std::size_t>(0, users_.size() - 1)(rng_)];
         ++tick;
         long long const seq = ++seqs[static_cast<std::size_t>(target)];
         int const u = target == global_target ? -1 : target;
         std::string const payload =
             R"({"u":)" + std::to_string(u) + R"(,"seq":)" + std::to_string(seq) + "}";
         std::string const message_id = "hc-" + std::to_string(target) + "-" + std::to_string(seq);
         published entry;
         entry.seq = seq;
         entry.first_sent = clock_type::now();
         auto give_up_at = time_point::max();
         bool failed = false;
         while (true) {
            if (auto id = publish_once(target_key(target), payload, message_id)) {
               entry.id = *id;
               truth_.add(target, entry);
               ++published_;
               retried_ += failed ? 1 : 0;
               break;
            }
            ++failed_attempts_;
            failed = true;
            if (!running_ && give_up_at == time_point::max()) {
               give_up_at = clock_type::now() + 10s;
            }
            if (clock_type::now() > give_up_at) {
               ++unresolved_; // may or may not be in the stream: the run cannot judge it
               break;
            }
            std::this_thread::sleep_for(20ms);
         }
      }
      drop_link();
   }

   std::optional<stream_id> publish_once(std::string const& key, std::string const& payload,
                                         std::string const& message_id) {
      if (context_ == nullptr && !connect()) {
         return std::nullopt;
      }
      std::array<char const*, 6> argv{"FCALL",     "notify_publish", "1",
                                      key.c_str(), payload.c_str(),  message_id.c_str()};
      std::array<std::size_t, 6> lengths{5, 14, 1, key.size(), payload.size(), message_id.size()};
      void* raw =
          redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data());
      if (raw == nullptr) {
         last_error_ = context_->errstr;
         drop_link(); // no answer: it may have run; the retry with the same message id tells
         return std::nullopt;
      }
      auto const* answer = static_cast<redisReply*>(raw);
      std::optional<stream_id> id;
      if (answer->type == REDIS_REPLY_STRING || answer->type == REDIS_REPLY_STATUS) {
         id = notify::parse_stream_id(std::string_view(answer->str, answer->len));
      }
      if (!id) {
         last_error_ = answer->str != nullptr ? std::string(answer->str, answer->len) : "?";
      }
      freeReplyObject(raw);
      return id; // an error reply (LOADING after a restart, ...): tried again
   }

   bool connect() {
      context_ = redisConnectWithTimeout("127.0.0.1", port_, timeval{0, 200'000});
      if (context_ == nullptr || context_->err != 0) {
         last_error_ = context_ != nullptr ? context_->errstr : "out of memory";
         drop_link();
         return false;
      }
      redisSetTimeout(context_, timeval{1, 0});
      return true;
   }

   void drop_link() {
      if (context_ != nullptr) {
         redisFree(context_);
         context_ = nullptr;
      }
   }

   int index_;
   std::uint16_t port_;
   truth_store& truth_;
   std::mt19937 rng_;
   std::vector<int> users_;
   std::atomic<bool> running_{true};
   std::thread thread_;
   redisContext* context_ = nullptr;
   std::atomic<long long> published_{0};
   std::atomic<long long> failed_attempts_{0};
   std::atomic<long long> retried_{0};
   long long unresolved_ = 0;
   std::string last_error_;
};

// ---------------------------------------------------------------------------------------------
// Clients: WebSocket clients on one io_context (one thread), each a logical client that outlives
// its connections and keeps what it received per stream.

/// The gateway clients should dial now (0 while it is being restarted), and how many gateways
/// have been killed: a connection that ends while its gateway was not killed was closed by it.
std::atomic<std::uint16_t> gateway_port{0};
std::atomic<int> gateway_generation{0};

struct arrival {
   stream_id id;
   long long seq = 0;
   int u = 0;       ///< the payload's target
   int attempt = 0; ///< which connection of the client received it
};

struct gap_seen {
   stream_id after;
   stream_id until; ///< 0-0: open-ended (until the next connection)
   std::string reason;
   int attempt = 0;
};

struct resume_sent {
   int attempt = 0;
   stream_id position;
};

struct stream_log {
   std::vector<arrival> arrivals;
   std::optional<stream_id> position; ///< what the next connection resumes from
   std::optional<stream_id> newest_at_first_dial;
   std::optional<stream_id> first_on_first_attempt;
   std::vector<gap_seen> gaps;
   std::vector<resume_sent> resumes;
};

/// One WebSocket connection, spoken by hand (client role, RFC 6455): the gateway sends each
/// message in one unmasked text frame, so a read of whatever arrived and a loop over its frames
/// is all it takes. Beast's per-message machinery cost ten times as much under ASan, enough to
/// make this client rather than the gateway the bottleneck on a 2-core machine.
struct connection {
   explicit connection(net::io_context& io)
       : socket(io)
       , deadline(io) {}
   tcp::socket socket;
   net::steady_timer deadline; ///< connect and upgrade must be done by then
   std::vector<char> in = std::vector<char>(16 * 1024);
   std::size_t begin = 0; ///< unread bytes: in[begin, end)
   std::size_t end = 0;
   std::string fragments; ///< a fragmented message being put together
   std::deque<std::string> out;
   bool writing = false;
   bool close_after_write = false;
   int attempt = 0;
   int generation = 0;
   bool dropped = false; ///< by the client: whatever arrives now is not looked at
   bool open = false;    ///< the WebSocket handshake succeeded
   bool authenticated = false;
};

struct logical_client {
   int index = 0;
   int user = 0;
   std::string token;
   std::array<stream_log, 2> streams;
   int attempts = 0;
   int authenticated_attempts = 0;
   std::optional<time_point> first_attempt_auth_ok;
   std::shared_ptr<connection> current;
   std::unique_ptr<net::steady_timer> timer;
   std::vector<std::string> errors;
};

struct close_seen {
   int client = 0;
   int attempt = 0;
   std::string how;
   long long at_ms = 0;
};

class client_pool {
public:
   client_pool(net::io_context& io, truth_store const& truth, std::uint32_t seed)
       : io_(io)
       , truth_(truth)
       , rng_(seed)
       , drop_timer_(io) {
      clients_.resize(client_count);
      for (int i = 0; i < client_count; ++i) {
         auto& c = clients_[static_cast<std::size_t>(i)];
         c.index = i;
         c.user = i % user_count;
         c.token = notify::auth::mint_jwt(jwt_secret, user_name(c.user), std::chrono::hours(2));
         c.timer = std::make_unique<net::steady_timer>(io);
      }
   }

   /// In the io thread: first connects spread over 1.5 s, and the drop timer.
   void start() {
      for (auto& c : clients_) {
         retry_after(c, std::chrono::milliseconds(5 * c.index));
      }
      schedule_drop();
   }

   void set_drops(bool on) { drops_enabled_ = on; }

   /// In the io thread: how many clients are not connected and authenticated.
   int not_authenticated() const {
      return static_cast<int>(std::count_if(clients_.begin(), clients_.end(), [](auto const& c) {
         return !c.current || !c.current->authenticated;
      }));
   }

   /// In the io thread, after the publishers stopped: how many clients have not reached the
   /// newest id of their streams (or are not connected).
   int behind() const {
      int count = 0;
      for (auto const& c : clients_) {
         bool ok = c.current && c.current->authenticated;
         for (std::size_t s = 0; s < 2 && ok; ++s) {
            auto const newest = truth_.newest(s == user_stream ? c.user : global_target);
            auto const& position = c.streams[s].position;
            ok = !newest || (position && *position >= *newest);
         }
         count += ok ? 0 : 1;
      }
      return count;
   }

   /// In the io thread: closes everything; io.run() returns once the handlers are done.
   void shut_down() {
      stopping_ = true;
      drop_timer_.cancel();
      for (auto& c : clients_) {
         c.timer->cancel();
         if (c.current) {
            c.current->dropped = true;
            close_socket(*c.current);
            c.current.reset();
         }
      }
      for (auto& weak : closing_) {
         if (auto conn = weak.lock()) {
            close_socket(*conn);
         }
      }
      closing_.clear();
   }

   // After the io thread has finished:
   std::vector<logical_client> const& clients() const { return clients_; }
   long long random_drops() const { return random_drops_; }
   long long graceful_drops() const { return graceful_drops_; }
   long long server_ends() const { return server_ends_; }
   long long dial_failures() const { return dial_failures_; }
   long long unavailable_redials() const { return unavailable_redials_; }
   long long auth_oks() const { return auth_oks_; }
   /// In the io thread (or after it): messages received so far.
   long long arrivals() const { return arrivals_; }
   std::vector<close_seen> const& unexpected_closes() const { return unexpected_closes_; }

private:
   void retry_after(logical_client& c, std::chrono::milliseconds delay) {
      if (stopping_) {
         return;
      }
      c.timer->expires_after(delay);
      c.timer->async_wait([this, &c](error_code ec) {
         if (!ec && !stopping_) {
            dial(c);
         }
      });
   }

   std::chrono::milliseconds random_ms(int low, int high) {
      return std::chrono::milliseconds(std::uniform_int_distribution<int>(low, high)(rng_));
   }

   static void close_socket(connection& conn) {
      error_code ignored;
      conn.socket.close(ignored);
      conn.deadline.cancel();
   }

   void dial(logical_client& c) {
      int const generation = gateway_generation.load(); // before the port: see the kills in run()
      std::uint16_t const port = gateway_port.load();
      if (port == 0) {
         retry_after(c, random_ms(50, 200)); // the gateway is being restarted
         return;
      }
      auto conn = std::make_shared<connection>(io_);
      conn->attempt = ++c.attempts;
      conn->generation = generation;
      std::string target = "/ws?token=" + c.token + "&format=envelope";
      for (std::size_t s = 0; s < 2; ++s) {
         auto& log = c.streams[s];
         if (conn->attempt == 1) {
            log.newest_at_first_dial = truth_.newest(s == user_stream ? c.user : global_target);
            continue; // a first connection starts at auth_ok
         }
         auto const from = log.position.value_or(log.newest_at_first_dial.value_or(stream_id{}));
         log.resumes.push_back({conn->attempt, from});
         target += "&resume_" + std::string(stream_names[s]) + "=" + id_text(from);
      }
      c.current = conn;
      auto request = std::make_shared<std::string>(
          "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
      conn->deadline.expires_after(5s);
      conn->deadline.async_wait([conn](error_code ec) {
         if (!ec && !conn->open) {
            error_code ignored;
            conn->socket.close(ignored); // the pending operation fails: a failed dial
         }
      });
      conn->socket.async_connect(
          tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port),
          [this, &c, conn, request](error_code ec) {
             if (conn->dropped || c.current != conn) {
                return;
             }
             if (ec) {
                ended(c, conn, ec.message());
                return;
             }
             net::async_write(conn->socket, net::buffer(*request),
                              [this, &c, conn, request](error_code write_ec, std::size_t) {
                                 if (conn->dropped || c.current != conn) {
                                    return;
                                 }
                                 if (write_ec) {
                                    ended(c, conn, write_ec.message());
                                    return;
                                 }
                                 read(c, conn);
                              });
          });
   }

   void read(logical_client& c, std::shared_ptr<connection> const& conn) {
      auto& in = conn->in;
      if (conn->begin == conn->end) {
         conn->begin = conn->end = 0;
      } else if (conn->end == in.size() && conn->begin > 0) {
         std::copy(in.begin() + static_cast<std::ptrdiff_t>(conn->begin),
                   in.begin() + static_cast<std::ptrdiff_t>(conn->end), in.begin());
         conn->end -= conn->begin;
         conn->begin = 0;
      }
      if (conn->end == in.size()) {
         if (in.size() >= 4 * 1024 * 1024) {
            fail(c, "a frame of more than 4 MiB");
            drop(c, false, random_ms(50, 400));
            return;
         }
         in.resize(in.size() * 2);
      }
      conn->socket.async_read_some(net::buffer(in.data() + conn->end, in.size() - conn->end),
                                   [this, &c, conn](error_code ec, std::size_t bytes) {
                                      if (conn->dropped || c.current != conn) {
                                         return;
                                      }
                                      if (ec) {
                                         ended(c, conn, ec.message());
                                         return;
                                      }
                                      conn->end += bytes;
                                      if (consume(c, conn) && !conn->dropped && c.current == conn) {
                                         read(c, conn);
                                      }
                                   });
   }

   /// Handles what has arrived: the upgrade response, then whole frames. False when the
   /// connection is over.
   bool consume(logical_client& c, std::shared_ptr<connection> const& conn) {
      auto& in = conn->in;
      std::string_view unread(in.data() + conn->begin, conn->end - conn->begin);
      if (!conn->open) {
         auto const head_end = unread.find("\r\n\r\n");
         if (head_end == std::string_view::npos) {
            return true; // more to come
         }
         auto const status = unread.substr(0, unread.find("\r\n"));
         if (!status.starts_with("HTTP/1.1 101 ")) {
            ended(c, conn, "upgrade refused: " + std::string(status));
            return false;
         }
         conn->open = true;
         conn->deadline.cancel();
         conn->begin += head_end + 4;
         unread.remove_prefix(head_end + 4);
      }
      while (unread.size() >= 2) {
         auto const b0 = static_cast<unsigned char>(unread[0]);
         auto const b1 = static_cast<unsigned char>(unread[1]);
         if ((b1 & 0x80U) != 0 || (b0 & 0x70U) != 0) {
            fail(c, "a masked frame or one with RSV bits from the server");
            drop(c, false, random_ms(50, 400));
            return false;
         }
         std::size_t header = 2;
         std::uint64_t length = b1 & 0x7FU;
         if (length >= 126) {
            std::size_t const extra = length == 126 ? 2 : 8;
            if (unread.size() < 2 + extra) {
               break;
            }
            length = 0;
            for (std::size_t i = 0; i < extra; ++i) {
               length = (length << 8U) | static_cast<unsigned char>(unread[2 + i]);
            }
            header += extra;
         }
         if (unread.size() - header < length) {
            break; // the rest of this frame is still on its way
         }
         auto const payload = unread.substr(header, static_cast<std::size_t>(length));
         unread.remove_prefix(header + static_cast<std::size_t>(length));
         conn->begin += header + static_cast<std::size_t>(length);
         bool const fin = (b0 & 0x80U) != 0;
         switch (b0 & 0x0FU) {
         case 0x1: // text
            if (fin) {
               on_text(c, *conn, payload);
            } else {
               conn->fragments.assign(payload);
            }
            break;
         case 0x0: // continuation
            conn->fragments.append(payload);
            if (fin) {
               auto const whole = std::move(conn->fragments);
               conn->fragments.clear();
               on_text(c, *conn, whole);
            }
            break;
         case 0x8: { // close
            std::string how = "close frame";
            if (payload.size() >= 2) {
               how = "close " +
                     std::to_string((static_cast<unsigned char>(payload[0]) << 8U) |
                                    static_cast<unsigned char>(payload[1])) +
                     " " + std::string(payload.substr(2));
            }
            ended(c, conn, how);
            return false;
         }
         case 0x9: // ping
            send_frame(conn, 0xA, payload);
            break;
         case 0xA: // pong
            break;
         default:
            fail(c, "an unexpected frame, opcode " + std::to_string(b0 & 0x0FU));
            break;
         }
         if (conn->dropped || c.current != conn) {
            return false; // on_text() dropped it
         }
      }
      return true; // a frame not yet complete stays in in[begin, end): read() makes room
   }

   void on_text(logical_client& c, connection& conn, std::string_view text) {
      try {
         if (!on_envelope(c, conn, text)) {
            on_message(c, conn, std::string(text));
         }
      } catch (std::exception const& e) {
         fail(c, "cannot read " + std::string(text) + ": " + e.what());
      }
   }

   /// A masked frame (clients must mask) with a payload of at most 125 bytes: pong or close.
   static void send_frame(std::shared_ptr<connection> const& conn, unsigned opcode,
                          std::string_view payload) {
      std::array<unsigned char, 4> const mask{0x5a, 0x17, 0xc3, 0x2e};
      std::string frame;
      frame += static_cast<char>(0x80U | opcode);
      frame += static_cast<char>(0x80U | (payload.size() & 0x7FU));
      frame.append(mask.begin(), mask.end());
      for (std::size_t i = 0; i < payload.size() && i < 125; ++i) {
         frame += static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i % 4]);
      }
      conn->out.push_back(std::move(frame));
      if (!conn->writing) {
         write_next(conn);
      }
   }

   static void write_next(std::shared_ptr<connection> const& conn) {
      if (conn->out.empty()) {
         if (conn->close_after_write) {
            close_socket(*conn);
         }
         return;
      }
      conn->writing = true;
      net::async_write(conn->socket, net::buffer(conn->out.front()),
                       [conn](error_code ec, std::size_t) {
                          conn->writing = false;
                          conn->out.pop_front();
                          if (ec) {
                             close_socket(*conn);
                             return;
                          }
                          write_next(conn);
                       });
   }

   /// The connection failed or the gateway ended it: dial again soon.
   void ended(logical_client& c, std::shared_ptr<connection> const& conn, std::string how) {
      c.current.reset();
      close_socket(*conn);
      if (!conn->open) {
         ++dial_failures_; // refused while the gateway restarts, mostly
      } else {
         ++server_ends_;
         if (conn->generation == gateway_generation.load() && !stopping_) {
            unexpected_closes_.push_back(
                {c.index, conn->attempt, std::move(how), ms_since_start(clock_type::now())});
         }
      }
      retry_after(c, random_ms(50, 400));
   }

   void drop(logical_client& c, bool graceful, std::chrono::milliseconds away) {
      auto conn = std::move(c.current);
      conn->dropped = true;
      if (graceful && conn->open) {
         ++graceful_drops_;
         closing_.push_back(conn);
         conn->close_after_write = true;
         send_frame(conn, 0x8, std::string_view("\x03\xe8", 2)); // 1000, then TCP closed
      } else {
         close_socket(*conn);
      }
      retry_after(c, away);
   }

   void schedule_drop() {
      drop_timer_.expires_after(drop_period);
      drop_timer_.async_wait([this](error_code ec) {
         if (ec || stopping_) {
            return;
         }
         if (drops_enabled_) {
            auto& c =
                clients_[std::uniform_int_distribution<std::size_t>(0, clients_.size() - 1)(rng_)];
            bool const graceful = std::uniform_int_distribution<int>(0, 1)(rng_) == 1;
            bool const long_away = std::uniform_int_distribution<int>(0, 9)(rng_) == 0;
            auto const away = long_away ? random_ms(2000, 5000) : random_ms(20, 1500);
            if (c.current) {
               ++random_drops_;
               drop(c, graceful, away);
            }
         }
         std::erase_if(closing_, [](auto const& weak) { return weak.expired(); });
         schedule_drop();
      });
   }

   void fail(logical_client& c, std::string what) {
      if (c.errors.size() < 5) {
         c.errors.push_back(std::move(what));
      }
   }

   /// A message received on stream `s`: kept, and the position moves on.
   void arrived(logical_client& c, connection const& conn, std::size_t s, stream_id id,
                long long seq, int u) {
      ++arrivals_;
      auto& log = c.streams[s];
      log.arrivals.push_back({id, seq, u, conn.attempt});
      if (conn.attempt == 1 && !log.first_on_first_attempt) {
         log.first_on_first_attempt = id;
      }
      if (!log.position || *log.position < id) {
         log.position = id;
      }
   }

   /// The fast path for what nearly every message is, exactly as the gateway frames it:
   /// {"type":"message","stream":"user","id":"<id>","data":{"u":<u>,"seq":<seq>}}. Parsing
   /// each of them as JSON would make this client, not the gateway, the bottleneck under ASan.
   /// False for anything else, which then goes through on_message().
   bool on_envelope(logical_client& c, connection const& conn, std::string_view text) {
      auto const take = [&text](std::string_view prefix) {
         if (!text.starts_with(prefix)) {
            return false;
         }
         text.remove_prefix(prefix.size());
         return true;
      };
      auto const take_until = [&text](char end) -> std::optional<std::string_view> {
         auto const at = text.find(end);
         if (at == std::string_view::npos) {
            return std::nullopt;
         }
         auto const part = text.substr(0, at);
         text.remove_prefix(at + 1);
         return part;
      };
      auto const number = [](std::string_view digits) -> std::optional<long long> {
         long long value = 0;
         auto const [end, ec] =
             std::from_chars(digits.data(), digits.data() + digits.size(), value);
         if (ec != std::errc{} || end != digits.data() + digits.size()) {
            return std::nullopt;
         }
         return value;
      };
      if (!conn.authenticated || !take(R"({"type":"message","stream":")")) {
         return false;
      }
      std::size_t s = 0;
      if (take(R"(user",)")) {
         s = user_stream;
      } else if (take(R"(global",)")) {
         s = global_stream;
      } else {
         return false;
      }
      if (!take(R"("id":")")) {
         return false;
      }
      auto const id_part = take_until('"');
      auto const id = id_part ? notify::parse_stream_id(*id_part) : std::nullopt;
      if (!id || !take(R"(,"data":{"u":)")) {
         return false;
      }
      auto const u_part = take_until(',');
      if (!u_part || !take(R"("seq":)")) {
         return false;
      }
      auto const seq_part = take_until('}');
      auto const u = u_part ? number(*u_part) : std::nullopt;
      auto const seq = seq_part ? number(*seq_part) : std::nullopt;
      if (!u || !seq || text != "}") {
         return false;
      }
      arrived(c, conn, s, *id, *seq, static_cast<int>(*u));
      return true;
   }

   void on_message(logical_client& c, connection& conn, std::string const& text) {
      auto const message = nlohmann::json::parse(text, nullptr, false);
      if (message.is_discarded() || !message.is_object() || !message.contains("type") ||
          !message["type"].is_string()) {
         fail(c, "not a JSON object with a type: " + text);
         return;
      }
      auto const type = message["type"].get<std::string>();
      if (type == "auth_ok") {
         if (conn.authenticated) {
            fail(c, "a second auth_ok: " + text);
            return;
         }
         conn.authenticated = true;
         ++c.authenticated_attempts;
         ++auth_oks_;
         if (conn.attempt == 1) {
            c.first_attempt_auth_ok = clock_type::now();
         }
         if (message.value("userId", "") != user_name(c.user)) {
            fail(c, "auth_ok for someone else: " + text);
         }
         return;
      }
      if (!conn.authenticated) {
         fail(c, "before auth_ok: " + text);
         return;
      }
      auto const stream_name = message.value("stream", "");
      std::size_t const s = stream_name == "user" ? user_stream : global_stream;
      if (stream_name != "user" && stream_name != "global" &&
          (type == "message" || type == "gap")) {
         fail(c, "unknown stream: " + text);
         return;
      }
      auto& log = c.streams[s];
      if (type == "message") {
         auto const id = notify::parse_stream_id(message.value("id", ""));
         auto const& data = message.contains("data") ? message["data"] : nlohmann::json();
         if (!id || !data.is_object()) {
            fail(c, "message without an id or data: " + text);
            return;
         }
         arrived(c, conn, s, *id, data.value("seq", -1LL), data.value("u", -2));
         return;
      }
      if (type == "gap") {
         auto const after = notify::parse_stream_id(message.value("after", ""));
         auto const until = notify::parse_stream_id(message.value("until", ""));
         if (!after || !until) {
            fail(c, "gap without positions: " + text);
            return;
         }
         auto const reason = message.value("reason", "");
         log.gaps.push_back({*after, *until, reason, conn.attempt});
         if (reason == "unavailable") {
            // No history on this connection: take nothing from it, come back in a moment.
            ++unavailable_redials_;
            drop(c, false, random_ms(300, 800));
            return;
         }
         if (!until->is_zero() && (!log.position || *log.position < *until)) {
            log.position = *until; // what follows continues after `until`
         }
         return;
      }
      fail(c, "unexpected message: " + text);
   }

   net::io_context& io_;
   truth_store const& truth_;
   std::mt19937 rng_;
   net::steady_timer drop_timer_;
   std::vector<logical_client> clients_;
   std::vector<std::weak_ptr<connection>> closing_;
   std::atomic<bool> drops_enabled_{false};
   bool stopping_ = false;
   long long random_drops_ = 0;
   long long graceful_drops_ = 0;
   long long server_ends_ = 0;
   long long dial_failures_ = 0;
   long long unavailable_redials_ = 0;
   long long auth_oks_ = 0;
   long long arrivals_ = 0;
   std::vector<close_seen> unexpected_closes_;
};

/// Runs `work` in the io thread and returns its result (nullopt after 5 s).
template <class Work>
auto in_io(net::io_context& io, Work work) -> std::optional<decltype(work())> {
   auto task = std::make_shared<std::packaged_task<decltype(work())()>>(std::move(work));
   auto result = task->get_future();
   net::post(io, [task] { (*task)(); });
   if (result.wait_for(5s) != std::future_status::ready) {
      return std::nullopt;
   }
   return result.get();
}

/// Stops and joins the io thread when the run ends early (an exception).
struct io_thread_guard {
   io_thread_guard(net::io_context& context, std::thread running)
       : io(context)
       , thread(std::move(running)) {}
   io_thread_guard(io_thread_guard const&) = delete;
   io_thread_guard& operator=(io_thread_guard const&) = delete;
   ~io_thread_guard() {
      if (thread.joinable()) {
         io.stop();
         thread.join();
      }
   }
   net::io_context& io;
   std::thread thread;
};

// ---------------------------------------------------------------------------------------------
// Accounting

struct totals {
   long long published_user = 0;
   long long published_global = 0;
   long long owed = 0;      ///< (client, stream, id) triples that had to arrive
   long long delivered = 0; ///< owed ones that arrived
   long long early = 0;     ///< first-connection arrivals published before its auth_ok (allowed)
   long long missing = 0;
   long long duplicates = 0;
   long long out_of_order = 0;
   long long foreign = 0; ///< an id its target never returned
   long long altered = 0; ///< the payload is not the one published with that id
   long long before_start = 0;
   std::map<std::string, long long> gap_signals;
   std::map<std::string, long long> gap_covered;
   std::vector<std::string> examples;
};

void note(totals& t, std::string line) {
   if (t.examples.size() < 15) {
      t.examples.push_back(std::move(line));
   }
}

void account(logical_client const& c, std::size_t s, std::vector<published> const& truth,
             totals& t) {
   auto const& log = c.streams[s];
   std::string const who = "client " + std::to_string(c.index) + " (user " + user_name(c.user) +
                           ") " + std::string(stream_names[s]) + " stream";
   for (auto const& g : log.gaps) {
      ++t.gap_signals[g.reason];
   }
   // Where the client's claim starts: `from` included, or after `after`.
   std::optional<stream_id> from;
   std::optional<stream_id> after;
   if (c.first_attempt_auth_ok && log.first_on_first_attempt) {
      from = *log.first_on_first_attempt;
      for (auto const& p : truth) {
         if (p.first_sent > *c.first_attempt_auth_ok) {
            from = std::min(*from, p.id);
            break;
         }
      }
   } else if (!log.resumes.empty()) {
      after = log.resumes.front().position;
   } else if (c.first_attempt_auth_ok) {
      for (auto const& p : truth) {
         if (p.first_sent > *c.first_attempt_auth_ok) {
            from = p.id;
            break;
         }
      }
      if (!from) {
         after = stream_id{std::numeric_limits<std::uint64_t>::max(), 0}; // nothing owed
      }
   } else {
      after = stream_id{std::numeric_limits<std::uint64_t>::max(), 0};
   }
   auto const owed = [&](stream_id id) { return from ? id >= *from : id > *after; };

   std::set<stream_id> received;
   std::optional<stream_id> previous;
   for (auto const& a : log.arrivals) {
      if (previous && a.id <= *previous) {
         if (received.count(a.id) != 0) {
            ++t.duplicates;
            note(t, who + ": duplicate " + id_text(a.id) + " on connection " +
                        std::to_string(a.attempt));
         } else {
            ++t.out_of_order;
            note(t, who + ": " + id_text(a.id) + " after " + id_text(*previous) +
                        " on connection " + std::to_string(a.attempt));
         }
      }
      previous = previous ? std::max(*previous, a.id) : a.id;
      received.insert(a.id);
      auto const found =
          std::lower_bound(truth.begin(), truth.end(), a.id,
                           [](published const& p, stream_id id) { return p.id < id; });
      int const expected_u = s == user_stream ? c.user : -1;
      if (found == truth.end() || found->id != a.id) {
         ++t.foreign;
         note(t, who + ": " + id_text(a.id) + " was never published to it (seq " +
                     std::to_string(a.seq) + ", u " + std::to_string(a.u) + ")");
      } else if (found->seq != a.seq || a.u != expected_u) {
         ++t.altered;
         note(t, who + ": " + id_text(a.id) + " carries seq " + std::to_string(a.seq) + " u " +
                     std::to_string(a.u) + ", published with seq " + std::to_string(found->seq));
      } else if (a.attempt == 1 && c.first_attempt_auth_ok &&
                 found->first_sent <= *c.first_attempt_auth_ok) {
         ++t.early;
      }
      if (!owed(a.id)) {
         ++t.before_start;
         note(t, who + ": " + id_text(a.id) + " is before its start " +
                     (after ? "(resumed after " + id_text(*after) + ")" : std::string()));
      }
   }
   auto const end_of_open_gap = [&](gap_seen const& g) {
      for (auto const& r : log.resumes) {
         if (r.attempt > g.attempt) {
            return r.position;
         }
      }
      return stream_id{std::numeric_limits<std::uint64_t>::max(), 0};
   };
   for (auto const& p : truth) {
      if (!owed(p.id)) {
         continue;
      }
      ++t.owed;
      if (received.count(p.id) != 0) {
         ++t.delivered;
         continue;
      }
      gap_seen const* cover = nullptr;
      for (auto const& g : log.gaps) {
         auto const until = g.until.is_zero() ? end_of_open_gap(g) : g.until;
         if (g.after < p.id && p.id <= until) {
            cover = &g;
            break;
         }
      }
      if (cover != nullptr) {
         ++t.gap_covered[cover->reason];
         continue;
      }
      ++t.missing;
      // Neighbours: what arrived just before and after it, and on which connection.
      std::string around;
      auto const next = received.upper_bound(p.id);
      for (auto const& a : log.arrivals) {
         if (next != received.end() && a.id == *next) {
            around +=
                ", next received " + id_text(a.id) + " on connection " + std::to_string(a.attempt);
         }
      }
      note(t, who + ": missing " + id_text(p.id) + " (seq " + std::to_string(p.seq) +
                  ", first sent at +" + std::to_string(ms_since_start(p.first_sent)) + " ms)" +
                  around + "; " + std::to_string(c.attempts) + " connections");
   }
}

// ---------------------------------------------------------------------------------------------
// The run

std::uint32_t seed_from_environment() {
   if (char const* text = std::getenv("HISTORY_CHAOS_SEED")) {
      return static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10));
   }
   return default_seed;
}

bool time_left(std::chrono::seconds needed) {
   return clock_type::now() - run_started + needed < hard_deadline;
}

std::unique_ptr<gateway_process> start_gateway(std::uint16_t redis_port) {
   std::vector<std::string> args{"--threads", "2",
                                 "--set",     "history.user_max_entries=100000",
                                 "--set",     "history.global_max_entries=100000",
                                 "--set",     "history.max_replay=100000",
                                 "--set",     "history.max_age_s=3600",
                                 "--set",     "limits.handshake_rate_per_ip=0",
                                 "--set",     "limits.max_connections_per_ip=0",
                                 "--set",     "auth.max_failures=0",
                                 "--set",     "redis.health_check_interval_ms=1000",
                                 "--set",     "redis.reconnect_max_delay_ms=500"};
   auto gateway = std::make_unique<gateway_process>(
       args, env_list{{"NOTIFY_JWT_SECRET", std::string(jwt_secret)},
                      {"REDIS_HOST", "127.0.0.1"},
                      {"REDIS_PORT", std::to_string(redis_port)}});
   run_watchdog.watch_gateway(gateway->pid());
   if (!gateway->wait_for_log("function library loaded", 15s)) {
      throw std::runtime_error("the gateway did not load its function library; its log:\n" +
                               gateway->log_text());
   }
   return gateway;
}

/// Copies the gateways' logs where they survive the run; returns the directory.
std::string keep_logs(std::vector<std::unique_ptr<gateway_process>> const& gateways,
                      std::uint32_t seed) {
   auto const dir = std::filesystem::temp_directory_path() /
                    ("history-chaos-" + std::to_string(seed) + "-" + std::to_string(::getpid()));
   std::filesystem::create_directories(dir);
   for (std::size_t i = 0; i < gateways.size(); ++i) {
      std::ofstream(dir / ("gateway-" + std::to_string(i + 1) + ".log")) << gateways[i]->log_text();
   }
   return dir.string();
}

int run() {
   run_watchdog.start();
   std::signal(SIGPIPE, SIG_IGN);
   if (!redis_server::available()) {
      std::cerr << "history_chaos: redis-server not found\n";
      return 2;
   }
   auto const seed = seed_from_environment();
   std::cout << "history_chaos: seed " << seed << " (HISTORY_CHAOS_SEED overrides)\n" << std::flush;

   redis_server redis(redis_server::options{.password = {}, .append_only = true});
   run_watchdog.watch_redis(redis.pid());
   std::vector<std::unique_ptr<gateway_process>> gateways;
   gateways.push_back(start_gateway(redis.port()));
   gateway_port = gateways.back()->port();

   truth_store truth;
   std::vector<std::unique_ptr<publisher>> publishers;
   for (int k = 0; k < publisher_count; ++k) {
      publishers.push_back(std::make_unique<publisher>(
          k, redis.port(), truth, seed + 1000 + static_cast<std::uint32_t>(k)));
   }
   for (auto& p : publishers) {
      p->start();
   }

   net::io_context io;
   auto work = net::make_work_guard(io);
   client_pool pool(io, truth, seed);
   net::post(io, [&pool] { pool.start(); });
   io_thread_guard io_thread(io, std::thread([&io] { io.run(); }));

   std::vector<std::string> failures;
   auto const all_in_by = clock_type::now() + 20s;
   int waiting = client_count;
   while (clock_type::now() < all_in_by) {
      waiting = in_io(io, [&pool] { return pool.not_authenticated(); }).value_or(client_count);
      if (waiting == 0) {
         break;
      }
      std::this_thread::sleep_for(100ms);
   }
   if (waiting != 0) {
      failures.push_back(std::to_string(waiting) + " clients never got auth_ok at the start");
   }
   std::cout << "history_chaos: " << client_count - waiting << " clients connected at +"
             << ms_since_start(clock_type::now()) << " ms\n"
             << std::flush;
   std::this_thread::sleep_for(warmup);
   pool.set_drops(true);

   std::mt19937 chaos_rng(seed + 7);
   auto const downtime = [&chaos_rng] {
      return std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 1000)(chaos_rng));
   };
   int redis_kills = 0;
   int gateway_kills = 0;
   bool gateway_crashed = false;
   for (int round = 0; round < fault_rounds && time_left(30s); ++round) {
      std::this_thread::sleep_for(between_faults);
      // Redis: kill -9, down a moment, back with its append-only file. Clients stay connected.
      auto const redis_down = downtime();
      ::kill(redis.pid(), SIGKILL); // not reaped yet: the PID cannot be reused before restart
      std::this_thread::sleep_for(redis_down);
      redis.crash_and_restart();
      run_watchdog.watch_redis(redis.pid());
      ++redis_kills;
      std::cout << "history_chaos: +" << ms_since_start(clock_type::now()) << " ms redis kill -9 #"
                << redis_kills << ", down " << redis_down.count() << " ms\n"
                << std::flush;

      std::this_thread::sleep_for(between_faults);
      // The gateway: kill -9, a new process on a new port; clients reconnect and resume.
      if (!gateways.back()->running()) {
         gateway_crashed = true;
         failures.push_back("gateway " + std::to_string(gateways.size()) +
                            " had exited before it was killed");
         break;
      }
      auto const gateway_down = downtime();
      gateway_port = 0; // first, then the generation: dial() reads them in the other order
      ++gateway_generation;
      gateways.back()->signal(SIGKILL);
      gateways.back()->wait_exit(5s);
      std::this_thread::sleep_for(gateway_down);
      gateways.push_back(start_gateway(redis.port()));
      gateway_port = gateways.back()->port();
      ++gateway_kills;
      std::cout << "history_chaos: +" << ms_since_start(clock_type::now())
                << " ms gateway kill -9 #" << gateway_kills << ", down " << gateway_down.count()
                << " ms plus its start, now on port " << gateways.back()->port() << "\n"
                << std::flush;
   }
   std::this_thread::sleep_for(calm_after_faults);
   pool.set_drops(false);
   for (auto& p : publishers) {
      p->stop();
   }
   auto const stopped_publishing = clock_type::now();
   // Everyone gets to the newest ids, however slow the machine, as long as messages still
   // arrive (and the hard deadline is not near).
   int behind = client_count;
   long long arrived = -1;
   auto progress_at = clock_type::now();
   while (time_left(10s)) {
      auto const now = in_io(io, [&pool] {
                          return std::pair{pool.behind(), pool.arrivals()};
                       }).value_or(std::pair{client_count, arrived});
      behind = now.first;
      if (behind == 0) {
         break;
      }
      if (now.second != arrived) {
         arrived = now.second;
         progress_at = clock_type::now();
      } else if (clock_type::now() - progress_at > catch_up_stall) {
         break;
      }
      std::this_thread::sleep_for(200ms);
   }
   auto const caught_up_ms =
       std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - stopped_publishing)
           .count();
   in_io(io, [&pool] {
      pool.shut_down();
      return 0;
   });
   work.reset();
   io_thread.thread.join();

   bool const gateway_alive =
       gateways.back()->running() && http_get(gateways.back()->port(), "/healthz").status == 200;
   std::optional<int> gateway_exit;
   if (gateway_alive) {
      gateways.back()->signal(SIGTERM);
      gateway_exit = gateways.back()->wait_exit(10s);
   }

   // ---- accounting
   totals t;
   for (int target = 0; target < target_count; ++target) {
      auto const& list = truth.of(target);
      (target == global_target ? t.published_global : t.published_user) +=
          static_cast<long long>(list.size());
      for (std::size_t i = 1; i < list.size(); ++i) {
         if (!(list[i - 1].id < list[i].id)) {
            failures.push_back("notify_publish returned ids out of order for " +
                               target_key(target) + ": " + id_text(list[i - 1].id) + " then " +
                               id_text(list[i].id));
         }
      }
   }
   std::vector<std::string> client_errors;
   long long reconnects = 0;
   for (auto const& c : pool.clients()) {
      account(c, user_stream, truth.of(c.user), t);
      account(c, global_stream, truth.of(global_target), t);
      reconnects += std::max(0, c.attempts - 1);
      for (auto const& e : c.errors) {
         if (client_errors.size() < 10) {
            client_errors.push_back("client " + std::to_string(c.index) + ": " + e);
         }
      }
   }
   long long failed_attempts = 0;
   long long retried = 0;
   long long unresolved = 0;
   for (auto const& p : publishers) {
      failed_attempts += p->failed_attempts();
      retried += p->retried();
      unresolved += p->unresolved();
   }
   long long gap_signals = 0;
   long long gap_covered = 0;
   for (auto const& [reason, count] : t.gap_signals) {
      gap_signals += count;
   }
   for (auto const& [reason, count] : t.gap_covered) {
      gap_covered += count;
   }

   // ---- report
   auto const by_reason = [](std::map<std::string, long long> const& counts) {
      std::string text;
      for (auto const& [reason, count] : counts) {
         text += (text.empty() ? " (" : ", ") + reason + " " + std::to_string(count);
      }
      return text.empty() ? text : text + ")";
   };
   std::cout << "\nhistory_chaos: seed " << seed << ", " << client_count << " clients ("
             << user_count << " users x " << clients_per_user
             << ", all following global), envelope format\n"
             << "  published:                 " << t.published_user + t.published_global << " ("
             << t.published_user << " to users, " << t.published_global << " global; " << retried
             << " answered only after retrying (" << failed_attempts
             << " failed attempts, Redis down) with the same message id; " << unresolved
             << " unresolved)\n"
             << "  owed deliveries:           " << t.owed << "\n"
             << "  delivered:                 " << t.delivered << " (of them " << t.early
             << " published just before a first connection's auth_ok)\n"
             << "  missing:                   " << t.missing << "\n"
             << "  duplicates:                " << t.duplicates << "\n"
             << "  out of order:              " << t.out_of_order << "\n"
             << "  foreign / altered:         " << t.foreign << " / " << t.altered << "\n"
             << "  before a resume position:  " << t.before_start << "\n"
             << "  gap signals:               " << gap_signals << by_reason(t.gap_signals) << "\n"
             << "  messages covered by gaps:  " << gap_covered << by_reason(t.gap_covered) << "\n"
             << "  reconnects:                " << reconnects << " (random drops "
             << pool.random_drops() << ", of them with a close frame " << pool.graceful_drops()
             << "; ended by the gateway " << pool.server_ends() << "; redials after unavailable "
             << pool.unavailable_redials() << "; failed dials " << pool.dial_failures() << ")\n"
             << "  auth_ok received:          " << pool.auth_oks() << "\n"
             << "  redis kills:               " << redis_kills << "\n"
             << "  gateway kills:             " << gateway_kills << "\n"
             << "  caught up after the end:   "
             << (behind == 0 ? std::to_string(caught_up_ms) + " ms"
                             : std::to_string(behind) + " clients still behind after " +
                                   std::to_string(caught_up_ms) + " ms (nothing arrived for " +
                                   std::to_string(catch_up_stall.count()) + " s)")
             << "\n"
             << "  unexpected closes:         " << pool.unexpected_closes().size() << "\n"
             << "  final gateway:             "
             << (gateway_alive ? "exit code " + (gateway_exit ? std::to_string(*gateway_exit)
                                                              : std::string("none (hung)"))
                               : std::string("CRASHED"))
             << "\n"
             << "  run time:                  " << ms_since_start(clock_type::now()) << " ms\n";
   for (auto const& line : t.examples) {
      std::cout << "  " << line << "\n";
   }
   for (auto const& line : client_errors) {
      std::cout << "  " << line << "\n";
   }
   for (std::size_t i = 0; i < pool.unexpected_closes().size() && i < 10; ++i) {
      auto const& close = pool.unexpected_closes()[i];
      std::cout << "  client " << close.client << " connection " << close.attempt
                << " ended by the gateway at +" << close.at_ms << " ms: " << close.how << "\n";
   }

   if (t.missing > 0) {
      failures.push_back(std::to_string(t.missing) + " owed deliveries missing without a gap");
   }
   if (t.duplicates > 0 || t.out_of_order > 0) {
      failures.push_back(std::to_string(t.duplicates) + " duplicates, " +
                         std::to_string(t.out_of_order) + " out of order");
   }
   if (t.foreign > 0 || t.altered > 0 || t.before_start > 0) {
      failures.push_back("wrong messages: " + std::to_string(t.foreign) + " foreign, " +
                         std::to_string(t.altered) + " altered, " + std::to_string(t.before_start) +
                         " before a resume position");
   }
   if (t.owed > 0 &&
       static_cast<double>(gap_covered) > max_gap_share * static_cast<double>(t.owed)) {
      failures.push_back("gaps cover " + std::to_string(gap_covered) + " of " +
                         std::to_string(t.owed) + " owed deliveries");
   }
   if (!client_errors.empty()) {
      failures.push_back("clients got unexpected messages");
   }
   if (!pool.unexpected_closes().empty()) {
      failures.push_back(std::to_string(pool.unexpected_closes().size()) +
                         " connections were closed by a gateway that was not killed");
   }
   if (unresolved > 0) {
      failures.push_back(std::to_string(unresolved) + " publishes never got an answer");
   }
   if (behind > 0) {
      failures.push_back(std::to_string(behind) + " clients did not catch up");
   }
   if (!gateway_crashed && (!gateway_alive || gateway_exit != 0)) {
      failures.push_back("the last gateway crashed or did not exit cleanly");
   }
   if (redis_kills != fault_rounds || gateway_kills != fault_rounds) {
      failures.push_back("ran out of time before injecting every fault");
   }
   for (auto const& failure : failures) {
      std::cout << "FAIL: " << failure << "\n";
   }
   if (!failures.empty()) {
      std::cout << "gateway logs kept in " << keep_logs(gateways, seed) << "\n";
      auto const log = gateways.back()->log_text();
      std::cout << "---- last gateway log (last 3000 bytes) ----\n"
                << (log.size() > 3000 ? log.substr(log.size() - 3000) : log) << "\n";
   }
   std::cout << (failures.empty() ? "PASS" : "FAIL") << "\n" << std::flush;
   run_watchdog.finish();
   return failures.empty() ? 0 : 1;
}

} // namespace

int main() {
   try {
      return run();
   } catch (std::exception const& e) {
      std::cerr << "history_chaos: " << e.what() << "\n";
      run_watchdog.finish();
      return 2;
   }
}
