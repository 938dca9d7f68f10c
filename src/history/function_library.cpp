#include "notify/history/function_library.hpp"

#include <string_view>

namespace notify::history {

namespace {

/// A Lua single-quoted literal. The prefix is validated config (no control characters), but
/// nothing that reaches Redis as code is trusted to be clean.
std::string lua_string(std::string_view text) {
   std::string out = "'";
   for (char const c : text) {
      if (c == '\\' || c == '\'') {
         out += '\\';
      }
      out += c;
   }
   out += '\'';
   return out;
}

// The body is fixed; only the constants above it vary. Every key one call touches shares the
// hash tag {user:<id>} (or {global}), which is also the slot of the key a publisher passes
// ("user:<id>" hashes like "{user:<id>}" when the id has no '}'), so the same call works on
// Redis Cluster. The channel message is "<id> <previous id> <json>": the previous id lets a
// gateway see at once that it missed something.
constexpr std::string_view body = R"lua(
local function fail(text)
  return redis.error_reply('ERR notify_publish: ' .. text)
end

local function now_ms()
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end

-- The user id of user:<id> or of <prefix>{user:<id>}<suffix> (e.g. ':history'); nil for
-- anything else, or an id the gateway would not accept.
local function user_id_of(target, suffix)
  local id
  if string.sub(target, 1, 5) == 'user:' then
    id = string.sub(target, 6)
  elseif string.sub(target, 1, #prefix + 6) == prefix .. '{user:' and
         string.sub(target, -(#suffix + 1)) == '}' .. suffix then
    id = string.sub(target, #prefix + 7, -(#suffix + 2))
  else
    return nil
  end
  if #id == 0 or #id > max_user_id_bytes or string.find(id, '[%c}]') then
    return nil
  end
  return id
end

local function target_base(target)
  if target == 'global' then
    return prefix .. '{global}', global_max_entries
  end
  if target == prefix .. '{global}:history' then
    return prefix .. '{global}', global_max_entries
  end
  local id = user_id_of(target, ':history')
  if not id then
    return nil
  end
  return prefix .. '{user:' .. id .. '}', user_max_entries
end

-- KEYS: the target (user:<id> or global), or, safe while a cluster moves the slot, the stream
-- key itself (<prefix>{user:<id>}:history), then with a message id its seen key
-- (<prefix>{user:<id>}:seen:<message id>): Redis Cluster decides where a call runs during a
-- migration by the keys declared, so declaring every key the call touches keeps the stream whole.
local function publish(keys, args)
  if #keys < 1 or #keys > 2 or #args < 1 or #args > 2 or (#keys == 2 and not args[2]) then
    return fail('usage: FCALL notify_publish 1 user:<id>|global <json> [<message id>], or ' ..
                'FCALL notify_publish 1|2 <stream key> [<seen key>] <json> [<message id>]')
  end
  local base, max_entries = target_base(keys[1])
  if not base then
    return fail('the key is global, user:<id> (an id of 1..' .. max_user_id_bytes ..
                ' bytes without control characters or }), or its stream key')
  end
  local payload = args[1]
  if #payload > max_payload_bytes then
    return fail('payload over ' .. max_payload_bytes .. ' bytes')
  end
  if not pcall(cjson.decode, payload) then
    return fail('payload is not JSON')
  end
  local seen_key
  if args[2] then
    local message_id = args[2]
    if #message_id == 0 or #message_id > max_message_id_bytes or string.find(message_id, '%c') then
      return fail('message id of 1..' .. max_message_id_bytes .. ' bytes without control characters')
    end
    seen_key = base .. ':seen:' .. message_id
    if keys[2] and keys[2] ~= seen_key then
      return fail('the second key must be ' .. seen_key)
    end
    local first = redis.call('GET', seen_key)
    if first then
      return first
    end
  end
  local stream = base .. ':history'
  local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  local previous = '0-0'
  if #last > 0 then
    previous = last[1][1]
  end
  local id = redis.call('XADD', stream, 'MAXLEN', '~', max_entries, '*', 'd', payload, 'p', previous)
  local oldest_ms = now_ms() - max_age_ms
  if oldest_ms > 0 then
    -- after XADD: the entry just added is never older than the bound
    redis.call('XTRIM', stream, 'MINID', '~', oldest_ms)
  end
  redis.call('PEXPIRE', stream, max_age_ms)
  redis.call(publish_command, base .. ':live', id .. ' ' .. previous .. ' ' .. payload)
  if seen_key then
    redis.call('SET', seen_key, id, 'EX', idempotency_ttl_s)
  end
  return id
end

-- Presence: <prefix>{user:<id>}:presence is a sorted set of the user's live connections, each
-- member a gateway's connection, its score when it expires (this node's clock, ms). Members of a
-- gateway that died expire; every write drops them. Times come from Redis so that gateways'
-- clocks never have to agree.
local max_member_bytes = 200

local function presence_key_of(target)
  local id = user_id_of(target, ':presence')
  if not id then
    return nil
  end
  return prefix .. '{user:' .. id .. '}:presence'
end

local function whole_number(text)
  if not text or not string.match(text, '^%d+$') or #text > 15 then
    return nil
  end
  return tonumber(text)
end

-- KEYS: the presence key itself (a write must declare what it touches). ARGV: the member, its
-- ttl in ms, and the most live members the user may have (0: no limit). A member already there
-- is refreshed whatever the limit. Returns the user's live members after joining, or 0 (and
-- nothing written) when `limit` were live already.
local function presence_join(keys, args)
  if #keys ~= 1 or #args ~= 3 then
    return redis.error_reply('ERR notify_presence_join: usage: FCALL notify_presence_join 1 ' ..
                             '<presence key> <member> <ttl ms> <limit>')
  end
  local key = presence_key_of(keys[1])
  if key ~= keys[1] then
    return redis.error_reply('ERR notify_presence_join: the key must be ' .. prefix ..
                             '{user:<id>}:presence')
  end
  local member = args[1]
  local ttl = whole_number(args[2])
  local limit = whole_number(args[3])
  if #member == 0 or #member > max_member_bytes or string.find(member, '%c') or not ttl or
     ttl < 1 or not limit then
    return redis.error_reply('ERR notify_presence_join: a member of 1..' .. max_member_bytes ..
                             ' bytes, a ttl of 1 ms or more and a limit (0: none)')
  end
  local now = now_ms()
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if limit > 0 and not redis.call('ZSCORE', key, member) and
     redis.call('ZCARD', key) >= limit then
    return 0
  end
  redis.call('ZADD', key, now + ttl, member)
  if redis.call('PTTL', key) < ttl then
    redis.call('PEXPIRE', key, ttl)
  end
  return redis.call('ZCARD', key)
end

-- KEYS: user:<id> or the presence key. Returns how many connections the user has, on every
-- gateway together.
local function presence(keys, args)
  if #keys ~= 1 or #args ~= 0 then
    return redis.error_reply('ERR notify_presence: usage: FCALL_RO notify_presence 1 ' ..
                             'user:<id>|<presence key>')
  end
  local key = presence_key_of(keys[1])
  if not key then
    return redis.error_reply('ERR notify_presence: the key is user:<id> (an id of 1..' ..
                             max_user_id_bytes .. ' bytes without control characters or }) ' ..
                             'or ' .. prefix .. '{user:<id>}:presence')
  end
  return redis.call('ZCOUNT', key, '(' .. now_ms(), '+inf')
end

local function info()
  return cjson.encode({
    version = interface_version, prefix = prefix, user_max_entries = user_max_entries,
    global_max_entries = global_max_entries, max_age_ms = max_age_ms,
    idempotency_ttl_s = idempotency_ttl_s })
end

redis.register_function('notify_publish', publish)
redis.register_function{function_name = 'notify_info', callback = info, flags = {'no-writes'}}
redis.register_function('notify_presence_join', presence_join)
redis.register_function{function_name = 'notify_presence', callback = presence,
                        flags = {'no-writes'}}
)lua";

} // namespace

std::string function_library(settings const& config, std::size_t max_payload_bytes,
                             std::size_t max_user_id_bytes, bool sharded) {
   auto const number = [](auto value) { return std::to_string(value); };
   std::string out = "#!lua name=notify\n";
   out += "-- notify-gateway's history library (docs/operations.md, \"History\"). Load it with\n"
          "-- FUNCTION LOAD REPLACE; the gateway does so whenever it connects to Redis.\n";
   out += "local interface_version = " + number(function_library_version) + "\n";
   out += "local prefix = " + lua_string(config.prefix) + "\n";
   out += "local user_max_entries = " + number(config.user_max_entries) + "\n";
   out += "local global_max_entries = " + number(config.global_max_entries) + "\n";
   out += "local max_age_ms = " + number(config.max_age.count() * 1000) + "\n";
   out += "local idempotency_ttl_s = " + number(config.idempotency_ttl.count()) + "\n";
   out += "local max_payload_bytes = " + number(max_payload_bytes) + "\n";
   out += "local max_user_id_bytes = " + number(max_user_id_bytes) + "\n";
   out += "local max_message_id_bytes = 256\n";
   out += sharded ? "local publish_command = 'SPUBLISH'\n" : "local publish_command = 'PUBLISH'\n";
   out += body;
   return out;
}

} // namespace notify::history
