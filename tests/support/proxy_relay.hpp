#pragma once

// A TCP load balancer in miniature, for tests of server.proxy_protocol: it accepts on a free
// loopback port and relays each connection to the gateway, sending the PROXY header in the same
// write as the client's first bytes (a TLS ClientHello, an HTTP request), as nginx and HAProxy
// may. A gateway that only looks at its first read for the header would lose those bytes.

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace notify::test {

class proxy_relay {
public:
   /// Relays to 127.0.0.1:target_port, prefixing every connection with `header`. Throws
   /// std::runtime_error when it cannot listen.
   proxy_relay(std::uint16_t target_port, std::string header);
   /// Stops accepting and closes every relayed connection.
   ~proxy_relay();
   proxy_relay(const proxy_relay&) = delete;
   proxy_relay& operator=(const proxy_relay&) = delete;

   std::uint16_t port() const { return port_; }

private:
   void accept_loop();
   void relay(int client) const;

   std::uint16_t target_port_;
   std::string header_;
   int listener_ = -1;
   std::uint16_t port_ = 0;
   std::atomic<bool> stopping_{false};
   std::thread acceptor_;
};

} // namespace notify::test
