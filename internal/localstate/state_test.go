package localstate

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/gatehouse/gatehouse/internal/meter/metertest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/bolt"
	"github.com/gatehouse/gatehouse/internal/store/memory"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

var _ metertest.State = (*State)(nil)

const prefix = "acct/region/quotacounts/"

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func dayQuota(key string, limit int64, now time.Time) *meter.Quota {
	start, end, _ := meter.Window("DAY", 0, now)
	return &meter.Quota{Key: key, Limit: limit, Start: start, End: end}
}

// open opens a State on st with fixed lease blocks of leaseBlock (MaxLease = leaseBlock),
// so that the crash and lease tests count in blocks whatever the machine's speed;
// TestLeaseBlocksGrow tests the default.
func open(t *testing.T, st store.Store) *State {
	t.Helper()
	s, err := Open(context.Background(), Options{Store: st, Prefix: prefix, MaxLease: leaseBlock})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func openBolt(t *testing.T, path string) *bolt.Store {
	t.Helper()
	st, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("bolt.Open(%s): %v", path, err)
	}
	return st
}

// backends are the stores the contract runs on: none (memory only), store/memory and an
// embedded bolt file.
var backends = []struct {
	name string
	new  func(t *testing.T) store.Store
}{
	{"no store", func(t *testing.T) store.Store { return nil }},
	{"memory store", func(t *testing.T) store.Store { return memory.New() }},
	{"bolt store", func(t *testing.T) store.Store {
		st := openBolt(t, filepath.Join(t.TempDir(), "state.db"))
		t.Cleanup(func() { st.Close() })
		return st
	}},
}

func newState(t *testing.T, st store.Store) metertest.State {
	s := open(t, st)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			metertest.Run(t, func(t *testing.T) metertest.State { return newState(t, b.new(t)) })
		})
	}
}

func TestContractConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			metertest.RunConcurrent(t, func(t *testing.T) metertest.State { return newState(t, b.new(t)) })
		})
	}
}

// TestContractSharedState runs the contract on one State shared by every subtest, as
// Redis runs it: the subtests' keys must not meet.
func TestContractSharedState(t *testing.T) {
	t.Parallel()
	s := newState(t, memory.New())
	metertest.Run(t, func(*testing.T) metertest.State { return s })
	metertest.RunConcurrent(t, func(*testing.T) metertest.State { return s })
}

func mustAdmit(t *testing.T, s *State, now time.Time, c *meter.Check) meter.Outcome {
	t.Helper()
	o, err := s.Admit(context.Background(), now, c)
	if err != nil {
		t.Fatalf("Admit: %v", err)
	}
	return o
}

// admitAll admits c at now until it is refused (at most max times) and returns how many
// were admitted.
func admitAll(t *testing.T, s *State, now time.Time, c *meter.Check, max int) int {
	t.Helper()
	for n := range max {
		if mustAdmit(t, s, now, c) != meter.Admitted {
			return n
		}
	}
	return max
}

func mustUsed(t *testing.T, s *State, q *meter.Quota) int64 {
	t.Helper()
	n, err := s.Used(context.Background(), *q)
	if err != nil {
		t.Fatalf("Used: %v", err)
	}
	return n
}

func mustDays(t *testing.T, s *State, key string, from, to time.Time) []meter.Day {
	t.Helper()
	d, err := s.Days(context.Background(), key, from, to)
	if err != nil {
		t.Fatalf("Days: %v", err)
	}
	return d
}

