-- Admits one request of a key, atomically, for every gateway process sharing Redis.
-- KEYS: [1] requests (GCRA theoretical arrival time, ms), [2] tokens (hash: level, ts),
--       [3] requests in flight (sorted set: member -> lease end, ms)
-- ARGV: [1] requests per minute, [2] tokens per minute, [3] most in flight (-1: no
--       such limit), [4] this request's member, [5] lease of an in-flight slot, ms
-- Returns {admitted, refusing limit (0 none, 1 requests, 2 tokens, 3 concurrency),
--          retry after ms, used, requests remaining, requests reset ms,
--          tokens remaining, tokens reset ms} (-1 remaining: no such limit).
-- Order as in the in-process limiter: tokens are only read, a slot is only counted,
-- a request is taken last, so a refusal uses up nothing.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local rpm, tpm, most = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local member, lease = ARGV[4], tonumber(ARGV[5])
local req_left, req_reset, tok_left, tok_reset = -1, 0, -1, 0

if tpm >= 0 then
  if tpm == 0 then return {0, 2, 60000, 0, -1, 0, 0, 60000} end
  -- Tokens x 60000, refilled by tpm per ms up to tpm x 60000; below zero is debt.
  local cap = tpm * 60000
  local state = redis.call('HMGET', KEYS[2], 'level', 'ts')
  local level = tonumber(state[1]) or cap
  local since = tonumber(state[2]) or now
  level = math.min(cap, level + math.max(0, now - since) * tpm)
  tok_left = math.max(0, math.floor(level / 60000))
  tok_reset = math.ceil((cap - level) / tpm)
  if level < 0 then
    return {0, 2, math.ceil(-level / tpm), math.floor((cap - level) / 60000), -1, 0, 0, tok_reset}
  end
end

if most >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  local flying = redis.call('ZCARD', KEYS[3])
  if flying >= most then return {0, 3, 1000, flying, -1, 0, tok_left, tok_reset} end
end

if rpm >= 0 then
  if rpm == 0 then return {0, 1, 60000, 0, 0, 60000, tok_left, tok_reset} end
  -- GCRA with a burst of rpm: rpm requests at once, then one every 60000/rpm ms.
  local interval = 60000 / rpm
  local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now)
  local next_tat = tat + interval
  if next_tat - now > 60000 then
    return {0, 1, math.ceil(next_tat - now - 60000), rpm, 0, math.ceil(tat - now), tok_left, tok_reset}
  end
  redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil(next_tat - now) + 1000)
  req_left = math.floor((60000 - (next_tat - now)) / interval)
  req_reset = math.ceil(next_tat - now)
end

if most >= 0 then
  redis.call('ZADD', KEYS[3], now + lease, member)
  redis.call('PEXPIRE', KEYS[3], lease + 1000)
end
return {1, 0, 0, 0, req_left, req_reset, tok_left, tok_reset}
