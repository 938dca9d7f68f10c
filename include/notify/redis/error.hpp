#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace notify::redis {

/// Failures of the Redis layer that the operating system does not name for us.
enum class errc {
   connect_timeout = 1, ///< resolve + connect + AUTH/SELECT took longer than connect_timeout
   auth_failed,         ///< the server refused AUTH
   protocol_error,      ///< the server sent bytes that are not RESP2, or an absurd reply
   connection_lost,     ///< the link went down while commands were pending
   not_connected,       ///< no usable link, and it is too early to try again
   stopped,             ///< the owner closed or stopped the object
   queue_full,          ///< too many requests waiting for a link
   health_check_failed, ///< nothing read from Redis for twice the health-check interval
   slot_unserved,       ///< cluster: no known master serves the key's slot (yet)
   too_many_redirects,  ///< cluster: MOVED/ASK/TRYAGAIN more often than a request may follow
};

boost::system::error_category const& error_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
   return {static_cast<int>(e), error_category()};
}

} // namespace notify::redis

namespace boost::system {
template <> struct is_error_code_enum<notify::redis::errc> : std::true_type {};
} // namespace boost::system
