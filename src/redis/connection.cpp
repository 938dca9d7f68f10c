#include "notify/redis/connection.hpp"

#include "notify/redis/error.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <string_view>
#include <utility>

namespace notify::redis {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr std::size_t read_chunk_bytes = 16 * 1024;

std::string to_lower(std::string_view text) {
   std::string lower(text);
   std::transform(lower.begin(), lower.end(), lower.begin(),
                  [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
   return lower;
}

bool is_subscribe_command(std::string_view lowered) {
   static constexpr std::array<std::string_view, 6> commands{
       "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"};
   return std::find(commands.begin(), commands.end(), lowered) != commands.end();
}

/// The first element of an array that Redis sends unasked, or that confirms a subscription.
bool is_push_kind(std::string_view first) {
   static constexpr std::array<std::string_view, 9> kinds{
       "message",    "pmessage",    "smessage",     "subscribe",   "psubscribe",
       "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"};
   return std::find(kinds.begin(), kinds.end(), first) != kinds.end();
}

std::string_view push_kind(reply const& message) {
   if (!message.is_array() || message.elements.empty() ||
       message.elements.front().type != reply::kind::string) {
      return {};
   }
   std::string_view const first = message.elements.front().str;
   return is_push_kind(first) ? first : std::string_view{};
}

/// RESP bytes for one command, built by hiredis, appended to `out`. False on allocation failure.
bool format_command(std::vector<std::string> const& args, std::string& out) {
   std::vector<char const*> argv;
   std::vector<size_t> lengths;
   argv.reserve(args.size());
   lengths.reserve(args.size());
   for (auto const& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
   }
   char* formatted = nullptr;
   int const size = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), argv.data(),
                                           lengths.data());
   if (size < 0 || formatted == nullptr) {
      return false;
   }
   out.append(formatted, static_cast<std::size_t>(size));
   redisFreeCommand(formatted);
   return true;
}

} // namespace

std::shared_ptr<connection> connection::create(executor_type executor, settings const& config,
                                               reply_limits limits) {
   return std::shared_ptr<connection>(new connection(std::move(executor), config, limits));
}

connection::connection(executor_type executor, settings const& config, reply_limits limits)
    : executor_(std::move(executor))
    , settings_(config)
    , resolver_(executor_)
    , socket_(executor_)
    , connect_timer_(executor_)
    , reader_(limits)
    , read_buffer_(read_chunk_bytes) {}

connection::~connection() {
   error_code ignored;
   socket_.close(ignored);
}

void connection::async_connect(std::function<void(error_code)> done) {
   if (state_ != state::idle) {
      asio::post(executor_, [done = std::move(done)] { done(asio::error::already_started); });
      return;
   }
   state_ = state::resolving;
   connect_handler_ = std::move(done);
   connect_timer_.expires_after(settings_.connect_timeout);
   connect_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec && self->is_active() && !self->is_open()) {
         self->last_error_ =
             "no answer within " + std::to_string(self->settings_.connect_timeout.count()) + " ms";
         self->fail(errc::connect_timeout);
      }
   });
   resolver_.async_resolve(settings_.host, std::to_string(settings_.port),
                           tcp::resolver::numeric_service,
                           [self = shared_from_this()](error_code ec, auto results) {
                              self->on_resolved(ec, std::move(results));
                           });
}

void connection::on_resolved(error_code ec, tcp::resolver::results_type endpoints) {
   if (state_ != state::resolving) {
      return;
   }
   if (ec) {
      last_error_ = "cannot resolve " + settings_.host + ": " + ec.message();
      fail(ec);
      return;
   }
   state_ = state::connecting;
   asio::async_connect(socket_, endpoints,
                       [self = shared_from_this()](error_code ec, tcp::endpoint const&) {
                          self->on_tcp_connected(ec);
                       });
}

