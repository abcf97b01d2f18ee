-- Deducts the tokens an answer used from a key's tokens-per-minute balance (it may go
-- into debt), refilling it first, as admit.lua reads it.
-- KEYS: [1] tokens (hash: level, ts). ARGV: [1] tokens per minute, [2] tokens used.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local tpm, used = tonumber(ARGV[1]), tonumber(ARGV[2])
local cap = tpm * 60000
local state = redis.call('HMGET', KEYS[1], 'level', 'ts')
local level = tonumber(state[1]) or cap
local since = tonumber(state[2]) or now
level = math.min(cap, level + math.max(0, now - since) * tpm) - used * 60000
redis.call('HSET', KEYS[1], 'level', tostring(level), 'ts', tostring(now))
if tpm > 0 then
  redis.call('PEXPIRE', KEYS[1], math.ceil((cap - level) / tpm) + 1000)
end
return 1
