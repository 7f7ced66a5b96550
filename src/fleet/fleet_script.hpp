// The fleet limiter's one Lua script: run atomically by Redis, timed by Redis's own clock, so
// that every process sharing a key sees one schedule whatever its own clock says.
#pragma once

#include <string_view>

namespace talkory::detail {

/// KEYS[1]: the sliding log (a list of the last `capacity` grant times, in microseconds of
/// Redis's clock, ascending); KEYS[2]: the pause key (present while paused, with a PX expiry).
///
/// ARGV[1] = "acquire", ARGV[2] = capacity, ARGV[3] = period_us, ARGV[4] = max_wait_us: reserves
/// the earliest slot at which the request is granted, if it is at most max_wait_us away, and
/// returns {1, wait_us}; otherwise reserves nothing and returns {0, wait_us}. The arithmetic is
/// token_bucket's: a grant uses a token that comes back one period later, so no period ever holds
/// more than `capacity` grants; no slot is before the pause's end; and no slot is before one
/// already given (FIFO in the order Redis runs the calls). ARGV[5], given only by the tests, is
/// "now" in microseconds instead of Redis's TIME.
///
/// ARGV[1] = "pause", ARGV[2] = ms: no slot is granted for ms from now (a 429's Retry-After);
/// a longer pause in force is kept. Returns {1, 0}.
inline constexpr std::string_view fleet_script = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
if ARGV[1] == 'pause' then
  local ms = tonumber(ARGV[2])
  if redis.call('PTTL', KEYS[2]) < ms then
    redis.call('SET', KEYS[2], '1', 'PX', ms)
  end
  return {1, 0}
end
local capacity = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local max_wait = tonumber(ARGV[4])
local now
if ARGV[5] then
  now = tonumber(ARGV[5])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local at = now
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then at = math.max(at, now + paused * 1000) end
local n = redis.call('LLEN', KEYS[1])
if n > 0 then
  at = math.max(at, tonumber(redis.call('LINDEX', KEYS[1], -1)))
  if n >= capacity then
    at = math.max(at, tonumber(redis.call('LINDEX', KEYS[1], -capacity)) + period)
  end
end
local wait = at - now
if wait > max_wait then return {0, wait} end
redis.call('RPUSH', KEYS[1], string.format('%.0f', at))
redis.call('LTRIM', KEYS[1], -capacity, -1)
redis.call('PEXPIRE', KEYS[1], math.ceil((wait + period) / 1000) + 1000)
return {1, wait}
)lua";

} // namespace talkory::detail
