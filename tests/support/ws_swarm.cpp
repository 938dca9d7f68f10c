#include "support/ws_swarm.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <nlohmann/json.hpp>

namespace notify::test {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct ws_swarm::member {
   explicit member(net::io_context& io)
       : ws(io) {}
   beast::websocket::stream<beast::tcp_stream> ws;
   beast::flat_buffer buffer;
   std::uint16_t port = 0;
   std::string target;
   ws_swarm::state current = ws_swarm::state::waiting;
   std::vector<std::string> messages;
   std::string problem;
};

ws_swarm::ws_swarm(net::io_context& io, std::size_t concurrency)
    : io_(io)
    , concurrency_(concurrency) {}

ws_swarm::~ws_swarm() {
   drop_all();
   // Handlers still queued refer to members: let them see the closed sockets and finish.
   io_.poll();
}

std::size_t ws_swarm::add(std::uint16_t port, std::string target) {
   auto m = std::make_unique<member>(io_);
   m->port = port;
   m->target = std::move(target);
   members_.push_back(std::move(m));
   start_next();
   return members_.size() - 1;
}

ws_swarm::state ws_swarm::state_of(std::size_t index) const {
   return members_[index]->current;
}

std::size_t ws_swarm::count(state wanted) const {
   std::size_t n = 0;
   for (auto const& m : members_) {
      n += m->current == wanted ? 1 : 0;
   }
   return n;
}

const std::vector<std::string>& ws_swarm::messages(std::size_t index) const {
   return members_[index]->messages;
}

const std::string& ws_swarm::problem(std::size_t index) const {
   return members_[index]->problem;
}

void ws_swarm::drop(std::size_t index) {
   auto& m = *members_[index];
   beast::error_code ignored;
   beast::get_lowest_layer(m.ws).socket().close(ignored);
   if (m.current == state::waiting) {
      m.current = state::closed;
   }
}

void ws_swarm::drop_all() {
   for (std::size_t i = 0; i < members_.size(); ++i) {
      drop(i);
   }
}

void ws_swarm::start_next() {
   while (in_flight_ < concurrency_ && next_to_start_ < members_.size()) {
      auto& m = *members_[next_to_start_++];
      if (m.current != state::waiting) {
         continue;
      }
      ++in_flight_;
      start(m);
   }
}

void ws_swarm::start(member& m) {
   m.current = state::connecting;
   auto finish_handshake = [this, &m](beast::error_code ec, std::string const& why) {
      --in_flight_;
      if (ec) {
         m.current = state::refused;
         m.problem = why + ": " + ec.message();
      }
      start_next();
   };
   auto& stream = beast::get_lowest_layer(m.ws);
   stream.expires_after(std::chrono::seconds(30));
   stream.async_connect(
       tcp::endpoint(net::ip::make_address("127.0.0.1"), m.port),
       [this, &m, finish_handshake](beast::error_code ec) {
          if (ec) {
             finish_handshake(ec, "connect");
             return;
          }
          m.ws.async_handshake(
              "127.0.0.1", m.target, [this, &m, finish_handshake](beast::error_code ec) {
                 if (ec) {
                    finish_handshake(ec, "handshake");
                    return;
                 }
                 beast::get_lowest_layer(m.ws).expires_never();
                 m.ws.async_read(m.buffer,
                                 [this, &m, finish_handshake](beast::error_code ec, std::size_t) {
                                    if (ec) {
                                       finish_handshake(ec, "auth");
                                       return;
                                    }
                                    auto const text = beast::buffers_to_string(m.buffer.data());
                                    m.buffer.clear();
                                    auto const json = nlohmann::json::parse(text, nullptr, false);
                                    if (!json.is_object() || json.value("type", "") != "auth_ok") {
                                       m.problem = text;
                                       finish_handshake({}, "auth");
                                       m.current = state::refused;
                                       return;
                                    }
                                    m.current = state::ready;
                                    finish_handshake({}, "");
                                    read(m);
                                 });
              });
       });
}

void ws_swarm::read(member& m) {
   m.ws.async_read(m.buffer, [this, &m](beast::error_code ec, std::size_t) {
      if (ec) {
         m.current = state::closed;
         m.problem = ec.message();
         return;
      }
      m.messages.push_back(beast::buffers_to_string(m.buffer.data()));
      m.buffer.clear();
      ++total_messages_;
      read(m);
   });
}

} // namespace notify::test
