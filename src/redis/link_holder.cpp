#include "notify/redis/link_holder.hpp"

#include <utility>

namespace notify::redis {

using boost::system::error_code;

link_holder::link_holder(boost::asio::any_io_executor executor, settings const& config,
                         events handlers)
    : executor_(std::move(executor))
    , settings_(config)
    , events_(std::move(handlers)) {}

link_holder::~link_holder() {
   drop();
}

template <class Deliver> auto link_holder::guarded(std::weak_ptr<void> owner, Deliver deliver) {
   // The holder is a member of the owner: while the owner can be locked, `this` is alive too.
   return [this, owner = std::move(owner), generation = generation_,
           deliver = std::move(deliver)](auto&&... args) {
      if (auto const alive = owner.lock(); alive && generation_ == generation) {
         deliver(std::forward<decltype(args)>(args)...);
      }
   };
}

void link_holder::open(std::weak_ptr<void> owner) {
   drop();
   ++generation_;
   link_ = connection::create(executor_, settings_);
   if (events_.push) {
      link_->set_push_handler(
          guarded(owner, [this](reply&& message) { events_.push(std::move(message)); }));
   }
   link_->set_close_handler(guarded(owner, [this](error_code ec) { events_.lost(ec); }));
   link_->async_connect(
       guarded(std::move(owner), [this](error_code ec) { events_.connected(ec); }));
}

void link_holder::drop() {
   ++generation_;
   if (auto link = std::exchange(link_, nullptr)) {
      link->close();
   }
}

std::string link_holder::failure_reason(error_code ec) const {
   std::string text = ec.message();
   if (link_ && !link_->last_error().empty() && link_->last_error() != text) {
      text += ": " + link_->last_error();
   }
   return text;
}

} // namespace notify::redis
