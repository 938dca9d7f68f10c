#include "notify/redis/error.hpp"

#include <string>

namespace notify::redis {
namespace {

class redis_category final : public boost::system::error_category {
public:
   char const* name() const noexcept override { return "notify.redis"; }

   std::string message(int value) const override {
      switch (static_cast<errc>(value)) {
      case errc::connect_timeout:
         return "timed out connecting to redis";
      case errc::auth_failed:
         return "redis refused authentication";
      case errc::protocol_error:
         return "redis protocol error";
      case errc::connection_lost:
         return "redis connection lost";
      case errc::not_connected:
         return "not connected to redis";
      case errc::stopped:
         return "redis client stopped";
      case errc::queue_full:
         return "too many redis requests waiting";
      case errc::health_check_failed:
         return "redis health check failed";
      case errc::slot_unserved:
         return "no redis cluster master serves the slot";
      case errc::too_many_redirects:
         return "too many redis cluster redirections";
      }
      return "unknown redis error";
   }
};

} // namespace

boost::system::error_category const& error_category() noexcept {
   static redis_category const category;
   return category;
}

} // namespace notify::redis