func sameDays(a, b []meter.Day) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGracefulRestart: Close then Open on the same store keeps the exact counts and days,
// for a count inside the first lease block, at one, and past several.
func TestGracefulRestart(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		first, second int // requests counted on t0's day and the next (one WEEK period)
		remaining     int64
		setRemaining  bool
	}{
		{"a few requests", 3, 2, 0, false},
		{"exactly a lease block", leaseBlock, 0, 0, false},
		{"past several blocks", 3*leaseBlock + 7, leaseBlock + 1, 0, false},
		{"after SetRemaining", 10, 5, 500, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "state.db")
			st := openBolt(t, path)
			s := open(t, st)
			start, end, _ := meter.Window("WEEK", 0, t0)
			q := &meter.Quota{Key: "plan/key", Limit: 2000, Start: start, End: end}
			c := &meter.Check{Quota: q}
			next := t0.Add(24 * time.Hour)
			for range tt.first {
				mustAdmit(t, s, t0, c)
			}
			if tt.setRemaining {
				if err := s.SetRemaining(context.Background(), *q, t0, tt.remaining); err != nil {
					t.Fatalf("SetRemaining: %v", err)
				}
			}
			for range tt.second {
				mustAdmit(t, s, next, c)
			}
			used := mustUsed(t, s, q)
			days := mustDays(t, s, q.Key, t0, next)
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if _, err := s.Admit(context.Background(), next, c); !errors.Is(err, ErrClosed) {
				t.Errorf("Admit after Close: err = %v; want ErrClosed", err)
			}
			if err := st.Close(); err != nil {
				t.Fatalf("closing the store: %v", err)
			}

			st = openBolt(t, path)
			defer st.Close()
			s = open(t, st)
			defer s.Close()
			if got := mustUsed(t, s, q); got != used {
				t.Errorf("Used after a graceful restart = %d; want %d", got, used)
			}
			if got := mustDays(t, s, q.Key, t0, next); !sameDays(got, days) {
				t.Errorf("Days after a graceful restart = %+v; want %+v", got, days)
			}
			if got, want := admitAll(t, s, next, c, 5000), int(q.Limit-used); got != want {
				t.Errorf("admitted %d after a graceful restart; want exactly the %d left", got, want)
			}
		})
	}
}

// TestCrashNeverOverAdmits drops a State without Close (its store closed under it, as a
// crash leaves the file) and reopens the file: the period never admits more than its limit
// in all, and loses at most one lease block.
func TestCrashNeverOverAdmits(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		limit   int64
		before  int  // admitted before the crash
		flushed bool // a flush ran before the crash
	}{
		{"nothing counted", 1000, 0, false},
		{"one request", 1000, 1, false},
		{"one short of a block", 1000, leaseBlock - 1, false},
		{"a block", 1000, leaseBlock, false},
		{"a block and one", 1000, leaseBlock + 1, false},
		{"several blocks, flushed", 1000, 3*leaseBlock + 10, true},
		{"several blocks, not flushed", 1000, 3*leaseBlock + 10, false},
		{"the last block is short", 300, 290, false},
		{"the limit reached", 300, 300, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "state.db")
			st := openBolt(t, path)
			s := open(t, st)
			q := dayQuota("plan/key", tt.limit, t0)
			c := &meter.Check{Quota: q}
			if got := admitAll(t, s, t0, c, tt.before); got != tt.before {
				t.Fatalf("admitted %d before the crash; want %d", got, tt.before)
			}
			if tt.flushed {
				if err := s.flush(context.Background(), false); err != nil {
					t.Fatalf("flush: %v", err)
				}
			}
			st.Close() // the crash: s is never closed

			st = openBolt(t, path)
			defer st.Close()
			s2 := open(t, st)
			defer s2.Close()
			after := admitAll(t, s2, t0, c, int(tt.limit)+1)
			total := tt.before + after
			if total > int(tt.limit) {
				t.Errorf("admitted %d before the crash and %d after: %d > limit %d", tt.before, after, total, tt.limit)
			}
			if lost := int(tt.limit) - total; lost > leaseBlock {
				t.Errorf("the crash lost %d requests of the period; want at most a lease block (%d)", lost, leaseBlock)
			}
			if got := mustUsed(t, s2, q); got != tt.limit {
				t.Errorf("Used after the period is used up = %d; want %d", got, tt.limit)
			}
		})
	}
}

