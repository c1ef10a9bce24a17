-- Admits one call for every subject or for none: every limit of every
-- subject is checked before anything is charged. Semantics match the
-- in-process limiter (window.go, local.go); see doc.go.
--
-- KEYS, three per subject i:
--   3i-2  RPM window hash   3i-1  TPM window hash   3i  concurrency sorted set
-- A window hash maps a Unix second to the usage charged in it; the sorted
-- set holds permit ids scored by the millisecond their lease ends.
-- ARGV:
--   1 now (Unix ms)   2 current second   3 estimated tokens   4 permit id
--   5 lease end (ms)  6 window key TTL (ms)   7 concurrency key TTL (ms)
--   8 RetryAfter for a concurrency refusal (ms)
--   then per subject i, at 8+3(i-1): +1 RPM, +2 TPM, +3 concurrency limit
--   (0 = unlimited: neither checked nor charged)
-- Returns {1} when admitted, or {0, subject index (from 1), limit
-- (1 RPM, 2 TPM, 3 concurrency), RetryAfter in ms} for the refusal with the
-- longest wait.

local WINDOW = 60 -- seconds; windowSeconds in window.go

local now = tonumber(ARGV[1])
local cur = tonumber(ARGV[2])
local tokens = tonumber(ARGV[3])

-- usage reads a window: the sum of its counting buckets, those buckets as
-- {second, count}, and the fields of buckets that no longer count.
local function usage(key)
  local flat = redis.call('HGETALL', key)
  local used, counting, stale = 0, {}, {}
  for i = 1, #flat, 2 do
    local sec = tonumber(flat[i])
    if sec > cur - WINDOW then
      local n = tonumber(flat[i + 1])
      used = used + n
      counting[#counting + 1] = {sec, n}
    else
      stale[#stale + 1] = flat[i]
    end
  end
  return used, counting, stale
end

-- wait is how many ms until cost fits under limit as the oldest buckets
-- leave the window, if nothing else is charged meanwhile.
local function wait(counting, used, cost, limit)
  if cost <= limit then
    table.sort(counting, function(a, b) return a[1] < b[1] end)
    for _, b in ipairs(counting) do
      used = used - b[2]
      if used + cost <= limit then
        return (b[1] + WINDOW) * 1000 - now
      end
    end
  end
  return WINDOW * 1000
end

local refused -- {subject index, limit, wait}
local function refuse(i, limit, ms)
  if refused == nil or ms > refused[3] then
    refused = {i, limit, ms}
  end
end

local n = #KEYS / 3
local stale = {} -- per window key, the fields to drop when charging
for i = 1, n do
  local base = 8 + 3 * (i - 1)
  local rpm = tonumber(ARGV[base + 1])
  local tpm = tonumber(ARGV[base + 2])
  local slots = tonumber(ARGV[base + 3])
  if rpm > 0 then
    local used, counting, old = usage(KEYS[3 * i - 2])
    stale[3 * i - 2] = old
    if used + 1 > rpm then
      refuse(i, 1, wait(counting, used, 1, rpm))
    end
  end
  if tpm > 0 then
    local used, counting, old = usage(KEYS[3 * i - 1])
    stale[3 * i - 1] = old
    if used + tokens > tpm then
      refuse(i, 2, wait(counting, used, tokens, tpm))
    end
  end
  if slots > 0 then
    -- Leases that ended belong to calls whose replica never released them.
    redis.call('ZREMRANGEBYSCORE', KEYS[3 * i], '-inf', ARGV[1])
    if redis.call('ZCARD', KEYS[3 * i]) + 1 > slots then
      refuse(i, 3, tonumber(ARGV[8]))
    end
  end
end
if refused ~= nil then
  return {0, refused[1], refused[2], refused[3]}
end

-- chargeWindow adds amount to the current bucket, drops expired buckets and
-- renews the key's TTL so an idle window vanishes by itself.
local function chargeWindow(key, old, amount)
  for _, field in ipairs(old) do
    redis.call('HDEL', key, field)
  end
  if amount > 0 then
    redis.call('HINCRBY', key, ARGV[2], amount)
  end
  redis.call('PEXPIRE', key, ARGV[6])
end

for i = 1, n do
  local base = 8 + 3 * (i - 1)
  if tonumber(ARGV[base + 1]) > 0 then
    chargeWindow(KEYS[3 * i - 2], stale[3 * i - 2], 1)
  end
  if tonumber(ARGV[base + 2]) > 0 then
    chargeWindow(KEYS[3 * i - 1], stale[3 * i - 1], tokens)
  end
  if tonumber(ARGV[base + 3]) > 0 then
    redis.call('ZADD', KEYS[3 * i], ARGV[5], ARGV[4])
    redis.call('PEXPIRE', KEYS[3 * i], ARGV[7])
  end
end
return {1}
