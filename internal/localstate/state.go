// Package localstate keeps the runtime state of metering (token buckets, quota counts and
// the daily usage records) in process: the default State of a single gatehouse node. It
// implements the data plane's throttle.State (Admit) and the management plane's
// mgmt.UsageCounter (Days, Used, SetRemaining) without importing either; the semantics are
// internal/meter's package comment, held by internal/meter/metertest.
//
// The hot path takes no global lock and allocates nothing once a check's keys are known:
// buckets and quota periods live in 64 shards (maps under a mutex each) chosen by a hash of
// the key. A check locks the shards of its buckets and quota in shard order, each once, so
// two checks sharing buckets in any order never deadlock, and decides all or nothing under
// those locks.
//
// What a restart keeps:
//   - Buckets live in memory only: a restarted gatehouse starts every bucket full (a client
//     may get one extra burst per restart).
//   - Quota counts and day records are written to Options.Store under Options.Prefix every
//     FlushInterval (10 s by default) and on Close. A graceful restart (Close, then Open on
//     the same store) keeps the exact counts and days.
//   - A crash (no Close) never lets a period admit more than its limit: a count never grows
//     past what the store already accounts for, its lease: the count plus a block of room
//     (or what remains of the limit), which Open treats as used. A period's first block is
//     leaseBlock = 256 requests; it doubles, up to Options.MaxLease (65,536 by default),
//     while leases last less than leaseTarget (a second), and halves back when one lasts
//     over four, so that a busy key writes about one lease a second rather than one every
//     256 requests (each a durable store write). A background goroutine writes the next
//     lease when a quarter of the block is left, so requests rarely wait for the store;
//     when the room is gone (a period's first request, or a burst faster than the store),
//     Admit writes the lease itself, with the leases other checks wait for in the same
//     transaction. So a crash costs at most one block of requests per key and period
//     (under-admission: 256 for a key under 256 requests a second; more for a busier
//     one, never more than MaxLease; a key that slows down after a burst keeps a large
//     block until its leases last over four seconds, halving each time), and the day
//     records' counts since the last flush (at most FlushInterval of Used).
//     After a crash, Used (and GetUsage's remaining) counts the lost block as used.
//   - SetRemaining (UpdateUsage) writes the new count to the store before it answers.
//   - A lease that cannot be written fails Admit (the caller's failure policy applies); so
//     does Admit after Close.
//
// Flushes happen only while Run runs (cmd runs it beside the servers) and in Close. Run
// also sweeps (below), with a store or without.
//
// Store layout (Prefix, then):
//
//	p:{Start, 2006-01-02T15:04:05Z}:{Quota.Key}   a period's count: {"count","lease","end"}
//	d:{2006-01-02}:{Quota.Key}                    a day record: {"used","remaining"}
//
// Flushes drop periods that ended more than a day ago and day records older than 90 days,
// both measured by the latest time Admit or SetRemaining was given (the state has no clock
// of its own): a clock that jumps more than a day ahead and back would start the current
// periods again at 0.
package localstate

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Options configures Open. Zero values take the defaults.
type Options struct {
	// Store keeps the quota counts and day records across restarts; nil keeps them in
	// memory only.
	Store store.Store
	// Prefix starts every key this state writes to Store (cmd passes
	// apigateway.Scope.QuotaCountPrefix()).
	Prefix string
	// FlushInterval is how often Run writes the counts to Store; DefaultFlushInterval if 0.
	FlushInterval time.Duration
	// Logger receives the flush failures of Run; nil discards them.
	Logger *slog.Logger
	// MaxLease bounds a period's lease block, and so what a crash may take of a period
	// (see the package comment); DefaultMaxLease if 0, at least leaseBlock.
	MaxLease int64
}

// DefaultMaxLease is Options.MaxLease's default.
const DefaultMaxLease = 1 << 16

// DefaultFlushInterval is Options.FlushInterval's default. A flush is a durable store
// write, whose fsync can hold a GOMAXPROCS=1 data plane for milliseconds (bench/run.sh
// measured a fifth fewer requests a second flushing every second); the counts are safe in
// between (leases), so only the day records of a crash's last interval are at stake.
const DefaultFlushInterval = 10 * time.Second

