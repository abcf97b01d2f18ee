-- Settles one request's cost in n budgets and releases its holds.
-- KEYS: as admit.lua (accounts, holds, amounts); ARGV[1]: member, ARGV[2]: cost.
-- A hold that expired meanwhile is gone already; the cost is added all the same.
-- Returns {spent_1, reserved_1, ...}.
local n = #KEYS / 3
local member = ARGV[1]
local cost = tonumber(ARGV[2])
local standing = {}
for i = 1, n do
  local account, holds, amounts = KEYS[i], KEYS[n + i], KEYS[2 * n + i]
  local held = redis.call('HGET', amounts, member)
  if held then
    redis.call('HINCRBY', account, 'reserved', -tonumber(held))
    redis.call('HDEL', amounts, member)
    redis.call('ZREM', holds, member)
  end
  standing[2 * i - 1] = redis.call('HINCRBY', account, 'spent', cost)
  -- An account that expired (a settlement long after its period) must not live on.
  if redis.call('PTTL', account) < 0 then
    redis.call('PEXPIRE', account, 40 * 86400000)
  end
  standing[2 * i] = tonumber(redis.call('HGET', account, 'reserved') or '0')
end
return standing
