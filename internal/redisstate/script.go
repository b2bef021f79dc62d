package redisstate

// admitScript is the whole of one Admit: refill, all-or-nothing decision and the takes, in
// one atomic script run (Redis runs a script to its end before any other command).
//
//	KEYS[1..n]   the buckets, in Check order: hashes {l = level (tokens, a float),
//	             t = at (Unix microseconds of the caller's clock)}
//	KEYS[n+1]    the quota's period counter (an integer string), when ARGV[3+2n] is given
//	KEYS[n+2]    the quota's day record: hash {u = used, r = remaining}
//	ARGV[1]      now, Unix microseconds of the caller's clock
//	ARGV[2]      n
//	ARGV[1+2i], ARGV[2+2i]  bucket i's rate (tokens a second, >= 0) and burst (tokens)
//	ARGV[3+2n]   the quota's limit (absent: no quota)
//	ARGV[4+2n]   the period counter's time to live, milliseconds
//	ARGV[5+2n]   the day record's time to live, milliseconds
//
// It returns 0 (Admitted), 1 (Throttled) or 2 (QuotaExceeded), meter.Outcome's values.
// A refused check writes nothing. The refill is meter.Tokens.Refill, float for float (at
// the microsecond resolution of the stored times): a bucket never seen
// (or expired, which happens only once it is full again) is full; time going back (a
// caller whose clock lags the last writer's) refills nothing and keeps the later at; the
// level never exceeds the burst. A bucket's key lives until it would be full again plus
// a minute, capped at 90 days (maxTTL); a bucket that never refills (rate 0) never expires.
const admitScript = `
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local levels, ats = {}, {}
for i = 1, n do
  local rate = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  local h = redis.call('HMGET', KEYS[i], 'l', 't')
  local level, at = tonumber(h[1]), tonumber(h[2])
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
  if level < 1 then return 1 end
  levels[i], ats[i] = level, at
end
local q = ARGV[3 + 2 * n]
local limit, count
if q then
  limit = tonumber(q)
  count = tonumber(redis.call('GET', KEYS[n + 1]) or '0') or 0
  if count >= limit then return 2 end
end
for i = 1, n do
  local rate = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  local level = levels[i] - 1
  redis.call('HSET', KEYS[i], 'l', string.format('%.17g', level), 't', string.format('%.0f', ats[i]))
  if rate > 0 then
    local ttl = math.ceil((burst - level) / rate * 1000) + 60000
    if ttl > 7776000000 then ttl = 7776000000 end
    redis.call('PEXPIRE', KEYS[i], ttl)
  else
    redis.call('PERSIST', KEYS[i])
  end
end
if q then
  local c = redis.call('INCR', KEYS[n + 1])
  redis.call('PEXPIRE', KEYS[n + 1], ARGV[4 + 2 * n])
  redis.call('HINCRBY', KEYS[n + 2], 'u', 1)
  redis.call('HSET', KEYS[n + 2], 'r', limit - c)
  redis.call('PEXPIRE', KEYS[n + 2], ARGV[5 + 2 * n])
end
return 0
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
