package redisstate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/gatehouse/gatehouse/internal/testwait"
	"github.com/redis/rueidis"
)

// The tests run against the Redis at testURL (DB 9, this package's own). Every test keys
// under a random prefix of its own and deletes its keys when it ends, so tests run in
// parallel, in several processes at once (the fuzzer's workers), and never meet a key left
// by an earlier run: the DB is never emptied under a running test. Without a Redis there,
// they skip, saying so.
const testURL = "redis://127.0.0.1:6379/9"

var redisDown string // why the tests skip; "" when Redis answered

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	if err := withTestClient(func(ctx context.Context, c rueidis.Client) error {
		return c.Do(ctx, c.B().Ping().Build()).Error()
	}); err != nil {
		redisDown = fmt.Sprintf("Redis is not reachable at %s (%v): start redis-server on 127.0.0.1:6379 to run these tests", testURL, err)
	}
	os.Exit(m.Run())
}

// withTestClient runs f with a client of the test DB and a deadline.
func withTestClient(f func(context.Context, rueidis.Client) error) error {
	co, err := rueidis.ParseURL(testURL)
	if err != nil {
		return err
	}
	co.DisableCache, co.ForceSingleClient = true, true
	co.Dialer.Timeout = time.Second
	c, err := rueidis.NewClient(co)
	if err != nil {
		if c != nil {
			c.Close()
		}
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return f(ctx, c)
}

// testPrefix returns a key prefix no other test, process or earlier run uses, and deletes
// the keys under it when t ends.
func testPrefix(t testing.TB) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	prefix := "gatehouse-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		err := withTestClient(func(ctx context.Context, c rueidis.Client) error {
			var cursor uint64
			for {
				e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
				if err != nil {
					return err
				}
				if len(e.Elements) > 0 {
					if err := c.Do(ctx, c.B().Del().Key(e.Elements...).Build()).Error(); err != nil {
						return err
					}
				}
				if cursor = e.Cursor; cursor == 0 {
					return nil
				}
			}
		})
		if err != nil {
			t.Errorf("deleting the test's keys under %s: %v", prefix, err)
		}
	})
	return prefix
}

// newTestState returns a State on the test DB under a prefix of its own (testPrefix).
func newTestState(t testing.TB) *State {
	t.Helper()
	if redisDown != "" {
		t.Skip(redisDown)
	}
	return newStateWithPrefix(t, testPrefix(t))
}