// TestCrashUnderConcurrency: many goroutines admit under a quota, the state "crashes" with
// leases outstanding, and the reopened state admits no more than the limit allows.
func TestCrashUnderConcurrency(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	st := openBolt(t, path)
	s := open(t, st)
	const limit = 5000
	q := dayQuota("plan/key", limit, t0)
	c := &meter.Check{Quota: q}
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 60 {
				o, err := s.Admit(context.Background(), t0, c)
				if err != nil {
					t.Errorf("Admit: %v", err)
					return
				}
				if o == meter.Admitted {
					admitted.Add(1)
				}
			}
		}()
	}
	testwait.Group(t, &wg, testwait.Patient, "the admitting goroutines")
	st.Close()

	st = openBolt(t, path)
	defer st.Close()
	s2 := open(t, st)
	defer s2.Close()
	before := int(admitted.Load())
	after := admitAll(t, s2, t0, c, limit+1)
	if before+after > limit {
		t.Errorf("admitted %d before the crash and %d after: more than the limit %d", before, after, limit)
	}
	if lost := limit - before - after; lost > leaseBlock {
		t.Errorf("the crash lost %d requests; want at most %d", lost, leaseBlock)
	}
}

// TestRunFlushes: Run writes the counts every FlushInterval, and once more when its
// context ends, then returns nil.
func TestRunFlushes(t *testing.T) {
	t.Parallel()
	st := memory.New()
	s, err := Open(context.Background(), Options{Store: st, Prefix: prefix, FlushInterval: 5 * time.Millisecond, MaxLease: leaseBlock})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	q := dayQuota("plan/key", 100, t0)
	c := &meter.Check{Quota: q}
	dayKey := prefix + "d:2026-12-02:plan/key"
	stored := func() dayRecord {
		var r dayRecord
		if _, err := store.GetJSON(context.Background(), st, dayKey, &r); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("reading %s: %v", dayKey, err)
		}
		return r
	}
	for range 3 {
		mustAdmit(t, s, t0, c)
	}
	testwait.Until(t, testwait.Patient, "the day record written by a flush with used 3", func() bool { return stored().Used == 3 })

	// What is admitted just before the end is in the final flush.
	mustAdmit(t, s, t0, c)
	cancel()
	if err := testwait.Recv(t, done, testwait.Patient, "Run's return after its context ended"); err != nil {
		t.Errorf("Run = %v; want nil", err)
	}
	if got := stored(); got != (dayRecord{Used: 4, Remaining: 96}) {
		t.Errorf("day record after Run returned = %+v; want used 4 remaining 96", got)
	}
	var p periodRecord
	if _, err := store.GetJSON(context.Background(), st, prefix+"p:2026-12-02T00:00:00Z:plan/key", &p); err != nil {
		t.Fatalf("reading the period record: %v", err)
	}
	if p.Count != 4 || p.Lease < 4 {
		t.Errorf("period record after Run = %+v; want count 4 and a lease of at least 4", p)
	}
	// Close then writes the exact count as the lease.
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := store.GetJSON(context.Background(), st, prefix+"p:2026-12-02T00:00:00Z:plan/key", &p); err != nil {
		t.Fatalf("reading the period record: %v", err)
	}
	if p != (periodRecord{Count: 4, Lease: 4, End: q.End.Unix()}) {
		t.Errorf("period record after Close = %+v; want count 4, lease 4", p)
	}
}

// failingStore is a store whose Txn fails while fail is set.
type failingStore struct {
	store.Store
	fail atomic.Bool
	txns atomic.Int64
}

func (f *failingStore) Txn(ctx context.Context, ops ...store.Op) (int64, error) {
	f.txns.Add(1)
	if f.fail.Load() {
		return 0, errors.New("disk on fire")
	}
	return f.Store.Txn(ctx, ops...)
}

