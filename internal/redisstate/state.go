// Package redisstate keeps the runtime state of metering (token buckets and quota counts)
// in Redis, so that any number of gatehouse nodes sharing one Redis admit together exactly
// what one node would. It implements the data plane's throttle.State (Admit) and the
// management plane's mgmt.UsageCounter (Days, Used, SetRemaining) without importing either;
// the semantics are internal/meter's package comment, held by internal/meter/metertest.
// It also keeps the caches nodes share, flushed by stage: the Lambda authorizer cache
// (AuthorizerCache) and the REST stage response cache (ResponseCache), both stageCache's
// (stage_cache.go, which gives their layout).
//
// Each Admit is decided in one round trip: one Lua script (admitScript) run with EVALSHA
// (EVAL when the server answers NOSCRIPT, e.g. after a restart) refills the check's buckets,
// decides all or nothing and takes the tokens and the quota count atomically. Concurrent
// Admits are gathered into batches, one script run deciding each batch's checks in order
// (what queued while the previous batch ran; no call waits to gather), and the runs in
// flight share connections with rueidis's auto-pipelining. A run is atomic as a whole, so
// batching and pipelining change throughput, not exactness.
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
//	azg:, aze:, rcg:, rce:                the authorizer and response caches' generations
//	                                      and entries (stage_cache.go)
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
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/redis/rueidis"
)

// Options tunes a State. Zero values take the defaults.
type Options struct {
	// Timeout bounds each call (Admit, Days, Used, SetRemaining, and the caches' Get, Set
	// and FlushStage) end to end; 50 ms if 0.
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
	requests     chan *admitRequest // Admits waiting for a batcher
	closed       chan struct{}      // closed by Close: the batchers stop
	closeOnce    sync.Once
	wg           sync.WaitGroup
	runs         atomic.Int64 // script runs of admitScript (batches), for tests
	requestPool  sync.Pool    // of *admitRequest
	timeout      time.Duration
	prefix       string
	admit        *rueidis.Lua
	setRemaining *rueidis.Lua
	cacheSet     *rueidis.Lua // stage_cache.go's
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
		cacheSet:     rueidis.NewLuaScript(cacheSetScript),
		requests:     make(chan *admitRequest, maxBatch*batchers),
		closed:       make(chan struct{}),
	}
	ctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	for _, src := range []string{admitScript, setRemainingScript, cacheSetScript} {
		if err := c.Do(ctx, c.B().ScriptLoad().Script(src).Build()).Error(); err != nil {
			c.Close()
			return nil, fmt.Errorf("redisstate: loading the scripts: %w", err)
		}
	}
	s.requestPool.New = func() any { return &admitRequest{done: make(chan admitResult, 1)} }
	s.wg.Add(batchers)
	for range batchers {
		go s.batch()
	}
	return s, nil
}

// Close stops the batchers and closes the connections. Calls after Close fail.
func (s *State) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.wg.Wait()
		s.c.Close()
	})
}

// Admit runs check c at now (the caller's clock) atomically: see meter's package comment
// for the semantics. Concurrent calls are gathered into batches decided by one script run
// each (admitScript, in arrival order), so a busy gateway makes far fewer script calls than
// requests; a call never waits for others to gather: a batch is whatever queued while the
// previous one ran. A check with no bucket and no quota is admitted without a round trip.
// An error means the state could not answer in Options.Timeout (Redis unreachable, slow, a
// script error); nothing was counted unless the script ran before the answer was lost.
func (s *State) Admit(ctx context.Context, now time.Time, c *meter.Check) (meter.Outcome, error) {
	if c == nil || (len(c.Buckets) == 0 && c.Quota == nil) {
		return meter.Admitted, nil
	}
	select {
	case <-s.closed:
		return meter.Admitted, fmt.Errorf("redisstate: admit: %w", errClosed)
	default:
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	r := s.requestPool.Get().(*admitRequest)
	r.set(now, c)
	r.deadline, _ = ctx.Deadline()
	r.state.Store(reqQueued)
	select {
	case s.requests <- r:
	case <-s.closed:
		s.requestPool.Put(r)
		return meter.Admitted, fmt.Errorf("redisstate: admit: %w", errClosed)
	case <-ctx.Done():
		s.requestPool.Put(r)
		return meter.Admitted, fmt.Errorf("redisstate: admit: %w", ctx.Err())
	}
	select {
	case res := <-r.done:
		// The batcher is done with r: it sent its one answer.
		s.requestPool.Put(r)
		return res.outcome, res.err
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			// Not taken into a batch: it will never count (the batcher drops r).
			return meter.Admitted, fmt.Errorf("redisstate: admit: %w (not sent)", ctx.Err())
		}
		// In a batch already: it may have counted. The batcher still answers r (its
		// channel has room), so r is not reused.
		return meter.Admitted, fmt.Errorf("redisstate: admit: %w", ctx.Err())
	}
}

