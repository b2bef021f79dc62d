// Package redisstate keeps the runtime state of metering (token buckets and quota counts)
// in Redis, so that any number of gatehouse nodes sharing one Redis admit together exactly
// what one node would. It implements the data plane's throttle.State (Admit) and the
// management plane's mgmt.UsageCounter (Days, Used, SetRemaining) without importing either;
// the semantics are internal/meter's package comment, held by internal/meter/metertest.
//
// Each Admit is one round trip: one Lua script (admitScript) run with EVALSHA (EVAL when the
// server answers NOSCRIPT, e.g. after a restart) refills the check's buckets, decides all or
// nothing and takes the tokens and the quota count atomically. Concurrent calls share
// connections with rueidis's auto-pipelining (many scripts in flight in one write), and each
// call is still its own atomic script run, so pipelining changes throughput, not exactness.
//
// Key layout (Prefix, "gatehouse:" by default, then):
//
//	b:{Bucket.Key}                        hash {l: level (tokens, float), t: at (Unix µs)};
//	                                      expires a minute after it would be full again
//	                                      (capped at 90 days), never when rate is 0
//	q:{Quota.Key}:{Start, RFC 3339 UTC}   the period's count (integer); expires a day after
//	                                      the period ends (by the caller's clock)
//	d:{Quota.Key}:{2006-01-02}            hash {u: used, r: remaining} of one UTC day;
//	                                      expires 90 days after its last write (dayTTL)
//
// Keys are opaque to this package: the Bucket and Quota keys may hold any byte.
//
// Time is the caller's: Admit takes now from the gateway's injected clock and stores bucket
// times in it, so nodes sharing a Redis need synchronized clocks (NTP). A node whose clock
// lags the last writer's refills nothing (the bucket keeps the later time) rather than
// taking time back; one that runs ahead refills early by its lead. Quota periods are the
// caller's too (meter.Window of its clock), so around a period boundary a lagging node counts
// against the old period until its clock passes the boundary.
//
// Failure: every call has a deadline (Options.Timeout, 50 ms by default) and returns an
// error when Redis is unreachable, does not answer in time, or the script fails; the caller
// applies its fail-open/fail-closed policy. A script call is never retried by the client
// (it may have run), so a failure never counts twice.
//
// Redis Cluster: a script may only touch keys of one hash slot, and a check's buckets are
// shared with other checks (the stage and account buckets with every key), so no per-check
// hash tag keeps exactness. A Prefix holding a hash tag, such as "{gatehouse}:", puts every
// key in one slot: exact, and usable on a cluster, but served by one shard. Sharding needs
// per-key placement (each bucket in its own slot) and gives up the one atomic check.
package redisstate

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/redis/rueidis"
)

// Options tunes a State. Zero values take the defaults.
type Options struct {
	// Timeout bounds each call (Admit, Days, Used, SetRemaining) end to end; 50 ms if 0.
	Timeout time.Duration
	// DialTimeout bounds a connection's dial and handshake and New's first round trip; it is
	// also the time after which a connection that answers nothing is closed. 1 s if 0.
	DialTimeout time.Duration
	// Prefix starts every key; "gatehouse:" if empty.
	Prefix string
}

// Defaults of Options.
const (
	DefaultTimeout     = 50 * time.Millisecond
	DefaultDialTimeout = time.Second
	DefaultPrefix      = "gatehouse:"
)

// Expirations (documented in the package comment and the scripts).
const (
	// periodMargin keeps a period's counter readable for a day after the period ends.
	periodMargin = 24 * time.Hour
	// dayTTL keeps a day record for 90 days after its last write: GetUsage looks back
	// at most that far in practice.
	dayTTL = 90 * 24 * time.Hour
	// maxRate bounds a bucket's rate so that its text stays a plain number in Lua.
	maxRate = 1e12
	// maxDays bounds one Days call (ten years of days).
	maxDays = 3660
)

// periodLayout names a period by its start in the counter's key.
const periodLayout = "2006-01-02T15:04:05Z"