// TestLeaseFailure: when a lease cannot be written, Admit fails and counts nothing, takes
// no token; once the store works again, it admits.
func TestLeaseFailure(t *testing.T) {
	t.Parallel()
	st := &failingStore{Store: memory.New()}
	s := open(t, st)
	defer s.Close()
	a := meter.Bucket{Key: "a", Rate: 0, Burst: 1}
	q := dayQuota("plan/key", 10, t0)
	c := &meter.Check{Buckets: []meter.Bucket{a}, Quota: q}
	st.fail.Store(true)
	if _, err := s.Admit(context.Background(), t0, c); err == nil {
		t.Fatal("Admit with the store failing: err = nil; want the lease's error")
	}
	if got := mustUsed(t, s, q); got != 0 {
		t.Errorf("Used after a failed lease = %d; want 0", got)
	}
	st.fail.Store(false)
	if got := mustAdmit(t, s, t0, c); got != meter.Admitted {
		t.Errorf("Admit once the store works = %v; want Admitted (the failure took no token)", got)
	}
	// A flush that fails keeps what it held for the next one.
	st.fail.Store(true)
	if err := s.flush(context.Background(), false); err == nil {
		t.Error("flush with the store failing: err = nil")
	}
	st.fail.Store(false)
	if err := s.flush(context.Background(), false); err != nil {
		t.Fatalf("flush: %v", err)
	}
	var r dayRecord
	if _, err := store.GetJSON(context.Background(), st, prefix+"d:2026-12-02:plan/key", &r); err != nil || r.Used != 1 {
		t.Errorf("day record after the retried flush = %+v, %v; want used 1", r, err)
	}
	// SetRemaining that cannot be written changes nothing.
	st.fail.Store(true)
	if err := s.SetRemaining(context.Background(), *q, t0, 0); err == nil {
		t.Error("SetRemaining with the store failing: err = nil")
	}
	if got := mustUsed(t, s, q); got != 1 {
		t.Errorf("Used after a failed SetRemaining = %d; want 1", got)
	}
	st.fail.Store(false)
}

// TestLeasesAreBlocks: a period's store writes are one per lease block, not one per
// request.
func TestLeasesAreBlocks(t *testing.T) {
	t.Parallel()
	st := &failingStore{Store: memory.New()}
	s := open(t, st)
	defer s.Close()
	q := dayQuota("plan/key", 10*leaseBlock, t0)
	for range 3 * leaseBlock {
		mustAdmit(t, s, t0, &meter.Check{Quota: q})
	}
	// Each lease reserves at most a block, and at least a block less the low-water mark
	// at which the next is written ahead of need.
	renewAt := (&period{}).renewAt() // of a first block
	lo, hi := int64(3), int64(3*leaseBlock/(leaseBlock-renewAt)+1)
	if got := st.txns.Load(); got < lo || got > hi {
		t.Errorf("%d requests wrote %d transactions; want %d to %d leases", 3*leaseBlock, got, lo, hi)
	}
}

// TestSweep: a flush drops ended periods (a day after their end) and day records older
// than 90 days, from memory and from the store, and buckets full again.
func TestSweep(t *testing.T) {
	t.Parallel()
	st := memory.New()
	s := open(t, st)
	defer s.Close()
	ctx := context.Background()
	old := dayQuota("plan/old", 10, t0)
	mustAdmit(t, s, t0, &meter.Check{Quota: old, Buckets: []meter.Bucket{{Key: "b", Rate: 1, Burst: 5}}})
	if err := s.flush(ctx, false); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if kvs, _, _ := st.List(ctx, prefix); len(kvs) != 2 {
		t.Fatalf("store after the first flush holds %d records; want 2 (a period and a day)", len(kvs))
	}
	// Two days later, the period ended more than a day ago; the day is kept.
	later := t0.Add(48 * time.Hour)
	cur := dayQuota("plan/cur", 10, later)
	mustAdmit(t, s, later, &meter.Check{Quota: cur})
	if err := s.flush(ctx, false); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if got := mustUsed(t, s, old); got != 0 {
		t.Errorf("Used of a period swept = %d; want 0", got)
	}
	if _, err := st.Get(ctx, prefix+"p:2026-12-02T00:00:00Z:plan/old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the swept period's record: err = %v; want ErrNotFound", err)
	}
	if d := mustDays(t, s, "plan/old", t0, t0); d[0].Used != 1 {
		t.Errorf("Days of t0 two days later = %+v; want used 1 (kept 90 days)", d)
	}
	if n := len(s.shards[s.shardOf("b")].buckets); n != 0 {
		t.Errorf("a bucket full again is kept after a sweep (%d in its shard)", n)
	}
	// 91 days later the day record goes.
	far := t0.Add(91 * 24 * time.Hour)
	mustAdmit(t, s, far, &meter.Check{Quota: dayQuota("plan/cur", 10, far)})
	if err := s.flush(ctx, false); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if d := mustDays(t, s, "plan/old", t0, t0); d[0] != (meter.Day{Date: "2026-12-02", Remaining: -1}) {
		t.Errorf("Days of t0 91 days later = %+v; want no record", d)
	}
	if _, err := st.Get(ctx, prefix+"d:2026-12-02:plan/old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the swept day's record: err = %v; want ErrNotFound", err)
	}
}