const (
	// shardCount is the number of shards (a power of two).
	shardCount = 64
	// leaseBlock is the room a period's first lease reserves, and its smallest block.
	leaseBlock = 256
	// leaseTarget is how long a lease should last: a block used up faster doubles, one
	// lasting over 4 leaseTarget halves.
	leaseTarget = time.Second
	// periodMargin keeps a period's count for a day after it ends.
	periodMargin = 24 * time.Hour
	// dayRetention is how long day records are kept: GetUsage looks back at most that far
	// in practice (redisstate keeps them as long).
	dayRetention = 90 * 24 * time.Hour
	// maxDays bounds one Days call (ten years of days).
	maxDays = 3660
	// maxAttempts bounds how often one Admit asks for a lease before giving up (other
	// checks may take the room of each new lease first).
	maxAttempts = 64
)

// ErrClosed is returned by the calls after Close.
var ErrClosed = errors.New("localstate: closed")

// State is the in-process metering state. Its methods are safe for concurrent use.
type State struct {
	seed   maphash.Seed
	shards [shardCount]shard

	st       store.Store // nil: memory only
	prefix   string
	interval time.Duration
	maxLease int64 // Options.MaxLease
	log      *slog.Logger

	// writeSem (capacity 1) serializes the writes to st: leases, SetRemaining and flushes.
	// Whoever holds it also writes the leases queued by others (group commit).
	writeSem chan struct{}
	qmu      sync.Mutex
	queue    []*period     // periods waiting for a lease, guarded by qmu
	spare    []*period     // the last batch's array, for the next queue; guarded by writeSem
	wake     chan struct{} // (capacity 1) tells the renewer the queue has leases to write
	done     chan struct{} // closed by Close: ends the renewer

	closed atomic.Bool
}

type shard struct {
	mu      sync.Mutex
	closed  bool  // set by Close: nothing is admitted any more
	now     int64 // the latest time seen under this shard, Unix ns (the sweep's clock)
	buckets map[string]*bucket
	quotas  map[string]*quotaState
	// dirtyP and dirtyD list what changed since the last flush (each once: its dirty flag).
	dirtyP []*period
	dirtyD []*day
	_      [64]byte // keep neighbouring shards' locks off one cache line
}

// bucket is one token bucket's state: meter.Tokens on Unix nanoseconds, and the rate and
// burst it last took a token under (for the sweep).
type bucket struct {
	level float64
	at    int64 // Unix ns; 0: never taken from (full)
	rate  float64
	burst int64
}

// quotaState is what one quota key has: its periods (the current one, and the last until
// the sweep drops it) and its day records.
type quotaState struct {
	key     string
	periods []*period
	days    map[int64]*day // by days since the Unix epoch (UTC)
	last    *day           // the day last counted: most requests count on it again
}

type period struct {
	q          *quotaState
	start, end int64 // Unix seconds
	// count is the requests counted in the period; reserved is what the store accounts for
	// (its lease): with a store, count never exceeds reserved.
	count, reserved int64
	limit           int64 // the limit of the last check (what a lease may reserve up to)
	// block is the room the next lease reserves (0: leaseBlock), leasedAt when the last
	// lease was written (the monotonic clock: sizing, not semantics).
	block    int64
	leasedAt time.Time
	dirty    bool
	renewing bool // a lease is asked for ahead of need
	gone     bool // swept: no longer in q.periods (a lease for it is not written)
	queued   bool // in State.queue; guarded by State.qmu
}

// renewAt is the room left under p's lease at which the renewer goroutine writes the next
// one ahead of need, so that requests rarely wait for the store: a quarter of the block.
func (p *period) renewAt() int64 { return max(p.block, leaseBlock) / 4 }

// nextBlock sizes p's next lease at now (the monotonic clock), within [leaseBlock,
// maxLease]: double the last block when it lasted under leaseTarget, half when it lasted
// over four. Called under p's shard lock; the block is p's once its lease is written.
func (p *period) nextBlock(now time.Time, maxLease int64) int64 {
	switch {
	case p.block == 0 || p.leasedAt.IsZero():
		return leaseBlock
	case now.Sub(p.leasedAt) < leaseTarget:
		return min(p.block*2, maxLease)
	case now.Sub(p.leasedAt) > 4*leaseTarget:
		return max(p.block/2, leaseBlock)
	}
	return p.block
}

