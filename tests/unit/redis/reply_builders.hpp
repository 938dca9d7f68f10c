#pragma once

#include "notify/redis/reply.hpp"

#include <string>
#include <utility>
#include <vector>

// Replies as Redis would send them, for tests of what parses them.
namespace notify::redis::test_replies {

inline reply integer(long long value) {
   reply r;
   r.type = reply::kind::integer;
   r.integer = value;
   return r;
}

inline reply text(std::string value) {
   reply r;
   r.type = reply::kind::string;
   r.str = std::move(value);
   return r;
}

inline reply array(std::vector<reply> elements) {
   reply r;
   r.type = reply::kind::array;
   r.elements = std::move(elements);
   return r;
}

} // namespace notify::redis::test_replies