// TestOpenRefusesCorruptRecords: a record Open cannot read fails Open, naming it (a count
// skipped could over-admit).
func TestOpenRefusesCorruptRecords(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, key, value string }{
		{"bad JSON", prefix + "p:2026-12-02T00:00:00Z:plan/key", "{"},
		{"bad period start", prefix + "p:2026-13-02T00:00:00Z:plan/key", `{"count":1}`},
		{"short period key", prefix + "p:2026", `{"count":1}`},
		{"bad day", prefix + "d:2026-12-32:plan/key", `{"used":1}`},
		{"unknown kind", prefix + "x:whatever", `{}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := memory.New()
			if _, err := st.Txn(context.Background(), store.Op{Key: tt.key, Value: []byte(tt.value)}); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(context.Background(), Options{Store: st, Prefix: prefix}); err == nil {
				t.Errorf("Open with %s = nil error; want one", tt.key)
			}
		})
	}
}

// TestOpenReadsLease: a stored lease above the count (a crash) counts as used; keys of
// other prefixes are not read.
func TestOpenReadsLease(t *testing.T) {
	t.Parallel()
	st := memory.New()
	rec, _ := json.Marshal(periodRecord{Count: 10, Lease: 266, End: t0.Add(14 * time.Hour).Unix()})
	if _, err := st.Txn(context.Background(),
		store.Op{Key: prefix + "p:2026-12-02T00:00:00Z:plan/key:with:colons", Value: rec},
		store.Op{Key: "acct/region/usageplans/x", Value: []byte("not ours")},
	); err != nil {
		t.Fatal(err)
	}
	s := open(t, st)
	defer s.Close()
	q := dayQuota("plan/key:with:colons", 300, t0)
	if got := mustUsed(t, s, q); got != 266 {
		t.Errorf("Used of a period stored with count 10 lease 266 = %d; want 266", got)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	s := open(t, nil)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
	ctx := context.Background()
	q := dayQuota("k", 1, t0)
	if _, err := s.Admit(ctx, t0, &meter.Check{Buckets: []meter.Bucket{{Key: "a", Burst: 1}}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Admit after Close: %v; want ErrClosed", err)
	}
	if _, err := s.Used(ctx, *q); !errors.Is(err, ErrClosed) {
		t.Errorf("Used after Close: %v; want ErrClosed", err)
	}
	if _, err := s.Days(ctx, "k", t0, t0); !errors.Is(err, ErrClosed) {
		t.Errorf("Days after Close: %v; want ErrClosed", err)
	}
	if err := s.SetRemaining(ctx, *q, t0, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("SetRemaining after Close: %v; want ErrClosed", err)
	}
}

func TestDaysBound(t *testing.T) {
	t.Parallel()
	s := open(t, nil)
	defer s.Close()
	if _, err := s.Days(context.Background(), "k", t0, t0.AddDate(11, 0, 0)); err == nil {
		t.Error("Days over eleven years: err = nil; want the bound's error")
	}
}

// TestManyBuckets: a check with more buckets than the inline lock set still works.
func TestManyBuckets(t *testing.T) {
	t.Parallel()
	s := open(t, nil)
	defer s.Close()
	var bs []meter.Bucket
	for i := range 3 * maxInline {
		bs = append(bs, meter.Bucket{Key: string(rune('A' + i)), Rate: 0, Burst: 2})
	}
	c := &meter.Check{Buckets: bs, Quota: dayQuota("q", 10, t0)}
	if got := admitAll(t, s, t0, c, 5); got != 2 {
		t.Errorf("admitted %d checks of %d buckets of burst 2; want 2", got, len(bs))
	}
}

func TestLockOrder(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want []uint8 }{
		{[]uint8{3}, []uint8{3}},
		{[]uint8{5, 1, 5, 3, 1}, []uint8{1, 3, 5}},
		{[]uint8{63, 0, 0}, []uint8{0, 63}},
	} {
		got := lockOrder(append([]uint8(nil), tt.in...))
		if string(got) != string(tt.want) {
			t.Errorf("lockOrder(%v) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

// TestRenewAheadOfNeed: once a lease runs low, the next one is written without a request
// waiting for it, so requests under the lease go on while the store is down.
func TestRenewAheadOfNeed(t *testing.T) {
	t.Parallel()
	st := &failingStore{Store: memory.New()}
	s := open(t, st)
	defer s.Close()
	q := dayQuota("plan/key", 100000, t0)
	c := &meter.Check{Quota: q}
	first := int(leaseBlock - (&period{}).renewAt()) // the requests a first block takes before its renewal
	if got := admitAll(t, s, t0, c, first); got != first {
		t.Fatalf("admitted %d; want %d", got, first)
	}
	p := s.shards[s.shardOf(q.Key)].quotas[q.Key].periods[0]
	reserved := func() int64 {
		sh := &s.shards[s.shardOf(q.Key)]
		sh.mu.Lock()
		defer sh.mu.Unlock()
		return p.reserved
	}
	testwait.Until(t, testwait.Patient, "a lease renewed ahead of need", func() bool { return reserved() > leaseBlock })
	st.fail.Store(true)
	defer st.fail.Store(false)
	room := int(reserved()) - first
	if room < leaseBlock {
		t.Errorf("room after the renewal = %d; want at least %d", room, leaseBlock)
	}
	// The renewer's next attempt fails (the store is down), but the room leased is used.
	if got := admitAll(t, s, t0, c, room); got != room {
		t.Errorf("admitted %d of the %d leased while the store is down", got, room)
	}
	if _, err := s.Admit(context.Background(), t0, c); err == nil {
		t.Error("Admit past the lease with the store down: err = nil; want the lease's error")
	}
}

// FuzzRefill holds the hot path's refill on Unix nanoseconds to meter.Tokens.Refill.
func FuzzRefill(f *testing.F) {
	f.Add(2.5, int64(0), 1.5, int64(5), int64(1500_000_000))
	f.Add(0.0, int64(-3), 0.0, int64(0), int64(-1))
	f.Add(1e9, int64(1<<40), 4.0, int64(1), int64(62_500_000))
	f.Fuzz(func(t *testing.T, level float64, atOffset int64, rate float64, burst int64, d int64) {
		const span = int64(100 * 365 * 24 * time.Hour) // stay where UnixNano is defined
		at := t0.UnixNano() + atOffset%span
		now := at + d%span
		if at == 0 {
			t.Skip("at 0 (1970-01-01T00:00:00Z exactly) is the never-taken sentinel")
		}
		mb := meter.Bucket{Key: "k", Rate: rate, Burst: burst}
		e := &bucket{level: level, at: at}
		gotLevel, gotAt := e.refill(&mb, now)
		want := meter.Tokens{Level: level, At: time.Unix(0, at)}.Refill(mb, time.Unix(0, now))
		same := gotLevel == want.Level || (gotLevel != gotLevel && want.Level != want.Level) // NaN
		if !same || gotAt != want.At.UnixNano() {
			t.Errorf("refill(%v at %d, rate %v burst %d, now %d) = %v at %d; meter says %v at %d",
				level, at, rate, burst, now, gotLevel, gotAt, want.Level, want.At.UnixNano())
		}
		// A bucket never taken from is full, as meter's zero Tokens.
		if got, _ := (&bucket{}).refill(&mb, now); got != float64(burst) {
			t.Errorf("a new bucket's level = %v; want the burst %d", got, burst)
		}
	})
}

// TestSweepWithoutStore: a state with no store sweeps its memory too.
func TestSweepWithoutStore(t *testing.T) {
	t.Parallel()
	s := open(t, nil)
	defer s.Close()
	old := dayQuota("plan/old", 10, t0)
	mustAdmit(t, s, t0, &meter.Check{Quota: old, Buckets: []meter.Bucket{{Key: "b", Rate: 1, Burst: 5}}})
	far := t0.Add(91 * 24 * time.Hour)
	mustAdmit(t, s, far, &meter.Check{Quota: dayQuota("plan/cur", 10, far)})
	if err := s.flush(context.Background(), false); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if got := mustUsed(t, s, old); got != 0 {
		t.Errorf("Used of a period swept = %d; want 0", got)
	}
	if d := mustDays(t, s, "plan/old", t0, t0); d[0].Remaining != -1 {
		t.Errorf("Days of a day swept = %+v; want no record", d)
	}
	sh := &s.shards[s.shardOf("plan/old")]
	if _, ok := sh.quotas["plan/old"]; ok {
		t.Error("a quota with nothing left is kept after the sweep")
	}
	if n := len(s.shards[s.shardOf("b")].buckets); n != 0 {
		t.Errorf("a bucket full again is kept after a sweep (%d in its shard)", n)
	}
}

// TestLeaseBlocksGrow: with the default MaxLease, a key whose leases last under leaseTarget
// gets doubling blocks, so that many requests write few leases; a crash still never
// over-admits and loses at most MaxLease.
func TestLeaseBlocksGrow(t *testing.T) {
	t.Parallel()
	st := &failingStore{Store: memory.New()}
	s, err := Open(context.Background(), Options{Store: st, Prefix: prefix})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	const n, limit = 40000, 1_000_000
	q := dayQuota("plan/key", limit, t0)
	for range n {
		mustAdmit(t, s, t0, &meter.Check{Quota: q})
	}
	// Fixed blocks of 256 would take n/(256-64) ≈ 208 leases; doubling ones take about
	// log2(n/256) ≈ 8, more on a machine too slow to use a block within a second.
	if got := st.txns.Load(); got > 40 {
		t.Errorf("%d requests wrote %d transactions; want the blocks to grow (at most 40)", n, got)
	}
	// A crash: the state is dropped without Close (closed only when the test ends), the
	// store reopened.
	defer s.Close()
	s2, err := Open(context.Background(), Options{Store: st.Store, Prefix: prefix})
	if err != nil {
		t.Fatalf("Open after the crash: %v", err)
	}
	defer s2.Close()
	used, err := s2.Used(context.Background(), *q)
	if err != nil {
		t.Fatal(err)
	}
	if used < n || used > n+DefaultMaxLease {
		t.Errorf("after a crash, Used = %d; want %d counted plus at most one lease (%d)", used, n, DefaultMaxLease)
	}
}

func TestNextBlock(t *testing.T) {
	t.Parallel()
	at := time.Now()
	tests := []struct {
		block   int64
		leased  time.Time
		now     time.Time
		want    int64
		comment string
	}{
		{0, time.Time{}, at, leaseBlock, "a period's first lease"},
		{leaseBlock, at, at.Add(100 * time.Millisecond), 2 * leaseBlock, "used up in under a second: doubles"},
		{DefaultMaxLease, at, at.Add(time.Millisecond), DefaultMaxLease, "never above MaxLease"},
		{4 * leaseBlock, at, at.Add(2 * time.Second), 4 * leaseBlock, "lasted one to four seconds: kept"},
		{4 * leaseBlock, at, at.Add(5 * time.Second), 2 * leaseBlock, "lasted over four seconds: halves"},
		{leaseBlock, at, at.Add(time.Hour), leaseBlock, "never below leaseBlock"},
	}
	for _, tt := range tests {
		p := &period{block: tt.block, leasedAt: tt.leased}
		if got := p.nextBlock(tt.now, DefaultMaxLease); got != tt.want {
			t.Errorf("%s: nextBlock(block %d, %v after the lease) = %d; want %d", tt.comment, tt.block, tt.now.Sub(tt.leased), got, tt.want)
		}
	}
}
