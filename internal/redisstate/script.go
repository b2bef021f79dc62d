package redisstate

// admitScript decides a batch of checks, in order, in one atomic script run (Redis runs a
// script to its end before any other command): for each, the refill, the all-or-nothing
// decision and the takes, exactly as if each check were its own run after the one before.
// Gathering concurrent checks into one run (State.Admit's batches) saves a script call, a
// round trip's work and the reads and writes of the buckets checks share (the account's,
// a stage's) for all but the first and last of a batch.
//
//	ARGV[1]      m, the number of checks; then, for each check j:
//	  now        Unix microseconds of the caller's clock
//	  n          its number of buckets
//	  q          1 when it has a quota, else 0
//	  rate, burst    bucket i's rate (tokens a second, >= 0) and burst (tokens), n times
//	  limit, period TTL (ms), day TTL (ms)    when q is 1
//	KEYS         for each check j: its n buckets, in Check order (hashes {l = level (tokens,
//	             a float), t = at (Unix microseconds of the caller's clock)}); then, when q
//	             is 1, the quota's period counter (an integer string) and day record (hash
//	             {u = used, r = remaining})
//
// It returns one outcome a check: 0 (Admitted), 1 (Throttled) or 2 (QuotaExceeded),
// meter.Outcome's values. A refused check writes nothing. The refill is
// meter.Tokens.Refill, float for float (at the microsecond resolution of the stored times;
// a level is kept as the double it would be read back as): a bucket never seen (or
// expired, which happens only once it is full again) is full; time going back (a caller
// whose clock lags the last writer's) refills nothing and keeps the later at; the level
// never exceeds the burst. A bucket's key lives until it would be full again plus a minute,
// capped at 90 days (maxTTL); a bucket that never refills (rate 0) never expires. Each key
// is read at most once and written at most once, at the end.
const admitScript = `
local m = tonumber(ARGV[1])
local a, k = 2, 1
local bseen, blevel, bat, brate, bburst, border = {}, {}, {}, {}, {}, {}
local cseen, ccount, cttl, corder = {}, {}, {}, {}
local dused, drem, dttl, dorder = {}, {}, {}, {}
local out = {}
for j = 1, m do
  local now = tonumber(ARGV[a])
  local n = tonumber(ARGV[a + 1])
  local q = ARGV[a + 2] == '1'
  a = a + 3
  local ok = true
  local levels, ats = {}, {}
  for i = 1, n do
    if not ok then break end
    local key = KEYS[k + i - 1]
    local rate = tonumber(ARGV[a + 2 * i - 2])
    local burst = tonumber(ARGV[a + 2 * i - 1])
    if not bseen[key] then
      local h = redis.call('HMGET', key, 'l', 't')
      bseen[key], blevel[key], bat[key] = true, tonumber(h[1]), tonumber(h[2])
    end
    local level, at = blevel[key], bat[key]
    if level == nil or at == nil then
      level, at = burst, now
    else
      if now > at then
        -- seconds as Go's Duration.Seconds computes them, so the level is meter.Tokens.Refill's
        local d = now - at
        local sec = math.floor(d / 1e6)
        level = level + rate * (sec + ((d - sec * 1e6) * 1000) / 1e9)
        at = now
      end
      if level > burst then level = burst end
    end
    if level < 1 then ok = false; out[j] = 1 end
    levels[i], ats[i] = level, at
  end
  local qk, dk, limit, count
  if q then qk, dk = KEYS[k + n], KEYS[k + n + 1] end
  if ok and q then
    limit = tonumber(ARGV[a + 2 * n])
    if not cseen[qk] then
      cseen[qk], ccount[qk] = true, tonumber(redis.call('GET', qk) or '0') or 0
    end
    count = ccount[qk]
    if count >= limit then ok = false; out[j] = 2 end
  end
  if ok then
    for i = 1, n do
      local key = KEYS[k + i - 1]
      if brate[key] == nil then border[#border + 1] = key end
      blevel[key], bat[key] = levels[i] - 1, ats[i]
      brate[key], bburst[key] = tonumber(ARGV[a + 2 * i - 2]), tonumber(ARGV[a + 2 * i - 1])
    end
    if q then
      if cttl[qk] == nil then corder[#corder + 1] = qk end
      ccount[qk], cttl[qk] = count + 1, ARGV[a + 2 * n + 1]
      if dttl[dk] == nil then dorder[#dorder + 1] = dk end
      dused[dk] = (dused[dk] or 0) + 1
      drem[dk], dttl[dk] = limit - count - 1, ARGV[a + 2 * n + 2]
    end
    out[j] = 0
  end
  a = a + 2 * n
  k = k + n
  if q then a = a + 3; k = k + 2 end
end
for _, key in ipairs(border) do
  local level, rate, burst = blevel[key], brate[key], bburst[key]
  redis.call('HSET', key, 'l', string.format('%.17g', level), 't', string.format('%.0f', bat[key]))
  if rate > 0 then
    local ttl = math.ceil((burst - level) / rate * 1000) + 60000
    if ttl > 7776000000 then ttl = 7776000000 end
    redis.call('PEXPIRE', key, ttl)
  else
    redis.call('PERSIST', key)
  end
end
for _, key in ipairs(corder) do
  redis.call('SET', key, string.format('%.0f', ccount[key]), 'PX', cttl[key])
end
for _, key in ipairs(dorder) do
  redis.call('HINCRBY', key, 'u', dused[key])
  redis.call('HSET', key, 'r', string.format('%.0f', drem[key]))
  redis.call('PEXPIRE', key, dttl[key])
end
return out
`

// setRemainingScript is UpdateUsage's write: the period counter becomes limit-remaining and
// the day record's remaining becomes remaining (its used is kept), atomically.
//
//	KEYS[1] the period counter, KEYS[2] the day record
//	ARGV[1] the new count, ARGV[2] its time to live (ms), ARGV[3] remaining, ARGV[4] the day
//	record's time to live (ms)
const setRemainingScript = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], 'r', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 0
`
