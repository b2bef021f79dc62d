// Package metertest is the contract suite every metering state runs (internal/localstate in
// process, internal/redisstate in Redis): it holds an implementation to the semantics of
// meter's package comment, with an injected clock (no test sleeps to let time pass).
//
// Every subtest uses keys of its own (they start with the subtest's name), so a backend
// shared by all subtests (one Redis) runs them in parallel without interference.
package metertest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
)

// State is what the suite exercises: the data plane's Admit and the management plane's
// usage calls.
type State interface {
	Admit(ctx context.Context, now time.Time, c *meter.Check) (meter.Outcome, error)
	Days(ctx context.Context, quotaKey string, from, to time.Time) ([]meter.Day, error)
	Used(ctx context.Context, q meter.Quota) (int64, error)
	SetRemaining(ctx context.Context, q meter.Quota, now time.Time, remaining int64) error
}

// t0 is the suite's epoch: a Wednesday.
var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

const (
	admitted  = meter.Admitted
	throttled = meter.Throttled
	exceeded  = meter.QuotaExceeded
)

// step is one Admit of a scenario: at t0+at, the check, and the outcome wanted.
type step struct {
	at    time.Duration
	check meter.Check
	want  meter.Outcome
}

// keys names the keys of one subtest: k("a") is unique to the subtest.
func keys(t *testing.T) func(string) string {
	return func(s string) string { return "metertest/" + t.Name() + "/" + s }
}

func quota(key, period string, offset int, limit int64, now time.Time) *meter.Quota {
	start, end, ok := meter.Window(period, offset, now)
	if !ok {
		panic(fmt.Sprintf("metertest: meter.Window(%q, %d) refused", period, offset))
	}
	return &meter.Quota{Key: key, Limit: limit, Start: start, End: end}
}

func admit(t *testing.T, s State, now time.Time, c *meter.Check) meter.Outcome {
	t.Helper()
	o, err := s.Admit(context.Background(), now, c)
	if err != nil {
		t.Fatalf("Admit(%v, %+v): %v", now, c, err)
	}
	return o
}

func used(t *testing.T, s State, q *meter.Quota) int64 {
	t.Helper()
	n, err := s.Used(context.Background(), *q)
	if err != nil {
		t.Fatalf("Used(%+v): %v", *q, err)
	}
	return n
}

func days(t *testing.T, s State, key string, from, to time.Time) []meter.Day {
	t.Helper()
	d, err := s.Days(context.Background(), key, from, to)
	if err != nil {
		t.Fatalf("Days(%q, %v, %v): %v", key, from, to, err)
	}
	return d
}

func runSteps(t *testing.T, s State, steps []step) {
	t.Helper()
	for i, st := range steps {
		if got := admit(t, s, t0.Add(st.at), &st.check); got != st.want {
			t.Fatalf("step %d: Admit(t0+%v, %+v) = %v; want %v", i, st.at, st.check, got, st.want)
		}
	}
}

// countAdmitted admits c n times at now and returns how many were admitted.
func countAdmitted(t *testing.T, s State, now time.Time, c *meter.Check, n int) int {
	t.Helper()
	got := 0
	for range n {
		if admit(t, s, now, c) == admitted {
			got++
		}
	}
	return got
}

func buckets(bs ...meter.Bucket) meter.Check { return meter.Check{Buckets: bs} }

