#include "connection_pool.hpp"

#include "client_handshake.hpp"
#include "notify/auth/jwt.hpp"
#include "notify/ws/handshake.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <netdb.h>
#include <openssl/evp.h>
#include <random>
#include <stdexcept>

namespace notify::bench {

namespace {

constexpr std::size_t read_buffer_bytes = 256 * 1024;
constexpr std::size_t max_message_bytes = 64 * 1024 * 1024;
constexpr std::int64_t handshake_timeout_ns = 10'000'000'000;

sockaddr_in resolve_ipv4(const std::string& host, std::uint16_t port) {
   addrinfo hints{};
   hints.ai_family = AF_INET;
   hints.ai_socktype = SOCK_STREAM;
   addrinfo* found = nullptr;
   if (int const rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
      throw std::runtime_error("cannot resolve " + host + ": " + ::gai_strerror(rc));
   }
   sockaddr_in address = *reinterpret_cast<const sockaddr_in*>(found->ai_addr);
   ::freeaddrinfo(found);
   address.sin_port = htons(port);
   return address;
}

std::string random_websocket_key() {
   std::random_device random;
   std::array<unsigned char, 16> bytes{};
   for (auto& byte : bytes) {
      byte = static_cast<unsigned char>(random());
   }
   std::array<unsigned char, 32> encoded{};
   int const length = EVP_EncodeBlock(encoded.data(), bytes.data(), static_cast<int>(bytes.size()));
   return std::string(reinterpret_cast<const char*>(encoded.data()),
                      static_cast<std::size_t>(length));
}

std::string replace_all(std::string text, std::string_view what, std::string_view with) {
   for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += with.size()) {
      text.replace(at, what.size(), with);
   }
   return text;
}

} // namespace

connection_pool::connection_pool(event_loop& loop, message_sink& sink, const bench_options& options)
    : loop_(loop)
    , options_(options)
    , users_(std::max<std::size_t>(options.users, 1))
    , server_(resolve_ipv4(options.url.host, options.url.port))
    , host_header_(options.url.host + ":" + std::to_string(options.url.port))
    , key_(random_websocket_key())
    , expected_accept_(notify::ws::accept_key_for(key_).value_or(""))
    , read_buffer_(new char[read_buffer_bytes])
    , context_{loop,
               sink,
               {read_buffer_.get(), read_buffer_bytes},
               expected_accept_,
               max_message_bytes,
               std::random_device{}() | 1u,
               {}} {
   // Source addresses only work for a loopback server: 127.0.0.0/8 is all local.
   bind_sources_ = (ntohl(server_.sin_addr.s_addr) >> 24) == 127;
}

connection_pool::~connection_pool() {
   close_all();
}

void connection_pool::add(std::size_t count, std::int64_t now_ns) {
   connections_.resize(connections_.size() + count);
   open_by_user_.resize(std::min(users_, connections_.size()), 0);
   start_more(now_ns);
}

void connection_pool::start_more(std::int64_t now_ns) {
   // After a handshake timed out the server is not taking connections (its open-file limit,
   // most likely): starting more would only make them wait for the same timeout.
   if (counters_.ended_by_reason[static_cast<std::size_t>(end_reason::handshake_timeout)] != 0) {
      return;
   }
   while (in_flight_ < options_.handshake_concurrency && next_to_start_ < connections_.size()) {
      start_one(next_to_start_++, now_ns);
   }
}

void connection_pool::start_one(std::size_t index, std::int64_t now_ns) {
   std::string const user = std::to_string(options_.user_offset + user_of(index));
   std::string request;
   std::string auth_message;
   if (options_.uses_tokens()) {
      request = make_upgrade_request(
          host_header_,
          target_with_token(options_.url.target,
                            notify::auth::mint_jwt(options_.jwt_secret, user, std::nullopt)),
          key_);
   } else {
      request = make_upgrade_request(host_header_, options_.url.target, key_);
      auth_message = replace_all(options_.auth_message, "{uid}", user);
   }
   sockaddr_in source{};
   source.sin_family = AF_INET;
   source.sin_addr.s_addr =
       htonl((127u << 24) | (1u + static_cast<std::uint32_t>(index % options_.sources)));
   ++in_flight_;
   handshaking_.push_back(index);
   connection_state const before = connection_state::queued;
   connections_[index].start(context_, index, server_, bind_sources_ ? &source : nullptr,
                             std::move(request), std::move(auth_message), now_ns);
   after_event(index, before, now_ns);
}

void connection_pool::on_event(std::uint64_t tag, std::uint32_t events, std::int64_t now_ns) {
   if (tag >= connections_.size()) {
      return;
   }
   client_connection& connection = connections_[tag];
   connection_state const before = connection.state();
   connection.on_event(context_, tag, events, now_ns);
   if (connection.state() != before) {
      after_event(tag, before, now_ns);
      start_more(now_ns);
   }
}

void connection_pool::after_event(std::size_t index, connection_state before, std::int64_t now_ns) {
   client_connection const& connection = connections_[index];
   connection_state const after = connection.state();
   bool const was_handshaking =
       before != connection_state::open && before != connection_state::ended;
   if (after == connection_state::open && before != connection_state::open) {
      --in_flight_;
      ++counters_.authenticated;
      ++counters_.open;
      ++open_by_user_[user_of(index)];
      counters_.last_authenticated_ns = now_ns;
   } else if (after == connection_state::ended) {
      ++counters_.ended_by_reason[static_cast<std::size_t>(connection.reason())];
      if (connection.close_code() != 0) {
         counters_.last_close_code = connection.close_code();
      }
      if (before == connection_state::open) {
         --counters_.open;
         --open_by_user_[user_of(index)];
         ++counters_.disconnected;
      } else if (was_handshaking) {
         --in_flight_;
         ++counters_.failed;
      }
   }
}

void connection_pool::poll(std::int64_t now_ns) {
   std::erase_if(handshaking_, [&](std::size_t index) {
      client_connection& connection = connections_[index];
      if (connection.handshaking() && now_ns - connection.started_ns() > handshake_timeout_ns) {
         connection_state const before = connection.state();
         connection.abort(context_, end_reason::handshake_timeout);
         after_event(index, before, now_ns);
      }
      return !connection.handshaking();
   });
   start_more(now_ns);
}

std::size_t connection_pool::drop_queued() {
   std::size_t const dropped = connections_.size() - next_to_start_;
   connections_.resize(next_to_start_);
   open_by_user_.resize(std::min(users_, connections_.size()));
   return dropped;
}

void connection_pool::close_all() {
   for (std::size_t i = 0; i < connections_.size(); ++i) {
      connections_[i].abort(context_, end_reason::none);
   }
}

} // namespace notify::bench
