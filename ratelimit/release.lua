-- Ends one admitted call: gives back its concurrency slots and corrects
-- its TPM charges from the estimate to the actual usage. Semantics match
-- the in-process limiter (local.go); see doc.go.
--
-- KEYS, two per subject i: 2i-1 TPM window hash, 2i concurrency sorted set.
-- ARGV:
--   1 current second   2 second the estimate was charged to
--   3 actual minus estimated tokens   4 permit id   5 window key TTL (ms)
--   then per subject i, at 5+2(i-1): +1 "1" if the estimate was charged to
--   its TPM window, +2 "1" if the call holds one of its concurrency slots

local WINDOW = 60 -- seconds; windowSeconds in window.go

local cur = tonumber(ARGV[1])
local charged = tonumber(ARGV[2])
local delta = tonumber(ARGV[3])

for i = 1, #KEYS / 2 do
  local base = 5 + 2 * (i - 1)
  local key = KEYS[2 * i - 1]
  if ARGV[base + 1] == '1' then
    if delta > 0 then
      -- Excess: spent by now, so it counts from now.
      redis.call('HINCRBY', key, ARGV[1], ARGV[3])
      redis.call('PEXPIRE', key, ARGV[5])
    elseif delta < 0 and charged > cur - WINDOW then
      -- Shortfall: taken back where the estimate was charged, never below
      -- zero (the bucket may have been evicted).
      if redis.call('HINCRBY', key, ARGV[2], ARGV[3]) <= 0 then
        redis.call('HDEL', key, ARGV[2])
      end
    end
  end
  if ARGV[base + 2] == '1' then
    redis.call('ZREM', KEYS[2 * i], ARGV[4])
  end
end
return 1