void connection::on_tcp_connected(error_code ec) {
   if (state_ != state::connecting) {
      return;
   }
   if (ec) {
      last_error_ = ec.message();
      fail(ec);
      return;
   }
   error_code ignored;
   socket_.set_option(tcp::no_delay(true), ignored);
   state_ = state::handshaking;
   last_read_ = clock::now();
   start_read();
   start_handshake();
}

void connection::start_handshake() {
   std::vector<std::vector<std::string>> commands;
   if (!settings_.password.empty()) {
      if (settings_.username.empty()) {
         commands.push_back({"AUTH", settings_.password});
      } else {
         commands.push_back({"AUTH", settings_.username, settings_.password});
      }
   }
   if (settings_.db != 0) {
      commands.push_back({"SELECT", std::to_string(settings_.db)});
   }
   if (commands.empty()) {
      finish_connect({});
      return;
   }
   for (std::size_t i = 0; i < commands.size(); ++i) {
      bool const is_auth = commands[i].front() == "AUTH";
      bool const is_last = i + 1 == commands.size();
      // Captures only the verb: the password must not outlive the formatted command.
      enqueue(commands[i], [weak = weak_from_this(), is_auth, is_last](error_code ec, reply r) {
         auto self = weak.lock();
         if (!self || ec || self->state_ != state::handshaking) {
            return;
         }
         if (r.is_error()) {
            self->last_error_ = (is_auth ? "AUTH: " : "SELECT: ") + r.str;
            self->fail(is_auth ? errc::auth_failed : errc::protocol_error);
         } else if (is_last) {
            self->finish_connect({});
         }
      });
   }
}

void connection::finish_connect(error_code ec) {
   if (ec) {
      fail(ec);
      return;
   }
   connect_timer_.cancel();
   state_ = state::open;
   last_error_.clear();
   if (auto done = std::exchange(connect_handler_, nullptr)) {
      done({});
   }
}

void connection::send(std::vector<std::string> args, reply_handler handler) {
   if (state_ != state::open || args.empty()) {
      error_code const ec = args.empty() ? error_code(asio::error::invalid_argument)
                                         : error_code(errc::not_connected);
      asio::post(executor_, [handler = std::move(handler), ec] { handler(ec, reply{}); });
      return;
   }
   enqueue(args, std::move(handler));
}

void connection::enqueue(std::vector<std::string> const& args, reply_handler handler) {
   if (!format_command(args, output_)) {
      asio::post(executor_, [handler = std::move(handler)] {
         handler(boost::system::errc::make_error_code(boost::system::errc::not_enough_memory),
                 reply{});
      });
      return;
   }
   pending_command command{std::move(handler), {}, 0};
   std::string verb = to_lower(args.front());
   if (is_subscribe_command(verb)) {
      command.confirmations_left = std::max<std::size_t>(1, args.size() - 1);
      command.confirmation = std::move(verb);
   }
   pending_.push_back(std::move(command));
   flush();
}

void connection::flush() {
   if (write_in_flight_ || output_.empty() || !is_active()) {
      return;
   }
   writing_.swap(output_);
   output_.clear();
   write_in_flight_ = true;
   asio::async_write(
       socket_, asio::buffer(writing_),
       [self = shared_from_this()](error_code ec, std::size_t) { self->on_written(ec); });
}

void connection::on_written(error_code ec) {
   write_in_flight_ = false;
   writing_.clear();
   if (!is_active()) {
      return;
   }
   if (ec) {
      last_error_ = "write: " + ec.message();
      fail(ec);
      return;
   }
   flush();
}

void connection::start_read() {
   socket_.async_read_some(
       asio::buffer(read_buffer_),
       [self = shared_from_this()](error_code ec, std::size_t size) { self->on_read(ec, size); });
}