// State is the Redis-backed metering state. Its methods are safe for concurrent use.
type State struct {
	c            rueidis.Client
	timeout      time.Duration
	prefix       string
	admit        *rueidis.Lua
	setRemaining *rueidis.Lua
}

// New connects to the Redis at url, redis://[user:password@]host:port/db or rediss:// for
// TLS, and loads the scripts. It fails when the URL is bad or Redis does not answer within
// opts.DialTimeout; after that, a Redis that goes away fails calls, not the State, and the
// client reconnects by itself.
func New(ctx context.Context, url string, opts Options) (*State, error) {
	return newState(ctx, url, opts, nil)
}

// newState is New with tweak applied to the client's options last (benchmarks compare
// client settings with it).
func newState(ctx context.Context, url string, opts Options, tweak func(*rueidis.ClientOption)) (*State, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	co, err := rueidis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstate: bad Redis URL: %w", err)
	}
	co.DisableCache = true      // no client-side caching: every read asks the server
	co.ForceSingleClient = true // one Redis (see the package comment on Cluster)
	co.Dialer.Timeout = opts.DialTimeout
	co.ConnWriteTimeout = opts.DialTimeout
	if tweak != nil {
		tweak(&co)
	}
	c, err := rueidis.NewClient(co)
	if err != nil {
		if c != nil {
			c.Close()
		}
		return nil, fmt.Errorf("redisstate: connecting to Redis: %w", err)
	}
	s := &State{
		c:            c,
		timeout:      opts.Timeout,
		prefix:       opts.Prefix,
		admit:        rueidis.NewLuaScript(admitScript),
		setRemaining: rueidis.NewLuaScript(setRemainingScript),
	}
	ctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	for _, src := range []string{admitScript, setRemainingScript} {
		if err := c.Do(ctx, c.B().ScriptLoad().Script(src).Build()).Error(); err != nil {
			c.Close()
			return nil, fmt.Errorf("redisstate: loading the scripts: %w", err)
		}
	}
	return s, nil
}

// Close closes the connections. Calls after Close fail.
func (s *State) Close() { s.c.Close() }