// Run runs the sequential contract subtests, in parallel with each other. newState is
// called once per subtest; it may return one State shared by all of them.
func Run(t *testing.T, newState func(t *testing.T) State) {
	t.Run("an empty check is admitted", func(t *testing.T) {
		t.Parallel()
		s := newState(t)
		for _, c := range []*meter.Check{nil, {}} {
			if got := admit(t, s, t0, c); got != admitted {
				t.Errorf("Admit(%+v) = %v; want Admitted", c, got)
			}
		}
	})

	t.Run("buckets", func(t *testing.T) {
		t.Parallel()
		type scenario struct {
			name  string
			steps func(k func(string) string) []step
		}
		for _, sc := range []scenario{
			{"a new bucket starts full and empties", func(k func(string) string) []step {
				a := meter.Bucket{Key: k("a"), Rate: 1, Burst: 2}
				return []step{{0, buckets(a), admitted}, {0, buckets(a), admitted}, {0, buckets(a), throttled}}
			}},
			{"refill: one token per 1/rate seconds, not before", func(k func(string) string) []step {
				a := meter.Bucket{Key: k("a"), Rate: 2, Burst: 4}
				ms := time.Millisecond
				return []step{
					{0, buckets(a), admitted}, {0, buckets(a), admitted}, {0, buckets(a), admitted}, {0, buckets(a), admitted},
					{0, buckets(a), throttled},
					{499 * ms, buckets(a), throttled},
					{500 * ms, buckets(a), admitted},
					{500 * ms, buckets(a), throttled},
					{1500 * ms, buckets(a), admitted},
					{1500 * ms, buckets(a), admitted},
					{1500 * ms, buckets(a), throttled},
				}
			}},
			{"burst after idle: the level is capped at the burst", func(k func(string) string) []step {
				a := meter.Bucket{Key: k("a"), Rate: 1, Burst: 3}
				st := []step{}
				for _, at := range []time.Duration{0, time.Hour} {
					st = append(st, step{at, buckets(a), admitted}, step{at, buckets(a), admitted}, step{at, buckets(a), admitted}, step{at, buckets(a), throttled})
				}
				return st
			}},
			{"burst 0 blocks, whatever the rate", func(k func(string) string) []step {
				a := meter.Bucket{Key: k("a"), Rate: 1000, Burst: 0}
				return []step{{0, buckets(a), throttled}, {time.Hour, buckets(a), throttled}}
			}},
			{"rate 0 admits the burst once and never refills", func(k func(string) string) []step {
				a := meter.Bucket{Key: k("a"), Rate: 0, Burst: 2}
				return []step{{0, buckets(a), admitted}, {time.Second, buckets(a), admitted}, {time.Second, buckets(a), throttled}, {1000 * time.Hour, buckets(a), throttled}}
			}},
			{"a lowered burst caps a fuller bucket", func(k func(string) string) []step {
				a := meter.Bucket{Key: k("a"), Rate: 1, Burst: 5}
				low := meter.Bucket{Key: k("a"), Rate: 1, Burst: 1}
				return []step{{0, buckets(a), admitted}, {0, buckets(low), admitted}, {0, buckets(low), throttled}, {0, buckets(a), throttled}}
			}},
			{"a clock that goes back refills nothing", func(k func(string) string) []step {
				a := meter.Bucket{Key: k("a"), Rate: 1, Burst: 1}
				return []step{{10 * time.Second, buckets(a), admitted}, {5 * time.Second, buckets(a), throttled}, {10500 * time.Millisecond, buckets(a), throttled}, {11 * time.Second, buckets(a), admitted}}
			}},
		} {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				runSteps(t, newState(t), sc.steps(keys(t)))
			})
		}
	})

	t.Run("steady rate", func(t *testing.T) {
		t.Parallel()
		s := newState(t)
		k := keys(t)
		// Rate 4 polled every 62.5 ms gains exactly 0.25 tokens a poll (binary fractions:
		// no rounding), so 10 s admit the initial burst of 1 and 40 more, exactly.
		a := meter.Bucket{Key: k("a"), Rate: 4, Burst: 1}
		got := 0
		for i := range 161 {
			if admit(t, s, t0.Add(time.Duration(i)*62500*time.Microsecond), &meter.Check{Buckets: []meter.Bucket{a}}) == admitted {
				got++
			}
		}
		if got != 41 {
			t.Errorf("rate 4 burst 1 polled every 62.5 ms for 10 s admitted %d; want 41", got)
		}
		// One request every 1/rate seconds is always admitted.
		b := meter.Bucket{Key: k("b"), Rate: 4, Burst: 1}
		for i := range 40 {
			now := t0.Add(time.Duration(i) * 250 * time.Millisecond)
			if got := admit(t, s, now, &meter.Check{Buckets: []meter.Bucket{b}}); got != admitted {
				t.Fatalf("request %d at 1/rate intervals = %v; want Admitted", i, got)
			}
			if got := admit(t, s, now, &meter.Check{Buckets: []meter.Bucket{b}}); got != throttled {
				t.Fatalf("a second request at t0+%v = %v; want Throttled", now.Sub(t0), got)
			}
		}
	})

	t.Run("all or nothing: a throttled check takes nothing", func(t *testing.T) {
		t.Parallel()
		s := newState(t)
		k := keys(t)
		a := meter.Bucket{Key: k("a"), Rate: 0, Burst: 3}
		b := meter.Bucket{Key: k("b"), Rate: 0, Burst: 1}
		q := quota(k("q"), "DAY", 0, 10, t0)
		both := &meter.Check{Buckets: []meter.Bucket{a, b}, Quota: q}
		if got := admit(t, s, t0, both); got != admitted {
			t.Fatalf("first check = %v; want Admitted", got)
		}
		for i := range 3 {
			if got := admit(t, s, t0, both); got != throttled {
				t.Fatalf("check %d with b empty = %v; want Throttled", i+2, got)
			}
		}
		if got := used(t, s, q); got != 1 {
			t.Errorf("Used after 1 admitted and 3 throttled checks = %d; want 1", got)
		}
		// a gave one token only: two are left.
		if got := countAdmitted(t, s, t0, &meter.Check{Buckets: []meter.Bucket{a}}, 5); got != 2 {
			t.Errorf("bucket a alone admitted %d after the refused checks; want 2 (3 - the one admitted check)", got)
		}
		d := days(t, s, q.Key, t0, t0)
		if len(d) != 1 || d[0].Used != 1 || d[0].Remaining != 9 {
			t.Errorf("Days(t0) = %+v; want one day used 1 remaining 9", d)
		}
	})

	t.Run("all or nothing: a quota-exceeded check takes no token", func(t *testing.T) {
		t.Parallel()
		s := newState(t)
		k := keys(t)
		a := meter.Bucket{Key: k("a"), Rate: 0, Burst: 4}
		q := quota(k("q"), "DAY", 0, 1, t0)
		c := &meter.Check{Buckets: []meter.Bucket{a}, Quota: q}
		runSteps(t, s, []step{{0, *c, admitted}, {0, *c, exceeded}, {0, *c, exceeded}})
		if got := countAdmitted(t, s, t0, &meter.Check{Buckets: []meter.Bucket{a}}, 5); got != 3 {
			t.Errorf("bucket a alone admitted %d after the refused checks; want 3", got)
		}
		if got := used(t, s, q); got != 1 {
			t.Errorf("Used = %d; want 1", got)
		}
	})

	t.Run("refusal names the first empty bucket, else the quota", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			name           string
			aEmpty, bEmpty bool
			quotaUsed      bool
			want           meter.Outcome
		}{
			{"nothing used up", false, false, false, admitted},
			{"quota used up", false, false, true, exceeded},
			{"first bucket empty and quota used up", true, false, true, throttled},
			{"second bucket empty and quota used up", false, true, true, throttled},
			{"second bucket empty", false, true, false, throttled},
			{"both empty", true, true, false, throttled},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				s := newState(t)
				k := keys(t)
				a := meter.Bucket{Key: k("a"), Rate: 0, Burst: 1}
				b := meter.Bucket{Key: k("b"), Rate: 0, Burst: 1}
				q := quota(k("q"), "DAY", 0, 1, t0)
				if tt.aEmpty {
					admit(t, s, t0, &meter.Check{Buckets: []meter.Bucket{a}})
				}
				if tt.bEmpty {
					admit(t, s, t0, &meter.Check{Buckets: []meter.Bucket{b}})
				}
				if tt.quotaUsed {
					admit(t, s, t0, &meter.Check{Quota: q})
				}
				if got := admit(t, s, t0, &meter.Check{Buckets: []meter.Bucket{a, b}, Quota: q}); got != tt.want {
					t.Errorf("Admit = %v; want %v", got, tt.want)
				}
			})
		}
	})

	t.Run("quota per period", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			period string
			offset int
		}{{"DAY", 0}, {"WEEK", 0}, {"WEEK", 3}, {"WEEK", 5}, {"MONTH", 0}, {"MONTH", 1}, {"MONTH", 14}, {"MONTH", meter.MaxMonthOffset}} {
			t.Run(fmt.Sprintf("%s offset %d", tt.period, tt.offset), func(t *testing.T) {
				t.Parallel()
				s := newState(t)
				k := keys(t)
				const limit = 3
				q := quota(k("q"), tt.period, tt.offset, limit, t0)
				last := q.End.Add(-time.Microsecond)
				for i, now := range []time.Time{q.Start, t0, last} {
					if got := admit(t, s, now, &meter.Check{Quota: q}); got != admitted {
						t.Fatalf("request %d at %v in [%v, %v) = %v; want Admitted", i, now, q.Start, q.End, got)
					}
				}
				if got := admit(t, s, last, &meter.Check{Quota: q}); got != exceeded {
					t.Fatalf("request %d of the period = %v; want QuotaExceeded", limit+1, got)
				}
				next := quota(k("q"), tt.period, tt.offset, limit, q.End)
				if !next.Start.Equal(q.End) {
					t.Fatalf("meter.Window: the next period starts at %v; want %v", next.Start, q.End)
				}
				if got := used(t, s, next); got != 0 {
					t.Errorf("Used of the next period before any request = %d; want 0", got)
				}
				for i := range limit {
					if got := admit(t, s, next.Start, &meter.Check{Quota: next}); got != admitted {
						t.Fatalf("request %d of the next period = %v; want Admitted", i+1, got)
					}
				}
				if got := admit(t, s, next.Start, &meter.Check{Quota: next}); got != exceeded {
					t.Errorf("request %d of the next period = %v; want QuotaExceeded", limit+1, got)
				}
				if got := used(t, s, q); got != limit {
					t.Errorf("Used of the first period = %d; want %d", got, limit)
				}
				if got := used(t, s, next); got != limit {
					t.Errorf("Used of the next period = %d; want %d", got, limit)
				}
			})
		}
	})

	t.Run("a quota of limit 0 admits nothing", func(t *testing.T) {
		t.Parallel()
		s := newState(t)
		q := quota(keys(t)("q"), "DAY", 0, 0, t0)
		if got := admit(t, s, t0, &meter.Check{Quota: q}); got != exceeded {
			t.Errorf("Admit = %v; want QuotaExceeded", got)
		}
		if got := used(t, s, q); got != 0 {
			t.Errorf("Used = %d; want 0", got)
		}
	})

	t.Run("days", func(t *testing.T) {
		t.Parallel()
		s := newState(t)
		k := keys(t)
		// A WEEK period from Sunday 2026-11-29: t0 is its Wednesday.
		day := func(n int) time.Time { return time.Date(2026, 11, 29+n, 12, 0, 0, 0, time.UTC) }
		q := quota(k("q"), "WEEK", 0, 10, day(0))
		for _, now := range []time.Time{day(1), day(1).Add(time.Hour), day(1).Add(11*time.Hour + 59*time.Minute), day(3)} {
			if got := admit(t, s, now, &meter.Check{Quota: q}); got != admitted {
				t.Fatalf("Admit at %v = %v; want Admitted", now, got)
			}
		}
		got := days(t, s, q.Key, day(0), day(4))
		want := []meter.Day{
			{Date: "2026-11-29", Used: 0, Remaining: -1},
			{Date: "2026-11-30", Used: 3, Remaining: 7},
			{Date: "2026-12-01", Used: 0, Remaining: -1},
			{Date: "2026-12-02", Used: 1, Remaining: 6},
			{Date: "2026-12-03", Used: 0, Remaining: -1},
		}
		checkDays(t, "Days(day 0, day 4)", got, want)
		// from and to are days: any time in them counts the whole day.
		checkDays(t, "Days(day 1 23:59, day 1 00:00)", days(t, s, q.Key, time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)), want[1:2])
		if got := days(t, s, q.Key, day(3), day(1)); len(got) != 0 {
			t.Errorf("Days(from after to) = %+v; want none", got)
		}
		checkDays(t, "Days of a key never counted", days(t, s, k("other"), day(0), day(1)), []meter.Day{
			{Date: "2026-11-29", Remaining: -1}, {Date: "2026-11-30", Remaining: -1},
		})
		// Days are read in UTC whatever the zone of from and to.
		east := time.FixedZone("UTC+10", 10*3600)
		checkDays(t, "Days in another zone", days(t, s, q.Key, day(1).In(east), day(1).In(east)), want[1:2])
		if got := used(t, s, q); got != 4 {
			t.Errorf("Used = %d; want 4", got)
		}
	})

	t.Run("set remaining", func(t *testing.T) {
		t.Parallel()
		s := newState(t)
		k := keys(t)
		ctx := context.Background()
		q := quota(k("q"), "MONTH", 0, 10, t0)
		c := &meter.Check{Quota: q}
		for range 3 {
			admit(t, s, t0, c)
		}
		setRemaining := func(now time.Time, remaining int64) {
			t.Helper()
			if err := s.SetRemaining(ctx, *q, now, remaining); err != nil {
				t.Fatalf("SetRemaining(%d): %v", remaining, err)
			}
		}
		// More room: the count becomes Limit-remaining; the day keeps its used.
		setRemaining(t0, 9)
		if got := used(t, s, q); got != 1 {
			t.Errorf("Used after SetRemaining(9) = %d; want 1", got)
		}
		checkDays(t, "Days after SetRemaining(9)", days(t, s, q.Key, t0, t0), []meter.Day{{Date: "2026-12-02", Used: 3, Remaining: 9}})
		if got := countAdmitted(t, s, t0, c, 12); got != 9 {
			t.Errorf("admitted %d after SetRemaining(9); want 9", got)
		}
		checkDays(t, "Days after using it up", days(t, s, q.Key, t0, t0), []meter.Day{{Date: "2026-12-02", Used: 12, Remaining: 0}})
		// On a day with no request, the record holds remaining and used 0.
		tomorrow := t0.Add(24 * time.Hour)
		setRemaining(tomorrow, 2)
		checkDays(t, "Days after SetRemaining(2) the next day", days(t, s, q.Key, t0, tomorrow), []meter.Day{
			{Date: "2026-12-02", Used: 12, Remaining: 0}, {Date: "2026-12-03", Used: 0, Remaining: 2},
		})
		if got := countAdmitted(t, s, tomorrow, c, 5); got != 2 {
			t.Errorf("admitted %d after SetRemaining(2); want 2", got)
		}
		// Less room: remaining 0 refuses at once.
		setRemaining(tomorrow, 5)
		setRemaining(tomorrow, 0)
		if got := admit(t, s, tomorrow, c); got != exceeded {
			t.Errorf("Admit after SetRemaining(0) = %v; want QuotaExceeded", got)
		}
		// A remaining above the limit admits more than the limit, as asked.
		setRemaining(tomorrow, 15)
		if got := used(t, s, q); got != -5 {
			t.Errorf("Used after SetRemaining(15) of limit 10 = %d; want -5", got)
		}
		if got := countAdmitted(t, s, tomorrow, c, 20); got != 15 {
			t.Errorf("admitted %d after SetRemaining(15); want 15", got)
		}
		// Another period is untouched.
		next := quota(k("q"), "MONTH", 0, 10, q.End)
		if got := used(t, s, next); got != 0 {
			t.Errorf("Used of the next period = %d; want 0", got)
		}
		// SetRemaining on a period never counted creates its count.
		setRemaining2 := s.SetRemaining(ctx, *next, next.Start, 4)
		if setRemaining2 != nil {
			t.Fatalf("SetRemaining(next period, 4): %v", setRemaining2)
		}
		if got := countAdmitted(t, s, next.Start, &meter.Check{Quota: next}, 6); got != 4 {
			t.Errorf("admitted %d in a new period after SetRemaining(4); want 4", got)
		}
	})
}

