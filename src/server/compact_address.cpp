#include "notify/server/compact_address.hpp"

#include <algorithm>

namespace notify::server {

namespace ip = boost::asio::ip;

compact_address::compact_address(const ip::address& address) {
   if (address.is_v4()) {
      auto const v4 = address.to_v4().to_bytes();
      std::copy(v4.begin(), v4.end(), bytes_.begin());
      family_ = family::v4;
   } else {
      bytes_ = address.to_v6().to_bytes();
      family_ = family::v6;
   }
}

std::string compact_address::to_string() const {
   switch (family_) {
   case family::none:
      return {};
   case family::v4: {
      ip::address_v4::bytes_type v4{};
      std::copy_n(bytes_.begin(), v4.size(), v4.begin());
      return ip::address_v4(v4).to_string();
   }
   case family::v6:
      return ip::address_v6(bytes_).to_string();
   }
   return {};
}

} // namespace notify::server
