#include "support/ws_client.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <utility>

namespace notify::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {
constexpr std::size_t max_message_bytes = 64 * 1024 * 1024;
constexpr std::uint16_t no_status_received = 1005;
constexpr std::uint16_t abnormal_closure = 1006;
} // namespace

ws_client::ws_client()
    : ws_(ioc_) {
   ws_.control_callback([this](websocket::frame_type kind, std::string_view) {
      if (kind == websocket::frame_type::ping) {
         ++pings_received_;
      } else if (kind == websocket::frame_type::pong) {
         ++pongs_received_;
      }
   });
}

ws_client::~ws_client() {
   if (open_ || reading_) {
      abort_connection("client destroyed");
   }
}

template <class Done> bool ws_client::run_until(clock::time_point deadline, Done done) {
   ioc_.restart();
   while (!done()) {
      // poll first so that work already waiting is done even when the deadline has passed.
      ioc_.poll();
      if (done()) {
         break;
      }
      if (ioc_.stopped()) {
         ioc_.restart();
      }
      if (ioc_.run_one_until(deadline) == 0) {
         return done();
      }
   }
   return true;
}

bool ws_client::connect(const std::string& host, std::uint16_t port, const std::string& target,
                        const header_list& extra_headers, std::chrono::milliseconds timeout) {
   if (connect_called_) {
      last_error_ = "connect() may be called once per ws_client";
      return false;
   }
   connect_called_ = true;
   const auto deadline = clock::now() + timeout;

   // Tests connect to literal addresses or "localhost": resolving cannot block for long.
   error_code ec;
   tcp::resolver resolver(ioc_);
   const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
   if (ec) {
      last_error_ = "resolve " + host + ": " + ec.message();
      return false;
   }

   ws_.set_option(websocket::stream_base::decorator([extra_headers](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "notify-test-client");
      for (const auto& [name, value] : extra_headers) {
         req.set(name, value);
      }
   }));
   websocket::stream_base::timeout timeouts{};
   timeouts.handshake_timeout = std::chrono::seconds(5); // also bounds the closing handshake
   timeouts.idle_timeout = websocket::stream_base::none();
   timeouts.keep_alive_pings = false;
   ws_.set_option(timeouts);
   ws_.read_message_max(max_message_bytes);
   ws_.auto_fragment(false);

   bool done = false;
   error_code failure;
   const std::string host_header = host + ":" + std::to_string(port);
   beast::get_lowest_layer(ws_).async_connect(
       endpoints, [&](error_code connect_ec, const tcp::endpoint&) {
          if (connect_ec) {
             failure = connect_ec;
             done = true;
             return;
          }
          ws_.async_handshake(handshake_response_, host_header, target, [&](error_code hs_ec) {
             failure = hs_ec;
             done = true;
          });
       });

   if (!run_until(deadline, [&] { return done; })) {
      abort_connection("connect/handshake timed out", [&] { return done; });
      return false;
   }
   if (failure) {
      last_error_ = failure.message();
      if (failure == websocket::error::upgrade_declined) {
         handshake_status_ = handshake_response_.result_int();
      }
      error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
      return false;
   }
   handshake_status_ = handshake_response_.result_int();
   open_ = true;
   start_read();
   return true;
}

void ws_client::start_read() {
   reading_ = true;
   ws_.async_read(read_buffer_, [this](error_code ec, std::size_t) { on_read(ec); });
}

void ws_client::on_read(error_code ec) {
   reading_ = false;
   if (ec) {
      record_end(ec);
      return;
   }
   inbox_.push_back({beast::buffers_to_string(read_buffer_.data()), ws_.got_text()});
   read_buffer_.consume(read_buffer_.size());
   start_read();
}

void ws_client::record_end(error_code ec) {
   if (!open_) {
      return;
   }
   open_ = false;
   if (ec == websocket::error::closed) {
      const auto& reason = ws_.reason();
      const auto code = static_cast<std::uint16_t>(reason.code);
      close_.code = code == websocket::close_code::none ? no_status_received : code;
      close_.reason.assign(reason.reason.data(), reason.reason.size());
   } else {
      close_.code = abnormal_closure;
      close_.reason = ec.message();
   }
}