func checkDays(t *testing.T, what string, got, want []meter.Day) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %+v; want %+v", what, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s = %+v; want %+v", what, got, want)
			return
		}
	}
}

// workers is how many goroutines the concurrent subtests run.
const workers = 64

// hammer runs fn(worker, i) for i in [0, each) on workers goroutines and returns how many
// calls admitted. It fails the test on any error, or when the goroutines do not finish
// within a minute.
func hammer(t *testing.T, s State, each int, check func(w, i int) (time.Time, *meter.Check)) int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		count int
		errs  []error
	)
	start := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			n := 0
			for i := range each {
				now, c := check(w, i)
				o, err := s.Admit(context.Background(), now, c)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				if o == admitted {
					n++
				}
			}
			mu.Lock()
			count += n
			mu.Unlock()
		}()
	}
	close(start)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%d goroutines admitting concurrently did not finish within a minute (a deadlock?)", workers)
	}
	for _, err := range errs {
		t.Errorf("Admit: %v", err)
	}
	return count
}

// RunConcurrent runs the subtests that hammer one state from many goroutines: a quota
// admits exactly its limit and a bucket exactly its burst, and checks that share buckets in
// different orders never deadlock.
func RunConcurrent(t *testing.T, newState func(t *testing.T) State) {
	t.Run("one quota admits exactly its limit", func(t *testing.T) {
		t.Parallel()
		s := newState(t)
		const limit = 1000
		q := quota(keys(t)("q"), "DAY", 0, limit, t0)
		got := hammer(t, s, 20, func(w, i int) (time.Time, *meter.Check) {
			return t0.Add(time.Duration(w*20+i) * time.Millisecond), &meter.Check{Quota: q}
		})
		if got != limit {
			t.Errorf("%d goroutines × 20 requests under a quota of %d admitted %d; want %d", workers, limit, got, limit)
		}
		if n := used(t, s, q); n != limit {
			t.Errorf("Used = %d; want %d", n, limit)
		}
		checkDays(t, "Days", days(t, s, q.Key, t0, t0), []meter.Day{{Date: "2026-12-02", Used: limit, Remaining: 0}})
	})

	t.Run("one bucket at a frozen clock admits exactly its burst", func(t *testing.T) {
		t.Parallel()
		s := newState(t)
		const burst = 300
		b := meter.Bucket{Key: keys(t)("a"), Rate: 1000, Burst: burst}
		c := &meter.Check{Buckets: []meter.Bucket{b}}
		got := hammer(t, s, 10, func(w, i int) (time.Time, *meter.Check) { return t0, c })
		if got != burst {
			t.Errorf("%d goroutines × 10 requests on a bucket of burst %d at one instant admitted %d; want %d", workers, burst, got, burst)
		}
	})

	t.Run("shared buckets in any order: no deadlock, exact", func(t *testing.T) {
		t.Parallel()
		s := newState(t)
		k := keys(t)
		// Every check takes from a and b (in either order) and from one of 8 own buckets;
		// a's burst is the binding one.
		const burst = 200
		a := meter.Bucket{Key: k("a"), Rate: 0, Burst: burst}
		b := meter.Bucket{Key: k("b"), Rate: 0, Burst: 10 * burst}
		q := quota(k("q"), "DAY", 0, 10*burst, t0)
		checks := make([]*meter.Check, 16)
		for i := range checks {
			own := meter.Bucket{Key: k(fmt.Sprint("own", i%8)), Rate: 0, Burst: 10 * burst}
			bs := []meter.Bucket{a, own, b}
			if i%2 == 1 {
				bs = []meter.Bucket{b, own, a}
			}
			checks[i] = &meter.Check{Buckets: bs, Quota: q}
		}
		got := hammer(t, s, 10, func(w, i int) (time.Time, *meter.Check) { return t0, checks[(w+i)%len(checks)] })
		if got != burst {
			t.Errorf("admitted %d; want %d (bucket a's burst)", got, burst)
		}
		if n := used(t, s, q); n != burst {
			t.Errorf("Used = %d; want %d (only admitted checks count)", n, burst)
		}
	})
}