void connection::on_read(error_code ec, std::size_t size) {
   if (!is_active()) {
      return;
   }
   if (ec) {
      last_error_ = ec == asio::error::eof ? "closed by server" : ec.message();
      fail(ec);
      return;
   }
   last_read_ = clock::now();
   if (!reader_.feed(read_buffer_.data(), size)) {
      last_error_ = std::string(reader_.error());
      fail(errc::protocol_error);
      return;
   }
   // A handler may close the link; stop dispatching as soon as it does.
   dispatching_ = true;
   while (is_active()) {
      auto message = reader_.next();
      if (!message) {
         if (reader_.failed()) {
            dispatching_ = false;
            last_error_ = std::string(reader_.error());
            fail(errc::protocol_error);
            return;
         }
         break;
      }
      dispatch(std::move(*message));
   }
   dispatching_ = false;
   if (is_active()) {
      start_read();
   } else {
      push_handler_ = nullptr; // deferred by close(): it may have been running
   }
}

void connection::dispatch(reply&& message) {
   // Subscribe mode begins when a subscribe-family command is the oldest one waiting: every
   // reply before it belongs to an ordinary command, whatever it looks like.
   if (!subscribe_mode_ && !pending_.empty() && !pending_.front().confirmation.empty()) {
      subscribe_mode_ = true;
   }
   if (subscribe_mode_ && !push_kind(message).empty()) {
      dispatch_push(std::move(message));
      return;
   }
   if (pending_.empty()) {
      last_error_ = "reply with no command waiting for it";
      fail(errc::protocol_error);
      return;
   }
   auto handler = std::move(pending_.front().handler);
   pending_.pop_front();
   if (handler) {
      handler({}, std::move(message));
   }
}

void connection::dispatch_push(reply&& message) {
   if (!pending_.empty()) {
      auto& head = pending_.front();
      if (!head.confirmation.empty() && head.confirmation == push_kind(message) &&
          --head.confirmations_left == 0) {
         auto handler = std::move(head.handler);
         pending_.pop_front();
         if (handler) {
            handler({}, message); // a confirmation is a few bytes: copy it for both parties
         }
         if (!is_active()) {
            return;
         }
      }
   }
   if (push_handler_) {
      push_handler_(std::move(message));
   }
}

void connection::set_push_handler(std::function<void(reply&&)> handler) {
   push_handler_ = std::move(handler);
}

void connection::set_close_handler(std::function<void(error_code)> handler) {
   close_handler_ = std::move(handler);
}

void connection::fail(error_code ec) {
   if (!is_active()) {
      return;
   }
   bool const was_open = state_ == state::open;
   spdlog::debug("redis {}:{}: link failed: {} ({})", settings_.host, settings_.port, ec.message(),
                 last_error_);
   shut_down(errc::connection_lost);
   auto connect_handler = std::exchange(connect_handler_, nullptr);
   auto close_handler = std::exchange(close_handler_, nullptr);
   push_handler_ = nullptr;
   if (!was_open && connect_handler) {
      connect_handler(ec);
   } else if (was_open && close_handler) {
      close_handler(ec);
   }
}

void connection::close() {
   if (!is_active()) {
      state_ = state::closed;
      return;
   }
   shut_down(errc::stopped);
   close_handler_ = nullptr;
   if (!dispatching_) {
      push_handler_ = nullptr; // else on_read drops it once the running handler has returned
   }
   if (auto done = std::exchange(connect_handler_, nullptr)) {
      asio::post(executor_, [done = std::move(done)] { done(errc::stopped); });
   }
}

void connection::shut_down(error_code pending_error) {
   state_ = state::closed;
   error_code ignored;
   connect_timer_.cancel();
   resolver_.cancel();
   socket_.shutdown(tcp::socket::shutdown_both, ignored);
   socket_.close(ignored);
   output_.clear();
   for (auto& command : std::exchange(pending_, {})) {
      if (command.handler) {
         asio::post(executor_, [handler = std::move(command.handler), pending_error] {
            handler(pending_error, reply{});
         });
      }
   }
}

} // namespace notify::redis
