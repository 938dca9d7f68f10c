#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string>

namespace notify::server {

/// A client's IP address in 17 bytes, for what every connection keeps: a std::string of it
/// takes 32 and an asio address 32. Its text is made when needed (auth, lockout, the per-IP
/// count at close), never per message.
class compact_address {
public:
   compact_address() = default; ///< no address (the socket was gone)
   explicit compact_address(const boost::asio::ip::address& address);

   bool empty() const { return family_ == family::none; }
   /// As boost::asio::ip::address::to_string() writes it; empty for no address.
   std::string to_string() const;

private:
   enum class family : std::uint8_t { none, v4, v6 };
   std::array<std::uint8_t, 16> bytes_{};
   family family_ = family::none;
};

} // namespace notify::server
