#pragma once

#include "notify/redis/reply.hpp"
#include "notify/redis/settings.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace notify::redis {

/// One RESP2 link to Redis: an Asio TCP socket of ours, parsed by hiredis's reply reader.
/// Replies complete commands in FIFO order; pub/sub pushes go to the push handler.
/// Use from one executor (thread) only. Async operations keep the object alive; callbacks are
/// never invoked from inside the call that initiates them.
class connection : public std::enable_shared_from_this<connection> {
public:
   using executor_type = boost::asio::any_io_executor;
   using clock = std::chrono::steady_clock;
   using reply_handler = std::function<void(boost::system::error_code, reply)>;

   static std::shared_ptr<connection> create(executor_type executor, settings const& config,
                                             reply_limits limits = {});
   ~connection();
   connection(connection const&) = delete;
   connection& operator=(connection const&) = delete;

   /// Async resolve (never a blocking getaddrinfo), TCP connect, then AUTH (password, or
   /// username + password) and SELECT when configured, all within settings.connect_timeout.
   /// `done` is called exactly once: success, errc::connect_timeout, errc::auth_failed,
   /// errc::protocol_error (SELECT refused, garbage), errc::stopped (close() meanwhile), or the
   /// socket's own error (connection refused, ...).
   void async_connect(std::function<void(boost::system::error_code)> done);

   /// Queues one command (formatted with redisFormatCommandArgv) and flushes it with whatever
   /// else was queued during this turn, one write in flight. `handler` gets the reply in FIFO
   /// order; an error reply is a reply (type error), not an error_code. Before the link is up or
   /// after it closed, `handler` gets errc::not_connected (posted). When the link closes, pending
   /// handlers get errc::connection_lost (errc::stopped after close()), posted.
   /// (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE put the link in subscribe mode; their handler
   /// completes with the last confirmation, or the error reply.
   void send(std::vector<std::string> args, reply_handler handler);

   /// Receives pub/sub pushes (message, pmessage, smessage, subscribe confirmations, ...) once
   /// the link is in subscribe mode. Set it before subscribing, not from inside itself.
   void set_push_handler(std::function<void(reply&&)> handler);

   /// Called once when an open link fails: the socket's error (end of file, reset, ...) or
   /// errc::protocol_error. Never after close(), never for a failed async_connect.
   void set_close_handler(std::function<void(boost::system::error_code)> handler);

   /// Closes the link now. No push or close handler is called after it returns.
   void close();

   bool is_open() const { return state_ == state::open; }
   bool in_subscribe_mode() const { return subscribe_mode_; }
   std::size_t pending_replies() const { return pending_.size(); }

   /// When bytes last arrived (or when the link came up): liveness is judged by bytes.
   clock::time_point last_read() const { return last_read_; }

   /// Why the last failure happened, in words fit for the log: the server's AUTH/SELECT error
   /// or the parser's complaint. Never contains the password.
   std::string const& last_error() const { return last_error_; }

private:
   enum class state { idle, resolving, connecting, handshaking, open, closed };

   struct pending_command {
      reply_handler handler;
      /// For subscribe-family commands: the push kind that confirms them ("subscribe", ...).
      std::string confirmation;
      std::size_t confirmations_left = 0;
   };

   connection(executor_type executor, settings const& config, reply_limits limits);

   void on_resolved(boost::system::error_code ec, boost::asio::ip::tcp::resolver::results_type);
   void on_tcp_connected(boost::system::error_code ec);
   void start_handshake();
   void finish_connect(boost::system::error_code ec);

   void enqueue(std::vector<std::string> const& args, reply_handler handler);
   void flush();
   void on_written(boost::system::error_code ec);
   void start_read();
   void on_read(boost::system::error_code ec, std::size_t size);
   void dispatch(reply&& message);
   void dispatch_push(reply&& message);

   /// Link failure: fail pending commands, then tell the connect or close handler.
   void fail(boost::system::error_code ec);
   void shut_down(boost::system::error_code pending_error);
   bool is_active() const { return state_ != state::idle && state_ != state::closed; }

   executor_type executor_;
   settings settings_;
   boost::asio::ip::tcp::resolver resolver_;
   boost::asio::ip::tcp::socket socket_;
   boost::asio::steady_timer connect_timer_;
   reply_reader reader_;
   std::vector<char> read_buffer_;
   std::string output_;  ///< commands queued while a write is in flight
   std::string writing_; ///< the bytes of the write in flight
   bool write_in_flight_ = false;
   std::deque<pending_command> pending_;
   bool subscribe_mode_ = false;
   bool dispatching_ = false; ///< inside on_read's reply loop: handlers may be running
   state state_ = state::idle;
   clock::time_point last_read_{};
   std::string last_error_;
   std::function<void(boost::system::error_code)> connect_handler_;
   std::function<void(reply&&)> push_handler_;
   std::function<void(boost::system::error_code)> close_handler_;
};

} // namespace notify::redis