void ws_client::abort_connection(const std::string& why, const std::function<bool()>& finished) {
   last_error_ = why;
   if (open_) {
      open_ = false;
      close_ = {abnormal_closure, "aborted by the test client: " + why};
   }
   beast::get_lowest_layer(ws_).close();
   // Our handlers capture locals of the caller: let them all see the closed socket now. (Beast's
   // own timers may stay pending; they hold no reference to us.)
   run_until(clock::now() + std::chrono::seconds(2),
             [&] { return !reading_ && (!finished || finished()); });
}

bool ws_client::write(std::string_view data, bool text, std::chrono::milliseconds timeout) {
   if (!open_) {
      last_error_ = "not open";
      return false;
   }
   bool done = false;
   error_code failure;
   ws_.text(text);
   ws_.async_write(net::buffer(data.data(), data.size()), [&](error_code ec, std::size_t) {
      failure = ec;
      done = true;
   });
   if (!run_until(clock::now() + timeout, [&] { return done; })) {
      abort_connection("write timed out", [&] { return done; });
      return false;
   }
   if (failure) {
      last_error_ = "write: " + failure.message();
      return false;
   }
   return true;
}

bool ws_client::send_text(std::string_view text, std::chrono::milliseconds timeout) {
   return write(text, true, timeout);
}

bool ws_client::send_binary(std::string_view data, std::chrono::milliseconds timeout) {
   return write(data, false, timeout);
}

std::optional<std::string> ws_client::read_message(std::chrono::milliseconds timeout) {
   if (inbox_.empty() && open_) {
      run_until(clock::now() + timeout, [&] { return !inbox_.empty() || !open_; });
   }
   if (inbox_.empty()) {
      return std::nullopt;
   }
   message next = std::move(inbox_.front());
   inbox_.pop_front();
   last_was_text_ = next.text;
   return std::move(next.data);
}

close_result ws_client::expect_close(std::chrono::milliseconds timeout) {
   if (handshake_status_ != 101) {
      return {0, "never connected"};
   }
   if (open_) {
      run_until(clock::now() + timeout, [&] { return !open_; });
   }
   if (open_) {
      return {0, "no close within the deadline"};
   }
   return close_;
}

bool ws_client::close(std::uint16_t code, std::chrono::milliseconds timeout) {
   if (!open_) {
      last_error_ = "not open";
      return false;
   }
   bool done = false;
   error_code failure;
   ws_.async_close(websocket::close_reason(code), [&](error_code ec) {
      failure = ec;
      done = true;
   });
   if (!run_until(clock::now() + timeout, [&] { return done && !reading_; })) {
      abort_connection("close timed out", [&] { return done; });
      return false;
   }
   open_ = false;
   if (failure) {
      last_error_ = "close: " + failure.message();
      return false;
   }
   return true;
}

bool ws_client::ping(std::chrono::milliseconds timeout) {
   if (!open_) {
      last_error_ = "not open";
      return false;
   }
   const auto pongs_before = pongs_received_;
   bool done = false;
   error_code failure;
   ws_.async_ping({}, [&](error_code ec) {
      failure = ec;
      done = true;
   });
   const bool answered = run_until(clock::now() + timeout, [&] {
      return (done && pongs_received_ > pongs_before) || (done && failure) || !open_;
   });
   if (!done) {
      abort_connection("ping timed out", [&] { return done; });
      return false;
   }
   if (failure) {
      last_error_ = "ping: " + failure.message();
      return false;
   }
   if (!answered || pongs_received_ == pongs_before) {
      last_error_ = "no pong";
      return false;
   }
   return true;
}

http_response http_upgrade(std::uint16_t port, const std::string& target,
                           const header_list& extra_headers, std::chrono::milliseconds timeout) {
   header_list headers = {
       {"Upgrade", "websocket"},
       {"Connection", "Upgrade"},
       {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
       {"Sec-WebSocket-Version", "13"},
   };
   headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
   return http_request(port, "GET", target, headers, timeout);
}

} // namespace notify::test