func newStateWithPrefix(t testing.TB, prefix string) *State {
	t.Helper()
	// A generous per-call timeout: the race detector on a shared 2-core machine is slow,
	// and these tests are about semantics, not latency.
	s, err := New(context.Background(), testURL, Options{Timeout: 5 * time.Second, DialTimeout: 5 * time.Second, Prefix: prefix})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func dayQuota(key string, limit int64, now time.Time) *meter.Quota {
	start, end, _ := meter.Window("DAY", 0, now)
	return &meter.Quota{Key: key, Limit: limit, Start: start, End: end}
}

// step is one Admit of a scenario: at t0+at, check, expecting want.
type step struct {
	at    time.Duration
	check meter.Check
	want  meter.Outcome
}

func TestAdmitSemantics(t *testing.T) {
	t.Parallel()
	a := meter.Bucket{Key: "a", Rate: 1, Burst: 2}
	b := meter.Bucket{Key: "b/{x}:y", Rate: 10, Burst: 1}
	q := dayQuota("plan/key", 3, t0)
	admitted, throttled, exceeded := meter.Admitted, meter.Throttled, meter.QuotaExceeded
	cases := []struct {
		name  string
		steps []step
	}{
		{"a new bucket starts full and empties", []step{
			{0, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{0, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{0, meter.Check{Buckets: []meter.Bucket{a}}, throttled},
		}},
		{"it refills at its rate", []step{
			{0, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{0, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{999 * time.Millisecond, meter.Check{Buckets: []meter.Bucket{a}}, throttled},
			{time.Second, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{time.Second, meter.Check{Buckets: []meter.Bucket{a}}, throttled},
		}},
		{"the level is capped at the burst", []step{
			{0, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{time.Hour, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{time.Hour, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{time.Hour, meter.Check{Buckets: []meter.Bucket{a}}, throttled},
		}},
		{"a lowered burst caps a fuller bucket", []step{
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "a", Rate: 1, Burst: 10}}}, admitted}, // 9 left
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "a", Rate: 1, Burst: 1}}}, admitted},  // capped to 1, 0 left
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "a", Rate: 1, Burst: 1}}}, throttled},
		}},
		{"a clock going back refills nothing", []step{
			{time.Minute, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{time.Minute, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{0, meter.Check{Buckets: []meter.Bucket{a}}, throttled},
			// ... and the bucket kept the later time: one second after it, one token.
			{time.Minute + time.Second, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{time.Minute + time.Second, meter.Check{Buckets: []meter.Bucket{a}}, throttled},
		}},
		{"burst 0 blocks", []step{
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "z", Rate: 100, Burst: 0}}}, throttled},
			{time.Hour, meter.Check{Buckets: []meter.Bucket{{Key: "z", Rate: 100, Burst: 0}}}, throttled},
		}},
		{"rate 0 admits the burst once", []step{
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "r0", Rate: 0, Burst: 1}}}, admitted},
			{1000 * time.Hour, meter.Check{Buckets: []meter.Bucket{{Key: "r0", Rate: 0, Burst: 1}}}, throttled},
		}},
		{"fractional rates accumulate", []step{
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "f", Rate: 0.5, Burst: 1}}}, admitted},
			{time.Second, meter.Check{Buckets: []meter.Bucket{{Key: "f", Rate: 0.5, Burst: 1}}}, throttled},
			{2 * time.Second, meter.Check{Buckets: []meter.Bucket{{Key: "f", Rate: 0.5, Burst: 1}}}, admitted},
		}},
		{"all or nothing: an empty second bucket takes nothing from the first", []step{
			{0, meter.Check{Buckets: []meter.Bucket{b}}, admitted}, // b empty now
			{0, meter.Check{Buckets: []meter.Bucket{a, b}}, throttled},
			{0, meter.Check{Buckets: []meter.Bucket{a, b}}, throttled},
			{0, meter.Check{Buckets: []meter.Bucket{a}}, admitted}, // a still full: 2 tokens
			{0, meter.Check{Buckets: []meter.Bucket{a}}, admitted},
			{0, meter.Check{Buckets: []meter.Bucket{a}}, throttled},
		}},
		{"quota counts only admitted checks", []step{
			{0, meter.Check{Buckets: []meter.Bucket{b}, Quota: q}, admitted},
			{0, meter.Check{Buckets: []meter.Bucket{b}, Quota: q}, throttled},
			{0, meter.Check{Quota: q}, admitted},
			{0, meter.Check{Quota: q}, admitted},
			{0, meter.Check{Quota: q}, exceeded},
		}},
		{"an empty bucket is named before a full quota", []step{
			{0, meter.Check{Quota: &meter.Quota{Key: "k", Limit: 0, Start: q.Start, End: q.End}}, exceeded},
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "z", Burst: 0}}, Quota: &meter.Quota{Key: "k", Limit: 0, Start: q.Start, End: q.End}}, throttled},
		}},
		{"a full quota takes no token", []step{
			{0, meter.Check{Quota: &meter.Quota{Key: "k", Limit: 1, Start: q.Start, End: q.End}}, admitted},
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "one", Rate: 0, Burst: 1}}, Quota: &meter.Quota{Key: "k", Limit: 1, Start: q.Start, End: q.End}}, exceeded},
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "one", Rate: 0, Burst: 1}}}, admitted},
		}},
		{"a new period starts at 0", []step{
			{0, meter.Check{Quota: dayQuota("k", 1, t0)}, admitted},
			{0, meter.Check{Quota: dayQuota("k", 1, t0)}, exceeded},
			{24 * time.Hour, meter.Check{Quota: dayQuota("k", 1, t0.Add(24*time.Hour))}, admitted},
		}},
		{"a check of nothing is admitted", []step{
			{0, meter.Check{}, admitted},
		}},
		{"bad rates refill nothing", []step{
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "nan", Rate: math.NaN(), Burst: 1}}}, admitted},
			{time.Hour, meter.Check{Buckets: []meter.Bucket{{Key: "nan", Rate: math.NaN(), Burst: 1}}}, throttled},
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "neg", Rate: -1, Burst: 1}}}, admitted},
			{time.Hour, meter.Check{Buckets: []meter.Bucket{{Key: "neg", Rate: -1, Burst: 1}}}, throttled},
			{0, meter.Check{Buckets: []meter.Bucket{{Key: "inf", Rate: math.Inf(1), Burst: 1}}}, admitted},
			{time.Microsecond, meter.Check{Buckets: []meter.Bucket{{Key: "inf", Rate: math.Inf(1), Burst: 1}}}, admitted},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newTestState(t)
			for i, st := range tc.steps {
				got, err := s.Admit(context.Background(), t0.Add(st.at), &st.check)
				if err != nil {
					t.Fatalf("step %d: Admit: %v", i, err)
				}
				if got != st.want {
					t.Fatalf("step %d (at +%v): got outcome %d, want %d", i, st.at, got, st.want)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	s := newTestState(t)
	ctx := context.Background()
	day2 := t0.Add(24 * time.Hour)
	q := &meter.Quota{Key: "plan/key", Limit: 10, Start: t0.Add(-10 * time.Hour), End: t0.Add(7 * 24 * time.Hour)} // a WEEK-like period
	for range 3 {
		mustAdmit(t, s, t0, &meter.Check{Quota: q}, meter.Admitted)
	}
	mustAdmit(t, s, day2, &meter.Check{Quota: q}, meter.Admitted)
	if used, err := s.Used(ctx, *q); err != nil || used != 4 {
		t.Fatalf("Used = %d, %v; want 4", used, err)
	}
	other := *q
	other.Start = q.End
	if used, err := s.Used(ctx, other); err != nil || used != 0 {
		t.Fatalf("Used of another period = %d, %v; want 0", used, err)
	}
	days, err := s.Days(ctx, q.Key, t0.Add(-24*time.Hour), day2.Add(24*time.Hour+time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []meter.Day{
		{Date: "2026-12-01", Used: 0, Remaining: -1},
		{Date: "2026-12-02", Used: 3, Remaining: 7},
		{Date: "2026-12-03", Used: 1, Remaining: 6},
		{Date: "2026-12-04", Used: 0, Remaining: -1},
	}
	if fmt.Sprint(days) != fmt.Sprint(want) {
		t.Fatalf("Days = %v, want %v", days, want)
	}

	// UpdateUsage: 2 remaining makes the count 8 and records 2 on the day, keeping used.
	if err := s.SetRemaining(ctx, *q, day2, 2); err != nil {
		t.Fatal(err)
	}
	if used, err := s.Used(ctx, *q); err != nil || used != 8 {
		t.Fatalf("Used after SetRemaining = %d, %v; want 8", used, err)
	}
	mustAdmit(t, s, day2, &meter.Check{Quota: q}, meter.Admitted)
	mustAdmit(t, s, day2, &meter.Check{Quota: q}, meter.Admitted)
	mustAdmit(t, s, day2, &meter.Check{Quota: q}, meter.QuotaExceeded)
	days, err = s.Days(ctx, q.Key, day2, day2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []meter.Day{{Date: "2026-12-03", Used: 3, Remaining: 0}}; fmt.Sprint(days) != fmt.Sprint(want) {
		t.Fatalf("Days after SetRemaining = %v, want %v", days, want)
	}
	// SetRemaining on a day with no record records remaining and no use.
	if err := s.SetRemaining(ctx, *q, day2.Add(24*time.Hour), 5); err != nil {
		t.Fatal(err)
	}
	days, err = s.Days(ctx, q.Key, day2.Add(24*time.Hour), day2.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := []meter.Day{{Date: "2026-12-04", Used: 0, Remaining: 5}}; fmt.Sprint(days) != fmt.Sprint(want) {
		t.Fatalf("Days of a day with only SetRemaining = %v, want %v", days, want)
	}

	if days, err := s.Days(ctx, q.Key, day2, t0); err != nil || len(days) != 0 {
		t.Fatalf("Days from after to = %v, %v; want none", days, err)
	}
	if _, err := s.Days(ctx, q.Key, t0, t0.AddDate(20, 0, 0)); err == nil {
		t.Fatalf("Days of 20 years: no error")
	}
}

func mustAdmit(t *testing.T, s *State, now time.Time, c *meter.Check, want meter.Outcome) {
	t.Helper()
	got, err := s.Admit(context.Background(), now, c)
	if err != nil {
		t.Fatalf("Admit: %v", err)
	}
	if got != want {
		t.Fatalf("Admit = %d, want %d", got, want)
	}
}

// TestLayoutAndExpirations reads the keys an Admit writes and their times to live.
func TestLayoutAndExpirations(t *testing.T) {
	t.Parallel()
	s := newTestState(t)
	ctx := context.Background()
	q := dayQuota("plan/key", 5, t0)
	now := q.End.Add(-time.Hour) // an hour before the period ends
	check := &meter.Check{Buckets: []meter.Bucket{
		{Key: "fast", Rate: 10, Burst: 100}, // 1 token short: full in 0.1 s
		{Key: "slow", Rate: 1e-9, Burst: 5}, // full in 1e9 s: capped
		{Key: "never", Rate: 0, Burst: 3},   // never expires
	}, Quota: q}
	mustAdmit(t, s, now, check, meter.Admitted)

	hash := func(k string) map[string]string {
		m, err := s.c.Do(ctx, s.c.B().Hgetall().Key(k).Build()).AsStrMap()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	pttl := func(k string) time.Duration {
		v, err := s.c.Do(ctx, s.c.B().Pttl().Key(k).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		return time.Duration(v) * time.Millisecond
	}
	micros := strconv.FormatInt(now.UnixMicro(), 10)
	if got := hash(s.prefix + "b:fast"); got["l"] != "99" || got["t"] != micros {
		t.Errorf("bucket fast = %v, want l 99, t %s", got, micros)
	}
	within := func(name string, got, lo, hi time.Duration) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s: time to live %v, want in [%v, %v]", name, got, lo, hi)
		}
	}
	within("fast bucket", pttl(s.prefix+"b:fast"), 59*time.Second, 60100*time.Millisecond)
	within("slow bucket", pttl(s.prefix+"b:slow"), 89*24*time.Hour, 90*24*time.Hour)
	if got := pttl(s.prefix + "b:never"); got != -time.Millisecond { // -1: no expiry
		t.Errorf("rate-0 bucket: PTTL %v, want none (-1)", got)
	}
	period := s.prefix + "q:plan/key:2026-12-02T00:00:00Z"
	if v, err := s.c.Do(ctx, s.c.B().Get().Key(period).Build()).ToString(); err != nil || v != "1" {
		t.Errorf("period counter %s = %q, %v; want 1", period, v, err)
	}
	within("period counter", pttl(period), 24*time.Hour, 25*time.Hour) // an hour to the end + a day
	day := s.prefix + "d:plan/key:2026-12-02"
	if got := hash(day); got["u"] != "1" || got["r"] != "4" {
		t.Errorf("day record = %v, want u 1, r 4", got)
	}
	within("day record", pttl(day), 89*24*time.Hour, 90*24*time.Hour)
}

// TestExpiredBucketIsFull: a bucket key that expired (Redis dropped it once it was full
// again) is a new bucket, full: the same as the bucket it was.
func TestExpiredBucketIsFull(t *testing.T) {
	t.Parallel()
	s := newTestState(t)
	b := meter.Bucket{Key: "e", Rate: 1, Burst: 2}
	mustAdmit(t, s, t0, &meter.Check{Buckets: []meter.Bucket{b}}, meter.Admitted)
	if err := s.c.Do(context.Background(), s.c.B().Del().Key(s.prefix+"b:e").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		mustAdmit(t, s, t0.Add(time.Hour), &meter.Check{Buckets: []meter.Bucket{b}}, meter.Admitted)
	}
	mustAdmit(t, s, t0.Add(time.Hour), &meter.Check{Buckets: []meter.Bucket{b}}, meter.Throttled)
}

// TestNoScript: a script the server does not hold (as after a Redis restart or SCRIPT
// FLUSH) runs by EVAL after EVALSHA's NOSCRIPT. The test gives the State scripts no one
// loaded (a unique comment changes their SHA-1) rather than flush the server's cache, which
// other users of this Redis share.
func TestNoScript(t *testing.T) {
	t.Parallel()
	s := newTestState(t)
	unique := fmt.Sprintf("\n-- %s %d", s.prefix, time.Now().UnixNano())
	s.admit = rueidis.NewLuaScript(admitScript + unique)
	s.setRemaining = rueidis.NewLuaScript(setRemainingScript + unique)
	b := meter.Bucket{Key: "n", Rate: 0, Burst: 2}
	mustAdmit(t, s, t0, &meter.Check{Buckets: []meter.Bucket{b}}, meter.Admitted)
	mustAdmit(t, s, t0, &meter.Check{Buckets: []meter.Bucket{b}}, meter.Admitted)
	mustAdmit(t, s, t0, &meter.Check{Buckets: []meter.Bucket{b}}, meter.Throttled)
	if err := s.SetRemaining(context.Background(), *dayQuota("k", 3, t0), t0, 1); err != nil {
		t.Fatal(err)
	}
}

func TestBadURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "http://127.0.0.1:6379", "redis://127.0.0.1:6379/notadb", "%zz"} {
		if s, err := New(context.Background(), u, Options{}); err == nil {
			s.Close()
			t.Errorf("New(%q): no error", u)
		}
	}
}

// TestScriptError: a script that fails on the server (here a bucket key holding a list,
// which HMGET refuses) is an error of Admit, and the check's other keys are unchanged.
func TestScriptError(t *testing.T) {
	t.Parallel()
	s := newTestState(t)
	ctx := context.Background()
	if err := s.c.Do(ctx, s.c.B().Lpush().Key(s.prefix+"b:list").Element("x").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	ok := meter.Bucket{Key: "ok", Rate: 0, Burst: 1}
	_, err := s.Admit(ctx, t0, &meter.Check{Buckets: []meter.Bucket{ok, {Key: "list", Rate: 1, Burst: 1}}})
	if err == nil {
		t.Fatal("Admit over a key of the wrong type: no error")
	}
	t.Logf("script error: %v", err)
	mustAdmit(t, s, t0, &meter.Check{Buckets: []meter.Bucket{ok}}, meter.Admitted) // its token was not taken
}

// TestAdmitBatches: concurrent Admits are decided in fewer script runs than checks, and
// exactly as one by one (every check of a shared bucket and quota counted once).
func TestAdmitBatches(t *testing.T) {
	t.Parallel()
	s := newTestState(t)
	const workers, each, limit = 64, 20, 500
	q := dayQuota("batch", limit, t0)
	acct := meter.Bucket{Key: "batch-acct", Rate: 0, Burst: 1 << 20}
	var admitted, exceeded atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				o, err := s.Admit(context.Background(), t0, &meter.Check{Buckets: []meter.Bucket{acct}, Quota: q})
				switch {
				case err != nil:
					t.Errorf("Admit: %v", err)
					return
				case o == meter.Admitted:
					admitted.Add(1)
				case o == meter.QuotaExceeded:
					exceeded.Add(1)
				}
			}
		}()
	}
	testwait.Group(t, &wg, testwait.Patient, "the concurrent Admits")
	if admitted.Load() != limit || exceeded.Load() != workers*each-limit {
		t.Errorf("%d checks under a quota of %d: %d admitted, %d over the quota; want exactly %d admitted", workers*each, limit, admitted.Load(), exceeded.Load(), limit)
	}
	if runs := s.runs.Load(); runs >= workers*each {
		t.Errorf("%d concurrent checks took %d script runs; want batches (fewer runs than checks)", workers*each, runs)
	}
	used, err := s.Used(context.Background(), *q)
	if err != nil || used != limit {
		t.Errorf("Used = %d, %v; want %d", used, err, limit)
	}
}

// TestAdmitAfterClose: a closed State answers at once with an error.
func TestAdmitAfterClose(t *testing.T) {
	t.Parallel()
	s := newTestState(t)
	s.Close()
	done := make(chan error, 1)
	go func() {
		_, err := s.Admit(context.Background(), t0, &meter.Check{Quota: dayQuota("closed", 1, t0)})
		done <- err
	}()
	if err := testwait.Recv(t, done, testwait.Patient, "Admit after Close"); err == nil {
		t.Error("Admit after Close = nil error; want one")
	}
}