// admitRequest is one Admit waiting for its batch: a copy of its check (the caller may
// give up waiting and reuse its own), its deadline, whether a batch took it, and the
// channel of its one answer.
type admitRequest struct {
	now      time.Time
	buckets  []meter.Bucket
	quota    meter.Quota
	hasQ     bool
	deadline time.Time
	state    atomic.Int32 // reqQueued, then reqTaken (by a batcher) or reqAbandoned (by its caller)
	done     chan admitResult
}

// admitRequest states: a request its caller gave up on before a batch took it is dropped,
// so that a refused request is never counted.
const (
	reqQueued int32 = iota
	reqTaken
	reqAbandoned
)

func (r *admitRequest) set(now time.Time, c *meter.Check) {
	r.now = now
	r.buckets = append(r.buckets[:0], c.Buckets...)
	r.hasQ = c.Quota != nil
	if r.hasQ {
		r.quota = *c.Quota
	}
}

type admitResult struct {
	outcome meter.Outcome
	err     error
}

// Batching: batchers script runs may be in flight at once (rueidis pipelines them on its
// connections), each of at most maxBatch checks. A few keep a slow call from holding every
// check while leaving time for checks to gather: bench/run.sh measured about 10 checks a
// run with 2 and 6 with 4 at 18,000 requests a second, for the same requests a second. A
// check may wait for a run in flight before its own, so Options.Timeout should exceed two
// round trips; the runs in flight bound a node's checks to batchers*maxBatch a round trip.
const (
	batchers = 4
	maxBatch = 128
)

var errClosed = errors.New("state closed")

// batch runs batches of queued Admits until the State is closed, then answers what is
// still queued with errClosed.
func (s *State) batch() {
	defer s.wg.Done()
	var rs []*admitRequest
	var keys, args []string
	for {
		var first *admitRequest
		select {
		case <-s.closed:
			s.drainClosed()
			return
		default:
		}
		select {
		case first = <-s.requests:
		case <-s.closed:
			s.drainClosed()
			return
		}
		rs = s.take(rs[:0], first)
	gather:
		for len(rs) < maxBatch {
			select {
			case r := <-s.requests:
				rs = s.take(rs, r)
			default:
				break gather
			}
		}
		if len(rs) == 0 {
			continue
		}
		// The run may take until the latest of its callers' deadlines: past it no one waits.
		deadline := rs[0].deadline
		for _, r := range rs[1:] {
			if r.deadline.After(deadline) {
				deadline = r.deadline
			}
		}
		s.runs.Add(1)
		keys, args = s.batchCommand(rs, keys[:0], args[:0])
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		outs, err := s.admit.Exec(ctx, s.c, keys, args).AsIntSlice()
		cancel()
		if err == nil && len(outs) != len(rs) {
			err = fmt.Errorf("the script answered %d outcomes for %d checks", len(outs), len(rs))
		}
		for i, r := range rs {
			res := admitResult{err: err}
			if err != nil {
				res.err = fmt.Errorf("redisstate: admit: %w", err)
			} else if o := meter.Outcome(outs[i]); o == meter.Admitted || o == meter.Throttled || o == meter.QuotaExceeded {
				res.outcome = o
			} else {
				res.err = fmt.Errorf("redisstate: admit: the script answered %d", outs[i])
			}
			r.done <- res
			rs[i] = nil
		}
	}
}

// take appends r to rs unless its caller gave up on it, in which case r is dropped (back
// to the pool: its caller no longer holds it).
func (s *State) take(rs []*admitRequest, r *admitRequest) []*admitRequest {
	if !r.state.CompareAndSwap(reqQueued, reqTaken) {
		s.requestPool.Put(r)
		return rs
	}
	return append(rs, r)
}

// drainClosed answers every queued Admit with errClosed.
func (s *State) drainClosed() {
	for {
		select {
		case r := <-s.requests:
			if r.state.CompareAndSwap(reqQueued, reqTaken) {
				r.done <- admitResult{err: fmt.Errorf("redisstate: admit: %w", errClosed)}
			} else {
				s.requestPool.Put(r)
			}
		default:
			return
		}
	}
}

// batchCommand appends the keys and arguments of admitScript for the checks of rs.
func (s *State) batchCommand(rs []*admitRequest, keys, args []string) ([]string, []string) {
	args = append(args, strconv.Itoa(len(rs)))
	for _, r := range rs {
		q := "0"
		if r.hasQ {
			q = "1"
		}
		args = append(args, strconv.FormatInt(r.now.UnixMicro(), 10), strconv.Itoa(len(r.buckets)), q)
		for _, b := range r.buckets {
			keys = append(keys, s.bucketKey(b.Key))
			args = append(args, formatRate(b.Rate), strconv.FormatInt(max(b.Burst, 0), 10))
		}
		if r.hasQ {
			q := &r.quota
			keys = append(keys, s.periodKey(q), s.dayKey(q.Key, r.now))
			args = append(args,
				strconv.FormatInt(max(q.Limit, 0), 10),
				strconv.FormatInt(periodTTL(q, r.now).Milliseconds(), 10),
				strconv.FormatInt(dayTTL.Milliseconds(), 10))
		}
	}
	return keys, args
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
