#include "notify/redis/request_client.hpp"

#include "notify/redis/cluster_client.hpp"
#include "notify/redis/command_client.hpp"
#include "notify/redis/error.hpp"

#include <spdlog/spdlog.h>
#include <utility>

namespace notify::redis {

void request_client::get(std::string key, get_handler handler) {
   command({"GET", std::move(key)},
           [handler = std::move(handler)](boost::system::error_code ec, reply answer) {
              if (ec) {
                 handler(ec, std::nullopt);
                 return;
              }
              switch (answer.type) {
              case reply::kind::nil:
                 handler({}, std::nullopt);
                 return;
              case reply::kind::string:
                 handler({}, std::move(answer.str));
                 return;
              default:
                 spdlog::debug("redis: unexpected GET answer: {}",
                               answer.is_error() ? answer.str : std::string("not a string"));
                 handler(errc::protocol_error, std::nullopt);
                 return;
              }
           });
}

std::unique_ptr<request_client> make_request_client(boost::asio::any_io_executor executor,
                                                    settings const& config) {
   if (config.is_cluster()) {
      return std::make_unique<cluster_client>(std::move(executor), config);
   }
   return std::make_unique<command_client>(std::move(executor), config);
}

} // namespace notify::redis
