-- Admits one request against n budgets, atomically, timed by the server's clock.
-- KEYS[i]: budget i's account this period (hash: spent, reserved)
-- KEYS[n+i]: its holds (sorted set: member -> expiry, ms)
-- KEYS[2n+i]: its hold amounts (hash: member -> nanodollars)
-- ARGV[1]: estimate (nanodollars), ARGV[2]: member, ARGV[3]: hold time to live (ms)
-- ARGV[3+3i-2..3+3i]: budget i's amount, spent before this process saw it (seeds a
--   missing account), and when its keys may go (unix ms)
-- Returns {0, spent_1, reserved_1, ...} when admitted, {i, spent, reserved} when
-- budget i is spent (nothing reserved).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local n = #KEYS / 3
local estimate = tonumber(ARGV[1])
local member = ARGV[2]
local ttl = tonumber(ARGV[3])
local standing = {0}
for i = 1, n do
  local account, holds, amounts = KEYS[i], KEYS[n + i], KEYS[2 * n + i]
  local amount = tonumber(ARGV[3 + 3 * i - 2])
  redis.call('HSETNX', account, 'spent', ARGV[3 + 3 * i - 1])
  for _, stale in ipairs(redis.call('ZRANGEBYSCORE', holds, '-inf', now)) do
    local held = tonumber(redis.call('HGET', amounts, stale) or '0')
    redis.call('HINCRBY', account, 'reserved', -held)
    redis.call('HDEL', amounts, stale)
    redis.call('ZREM', holds, stale)
  end
  local spent = tonumber(redis.call('HGET', account, 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', account, 'reserved') or '0')
  if spent + reserved >= amount then
    return {i, spent, reserved}
  end
  standing[2 * i] = spent
  standing[2 * i + 1] = reserved + estimate
end
for i = 1, n do
  local account, holds, amounts = KEYS[i], KEYS[n + i], KEYS[2 * n + i]
  local expire_at = ARGV[3 + 3 * i]
  redis.call('HINCRBY', account, 'reserved', estimate)
  redis.call('ZADD', holds, now + ttl, member)
  redis.call('HSET', amounts, member, estimate)
  redis.call('PEXPIREAT', account, expire_at)
  redis.call('PEXPIREAT', holds, expire_at)
  redis.call('PEXPIREAT', amounts, expire_at)
end
return standing
