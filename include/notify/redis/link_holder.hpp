#pragma once

#include "notify/redis/connection.hpp"
#include "notify/redis/reply.hpp"
#include "notify/redis/settings.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace notify::redis {

/// The one link a Redis client (subscriber, command_client) has at a time, set up the same way
/// for both: a fresh connection per attempt (resolve, connect, AUTH, SELECT: see
/// connection::async_connect) whose events reach the owner only while the owner lives and the
/// link is still the current one, so a late callback of a dropped or replaced link is ignored.
/// Use from the owner's executor only; the owner keeps it as a member.
class link_holder {
public:
   struct events {
      /// async_connect's result: success, or why the attempt failed.
      std::function<void(boost::system::error_code)> connected;
      /// An open link failed (end of file, reset, protocol error); never after drop().
      std::function<void(boost::system::error_code)> lost;
      /// Pub/sub pushes; empty for a link that never subscribes.
      std::function<void(reply&&)> push;
   };

   /// `config` must outlive the holder (it is the owner's own copy).
   link_holder(boost::asio::any_io_executor executor, settings const& config, events handlers);
   /// Drops the link.
   ~link_holder();
   link_holder(link_holder const&) = delete;
   link_holder& operator=(link_holder const&) = delete;

   /// Drops any current link and starts connecting a new one. Its events are delivered while
   /// `owner` (the object this holder is a member of) can be locked.
   void open(std::weak_ptr<void> owner);

   /// Closes the current link, if any; whatever it still reports is ignored.
   void drop();

   /// The current link, or null.
   connection* get() const { return link_.get(); }
   connection* operator->() const { return link_.get(); }
   explicit operator bool() const { return link_ != nullptr; }

   /// Bumped by every open() and drop(): the owner's own timers and replies capture it to tell
   /// whether they still belong to the current link.
   std::uint64_t generation() const { return generation_; }

   /// `ec` with the server's or parser's words about the current link's last failure (AUTH or
   /// SELECT refused, garbage), for logs and /readyz. Never contains the password.
   std::string failure_reason(boost::system::error_code ec) const;

private:
   /// Runs `deliver` if `owner` is alive and `generation` is still current.
   template <class Deliver> auto guarded(std::weak_ptr<void> owner, Deliver deliver);

   boost::asio::any_io_executor executor_;
   settings const& settings_;
   events events_;
   std::shared_ptr<connection> link_;
   std::uint64_t generation_ = 0;
};

} // namespace notify::redis