// Admit runs check c at now (the caller's clock) in one atomic script: see meter's package
// comment for the semantics. A check with no bucket and no quota is admitted without a
// round trip. An error means the state could not answer (Redis unreachable, the deadline,
// a script error); nothing was counted unless the script ran before the answer was lost.
func (s *State) Admit(ctx context.Context, now time.Time, c *meter.Check) (meter.Outcome, error) {
	if c == nil || (len(c.Buckets) == 0 && c.Quota == nil) {
		return meter.Admitted, nil
	}
	n := len(c.Buckets)
	keys := make([]string, 0, n+2)
	args := make([]string, 0, 2+2*n+3)
	args = append(args, strconv.FormatInt(now.UnixMicro(), 10), strconv.Itoa(n))
	for _, b := range c.Buckets {
		keys = append(keys, s.bucketKey(b.Key))
		args = append(args, formatRate(b.Rate), strconv.FormatInt(max(b.Burst, 0), 10))
	}
	if q := c.Quota; q != nil {
		keys = append(keys, s.periodKey(q), s.dayKey(q.Key, now))
		args = append(args,
			strconv.FormatInt(max(q.Limit, 0), 10),
			strconv.FormatInt(periodTTL(q, now).Milliseconds(), 10),
			strconv.FormatInt(dayTTL.Milliseconds(), 10))
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	v, err := s.admit.Exec(ctx, s.c, keys, args).AsInt64()
	if err != nil {
		return meter.Admitted, fmt.Errorf("redisstate: admit: %w", err)
	}
	switch o := meter.Outcome(v); o {
	case meter.Admitted, meter.Throttled, meter.QuotaExceeded:
		return o, nil
	}
	return meter.Admitted, fmt.Errorf("redisstate: admit: the script answered %d", v)
}

// Days returns one meter.Day per UTC day from..to inclusive (Remaining -1 on a day with no
// record), read in one round trip. from after to gives none; more than maxDays days is an
// error.
func (s *State) Days(ctx context.Context, quotaKey string, from, to time.Time) ([]meter.Day, error) {
	first, last := utcDay(from), utcDay(to)
	if last.Before(first) {
		return []meter.Day{}, nil
	}
	n := int(last.Sub(first).Hours()/24) + 1
	if n > maxDays {
		return nil, fmt.Errorf("redisstate: days: %d days asked, at most %d", n, maxDays)
	}
	cmds := make(rueidis.Commands, n)
	days := make([]meter.Day, n)
	for i := range days {
		d := first.AddDate(0, 0, i)
		days[i] = meter.Day{Date: d.Format(meter.DateLayout), Remaining: -1}
		cmds[i] = s.c.B().Hmget().Key(s.dayKey(quotaKey, d)).Field("u", "r").Build()
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	for i, r := range s.c.DoMulti(ctx, cmds...) {
		vals, err := r.ToArray()
		if err != nil {
			return nil, fmt.Errorf("redisstate: days: %w", err)
		}
		if len(vals) != 2 {
			return nil, fmt.Errorf("redisstate: days: HMGET answered %d values", len(vals))
		}
		if !vals[0].IsNil() {
			if days[i].Used, err = vals[0].AsInt64(); err != nil {
				return nil, fmt.Errorf("redisstate: days: used of %s: %w", days[i].Date, err)
			}
		}
		if !vals[1].IsNil() {
			if days[i].Remaining, err = vals[1].AsInt64(); err != nil {
				return nil, fmt.Errorf("redisstate: days: remaining of %s: %w", days[i].Date, err)
			}
		}
	}
	return days, nil
}

// Used returns the requests counted in q's period (0 when none were).
func (s *State) Used(ctx context.Context, q meter.Quota) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	v, err := s.c.Do(ctx, s.c.B().Get().Key(s.periodKey(&q)).Build()).AsInt64()
	if rueidis.IsRedisNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redisstate: used: %w", err)
	}
	return v, nil
}

// SetRemaining makes q's period count q.Limit-remaining and records remaining on now's UTC
// day (keeping the day's used), atomically. A remaining above the limit makes the count
// negative: the period then admits more than its limit, as asked.
func (s *State) SetRemaining(ctx context.Context, q meter.Quota, now time.Time, remaining int64) error {
	keys := []string{s.periodKey(&q), s.dayKey(q.Key, now)}
	args := []string{
		strconv.FormatInt(q.Limit-remaining, 10),
		strconv.FormatInt(periodTTL(&q, now).Milliseconds(), 10),
		strconv.FormatInt(remaining, 10),
		strconv.FormatInt(dayTTL.Milliseconds(), 10),
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.setRemaining.Exec(ctx, s.c, keys, args).Error(); err != nil {
		return fmt.Errorf("redisstate: set remaining: %w", err)
	}
	return nil
}

func (s *State) bucketKey(k string) string { return s.prefix + "b:" + k }

// periodKey names q's period counter. The start's layout has a fixed length after the last
// ':', so two different (Key, Start) pairs never make one key.
func (s *State) periodKey(q *meter.Quota) string {
	return s.prefix + "q:" + q.Key + ":" + q.Start.UTC().Format(periodLayout)
}

func (s *State) dayKey(quotaKey string, t time.Time) string {
	return s.prefix + "d:" + quotaKey + ":" + t.UTC().Format(meter.DateLayout)
}

// periodTTL is how long q's counter lives after a write at now: until a day after the
// period ends, measured on the caller's clock (so a Redis clock that differs does not
// matter), and at least that day.
func periodTTL(q *meter.Quota, now time.Time) time.Duration {
	return max(q.End.Sub(now), 0) + periodMargin
}

// formatRate writes a bucket's rate for the script: NaN and negative rates are 0 (no
// refill), and the rate is at most maxRate.
func formatRate(r float64) string {
	if math.IsNaN(r) || r < 0 {
		r = 0
	}
	return strconv.FormatFloat(min(r, maxRate), 'g', -1, 64)
}

func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
