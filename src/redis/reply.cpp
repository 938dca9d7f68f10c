#include "notify/redis/reply.hpp"

#include <algorithm>
#include <hiredis/read.h>
#include <new>
#include <string>

namespace notify::redis {
namespace {

// hiredis calls these C hooks while parsing. Each returns the new object, or NULL, which hiredis
// reports as "Out of memory" (our cue for a broken or hostile reply). Children are created in
// place inside their parent's `elements` (sized once by create_array, so addresses are stable);
// only the root is heap-allocated and only the root is ever passed to free_object.
// No exception may cross back into C, hence the catch-alls.

reply_reader::budget& budget_of(redisReadTask const* task) {
   return *static_cast<reply_reader::budget*>(task->privdata);
}

reply* place(redisReadTask const* task) {
   if (task->parent == nullptr) {
      return new reply();
   }
   auto* parent = static_cast<reply*>(task->parent->obj);
   if (parent == nullptr || task->idx < 0 ||
       static_cast<std::size_t>(task->idx) >= parent->elements.size()) {
      return nullptr;
   }
   return &parent->elements[static_cast<std::size_t>(task->idx)];
}

void* create_string(redisReadTask const* task, char* data, size_t size) noexcept {
   try {
      auto& budget = budget_of(task);
      if (size > budget.limits.max_bytes - budget.bytes) {
         budget.exceeded = true;
         return nullptr;
      }
      reply* r = place(task);
      if (r == nullptr) {
         return nullptr;
      }
      budget.bytes += size;
      switch (task->type) {
      case REDIS_REPLY_ERROR:
         r->type = reply::kind::error;
         break;
      case REDIS_REPLY_STATUS:
         r->type = reply::kind::status;
         break;
      default:
         r->type = reply::kind::string;
         break;
      }
      r->str.assign(data, size);
      return r;
   } catch (...) {
      return nullptr;
   }
}

void* create_array(redisReadTask const* task, int count) noexcept {
   try {
      auto& budget = budget_of(task);
      // hiredis 0.14 passes any negative count other than -1 straight through.
      if (count < 0 ||
          static_cast<std::size_t>(count) > budget.limits.max_elements - budget.elements) {
         budget.exceeded = true;
         return nullptr;
      }
      reply* r = place(task);
      if (r == nullptr) {
         return nullptr;
      }
      budget.elements += static_cast<std::size_t>(count);
      r->type = reply::kind::array;
      r->elements.resize(static_cast<std::size_t>(count));
      return r;
   } catch (...) {
      return nullptr;
   }
}

void* create_integer(redisReadTask const* task, long long value) noexcept {
   try {
      reply* r = place(task);
      if (r != nullptr) {
         r->type = reply::kind::integer;
         r->integer = value;
      }
      return r;
   } catch (...) {
      return nullptr;
   }
}

void* create_nil(redisReadTask const* task) noexcept {
   try {
      reply* r = place(task);
      if (r != nullptr) {
         r->type = reply::kind::nil;
      }
      return r;
   } catch (...) {
      return nullptr;
   }
}

void free_object(void* root) noexcept {
   delete static_cast<reply*>(root);
}

redisReplyObjectFunctions reply_functions{create_string, create_array, create_integer, create_nil,
                                          free_object};

} // namespace

reply_reader::reply_reader(reply_limits limits)
    : budget_{limits}
    , reader_(redisReaderCreateWithFunctions(&reply_functions)) {
   if (reader_ == nullptr) {
      throw std::bad_alloc();
   }
   reader_->privdata = &budget_;
}

reply_reader::~reply_reader() {
   redisReaderFree(reader_);
}

bool reply_reader::feed(char const* data, std::size_t size) {
   if (failed()) {
      return false;
   }
   std::size_t const unparsed = reader_->len - reader_->pos;
   if (size > budget_.limits.max_bytes - std::min(unparsed, budget_.limits.max_bytes)) {
      fail("reply larger than " + std::to_string(budget_.limits.max_bytes) + " bytes");
      return false;
   }
   if (redisReaderFeed(reader_, data, size) != REDIS_OK) {
      fail(reader_->errstr);
      return false;
   }
   return true;
}

std::optional<reply> reply_reader::next() {
   if (failed()) {
      return std::nullopt;
   }
   void* raw = nullptr;
   if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      fail(budget_.exceeded ? "reply exceeds the size limits" : std::string(reader_->errstr));
      return std::nullopt;
   }
   if (raw == nullptr) {
      return std::nullopt;
   }
   budget_.bytes = 0;
   budget_.elements = 0;
   auto* root = static_cast<reply*>(raw);
   std::optional<reply> result(std::move(*root));
   delete root;
   return result;
}

void reply_reader::fail(std::string message) {
   error_ = message.empty() ? std::string("protocol error") : std::move(message);
}

} // namespace notify::redis