type day struct {
	q         *quotaState
	day       int64 // days since the Unix epoch (UTC)
	used      int64
	remaining int64 // -1: none recorded
	dirty     bool
	gone      bool // swept: no longer in q.days
}

// Open returns a State holding what opts.Store holds under opts.Prefix.
func Open(ctx context.Context, opts Options) (*State, error) {
	s := &State{
		seed:     maphash.MakeSeed(),
		st:       opts.Store,
		prefix:   opts.Prefix,
		interval: opts.FlushInterval,
		maxLease: max(opts.MaxLease, leaseBlock),
		log:      opts.Logger,
		writeSem: make(chan struct{}, 1),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	if s.interval <= 0 {
		s.interval = DefaultFlushInterval
	}
	if opts.MaxLease == 0 {
		s.maxLease = DefaultMaxLease
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.buckets = map[string]*bucket{}
		sh.quotas = map[string]*quotaState{}
	}
	if s.st != nil {
		if err := s.load(ctx); err != nil {
			return nil, fmt.Errorf("localstate: open: %w", err)
		}
		go s.renew()
	}
	return s, nil
}

func (s *State) shardOf(key string) uint8 {
	return uint8(maphash.String(s.seed, key) & (shardCount - 1))
}

// maxInline is how many shards a check locks without allocating (4 buckets and a quota on
// AWS, with room to spare).
const maxInline = 16

// Admit runs check c at now: see meter's package comment for the semantics. A check with
// no bucket and no quota is admitted. An error means the state could not answer: it is
// closed, or a lease could not be written to the store (nothing was counted then).
func (s *State) Admit(ctx context.Context, now time.Time, c *meter.Check) (meter.Outcome, error) {
	if c == nil || (len(c.Buckets) == 0 && c.Quota == nil) {
		return meter.Admitted, nil
	}
	var inline [maxInline]uint8
	idx := inline[:0]
	if len(c.Buckets)+1 > maxInline {
		idx = make([]uint8, 0, len(c.Buckets)+1)
	}
	for i := range c.Buckets {
		idx = append(idx, s.shardOf(c.Buckets[i].Key))
	}
	qs := -1
	if c.Quota != nil {
		qs = int(s.shardOf(c.Quota.Key))
		idx = append(idx, uint8(qs))
	}
	// The shard indexes of the check's buckets are idx[:len(c.Buckets)] in check order;
	// locks sorts a copy into lock order.
	var sorted [maxInline]uint8
	order := sorted[:0]
	if len(idx) > maxInline {
		order = make([]uint8, 0, len(idx))
	}
	order = lockOrder(append(order, idx...))
	for range maxAttempts {
		o, p, renew, err := s.try(now, c, idx, order, qs)
		if renew {
			// The lease is running low: the renewer writes the next one ahead of need.
			s.ask(p)
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
		if err != nil || renew || p == nil {
			return o, err
		}
		if err := s.lease(ctx, p); err != nil {
			return meter.Admitted, fmt.Errorf("localstate: admit: %w", err)
		}
	}
	return meter.Admitted, fmt.Errorf("localstate: admit: no lease held room after %d attempts", maxAttempts)
}

// lockOrder sorts shard indexes and drops duplicates, in place (insertion sort: a check
// has a handful).
func lockOrder(a []uint8) []uint8 {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
	out := a[:0]
	for i, v := range a {
		if i == 0 || v != a[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// try decides c under its shards' locks. It returns the period to lease for (and nothing
// decided) when the quota has room under its limit but not under its lease; or, admitted,
// the period (and renew) when its lease runs low.
func (s *State) try(now time.Time, c *meter.Check, idx, order []uint8, qs int) (o meter.Outcome, p *period, renew bool, err error) {
	var inline [maxInline]*bucket
	ents := inline[:0]
	if len(c.Buckets) > maxInline {
		ents = make([]*bucket, 0, len(c.Buckets))
	}
	for _, i := range order {
		s.shards[i].mu.Lock()
	}
	defer s.unlock(order)
	if s.shards[order[0]].closed {
		return meter.Admitted, nil, false, ErrClosed
	}
	ns := now.UnixNano()
	for n := range c.Buckets {
		b := &c.Buckets[n]
		sh := &s.shards[idx[n]]
		sh.now = max(sh.now, ns)
		e := sh.buckets[b.Key]
		if e == nil {
			// Never seen: full. Created now so that the take below needs no second lookup
			// (an entry never taken from is the same as none; the sweep drops it).
			e = &bucket{}
			sh.buckets[b.Key] = e
		}
		if level, _ := e.refill(b, ns); level < 1 {
			return meter.Throttled, nil, false, nil
		}
		ents = append(ents, e)
	}
	if q := c.Quota; q != nil {
		sh := &s.shards[qs]
		sh.now = max(sh.now, ns)
		st := sh.quotas[q.Key]
		if st == nil {
			st = sh.newQuota(q.Key)
		}
		p = st.period(q.Start.Unix())
		var count int64
		if p != nil {
			count = p.count
		}
		if count >= q.Limit {
			return meter.QuotaExceeded, nil, false, nil
		}
		if p == nil {
			p = st.newPeriod(q.Start.Unix(), q.End.Unix(), s.st == nil)
		}
		p.limit = q.Limit
		if p.count >= p.reserved {
			return meter.Admitted, p, false, nil
		}
	}
	for n, e := range ents {
		if dup(ents[:n], e) {
			continue // one token per bucket, however often the check names it
		}
		b := &c.Buckets[n]
		e.level, e.at = e.refill(b, ns)
		e.level--
		e.rate, e.burst = b.Rate, b.Burst
	}
	if p != nil {
		sh := &s.shards[qs]
		p.count++
		if s.st != nil {
			sh.markPeriod(p)
		}
		d := p.q.last
		if dn := dayOf(now); d == nil || d.day != dn || d.gone {
			d = p.q.day(dn)
			p.q.last = d
		}
		d.used++
		d.remaining = c.Quota.Limit - p.count
		if s.st != nil {
			sh.markDay(d)
		}
		if p.reserved-p.count <= p.renewAt() && p.reserved < p.limit && !p.renewing {
			p.renewing = true
			return meter.Admitted, p, true, nil
		}
	}
	return meter.Admitted, nil, false, nil
}

// refill is meter.Tokens.Refill on Unix nanoseconds: the level and its time at now under
// b's rate and burst.
func (e *bucket) refill(b *meter.Bucket, now int64) (float64, int64) {
	if e.at == 0 {
		return float64(b.Burst), now
	}
	level := e.level
	if d := now - e.at; d > 0 {
		level += b.Rate * time.Duration(d).Seconds()
	} else {
		now = e.at
	}
	return min(level, float64(b.Burst)), now
}

func (s *State) unlock(order []uint8) {
	for _, i := range order {
		s.shards[i].mu.Unlock()
	}
}

func dup(ents []*bucket, e *bucket) bool {
	for _, x := range ents {
		if x == e {
			return true
		}
	}
	return false
}

func dayOf(t time.Time) int64 {
	u := t.Unix()
	d := u / 86400
	if u%86400 < 0 {
		d--
	}
	return d
}

// newQuota adds the state of quota key; sh.mu is held.
func (sh *shard) newQuota(key string) *quotaState {
	st := &quotaState{key: key, days: map[int64]*day{}}
	sh.quotas[key] = st
	return st
}

// period returns the period starting at start (Unix s), or nil.
func (st *quotaState) period(start int64) *period {
	for _, p := range st.periods {
		if p.start == start {
			return p
		}
	}
	return nil
}

// newPeriod adds a period with nothing counted; unbounded is for a state without a store
// (no lease needed).
func (st *quotaState) newPeriod(start, end int64, unbounded bool) *period {
	p := &period{q: st, start: start, end: end}
	if unbounded {
		p.reserved = 1<<63 - 1
	}
	st.periods = append(st.periods, p)
	return p
}

// day returns the record of day dn, creating it.
func (st *quotaState) day(dn int64) *day {
	d := st.days[dn]
	if d == nil {
		d = &day{q: st, day: dn, remaining: -1}
		st.days[dn] = d
	}
	return d
}

func (sh *shard) markPeriod(p *period) {
	if !p.dirty {
		p.dirty = true
		sh.dirtyP = append(sh.dirtyP, p)
	}
}

func (sh *shard) markDay(d *day) {
	if !d.dirty {
		d.dirty = true
		sh.dirtyD = append(sh.dirtyD, d)
	}
}

// Days returns one meter.Day per UTC day from..to inclusive (Remaining -1 on a day with no
// record). from after to gives none; more than maxDays days is an error.
func (s *State) Days(ctx context.Context, quotaKey string, from, to time.Time) ([]meter.Day, error) {
	first, last := dayOf(from), dayOf(to)
	if last < first {
		return []meter.Day{}, nil
	}
	n := last - first + 1
	if n > maxDays {
		return nil, fmt.Errorf("localstate: days: %d days asked, at most %d", n, maxDays)
	}
	if s.closed.Load() {
		return nil, fmt.Errorf("localstate: days: %w", ErrClosed)
	}
	out := make([]meter.Day, n)
	sh := &s.shards[s.shardOf(quotaKey)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st := sh.quotas[quotaKey]
	for i := range out {
		dn := first + int64(i)
		out[i] = meter.Day{Date: time.Unix(dn*86400, 0).UTC().Format(meter.DateLayout), Remaining: -1}
		if st == nil {
			continue
		}
		if d := st.days[dn]; d != nil {
			out[i].Used, out[i].Remaining = d.used, d.remaining
		}
	}
	return out, nil
}

// Used returns the requests counted in q's period (0 when none were).
func (s *State) Used(ctx context.Context, q meter.Quota) (int64, error) {
	if s.closed.Load() {
		return 0, fmt.Errorf("localstate: used: %w", ErrClosed)
	}
	sh := &s.shards[s.shardOf(q.Key)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if st := sh.quotas[q.Key]; st != nil {
		if p := st.period(q.Start.Unix()); p != nil {
			return p.count, nil
		}
	}
	return 0, nil
}

// SetRemaining makes q's period count q.Limit-remaining and records remaining on now's UTC
// day (keeping the day's used). With a store, the new count is written before it applies,
// so a crash right after keeps it. A remaining above the limit makes the count negative:
// the period then admits more than its limit, as asked.
func (s *State) SetRemaining(ctx context.Context, q meter.Quota, now time.Time, remaining int64) error {
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("localstate: set remaining: %w", err)
	}
	defer s.release()
	if s.closed.Load() {
		return fmt.Errorf("localstate: set remaining: %w", ErrClosed)
	}
	count := q.Limit - remaining
	start, dn := q.Start.Unix(), dayOf(now)
	sh := &s.shards[s.shardOf(q.Key)]
	if s.st != nil {
		sh.mu.Lock()
		used := int64(0)
		if st := sh.quotas[q.Key]; st != nil {
			if d := st.days[dn]; d != nil {
				used = d.used
			}
		}
		sh.mu.Unlock()
		ops, err := s.encode(nil, q.Key, start, periodRecord{Count: count, Lease: count, End: q.End.Unix()},
			dn, dayRecord{Used: used, Remaining: remaining})
		if err != nil {
			return fmt.Errorf("localstate: set remaining: %w", err)
		}
		if _, err := s.st.Txn(ctx, ops...); err != nil {
			return fmt.Errorf("localstate: set remaining: %w", err)
		}
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.now = max(sh.now, now.UnixNano())
	st := sh.quotas[q.Key]
	if st == nil {
		st = sh.newQuota(q.Key)
	}
	p := st.period(start)
	if p == nil {
		p = st.newPeriod(start, q.End.Unix(), s.st == nil)
	}
	p.count = count
	if s.st != nil {
		p.reserved = count // what the store now holds: more needs a lease
	}
	d := st.day(dn)
	d.remaining = remaining
	if s.st != nil {
		// Flushed again: the store's day record may miss requests counted during the write.
		sh.markPeriod(p)
		sh.markDay(d)
	}
	return nil
}
