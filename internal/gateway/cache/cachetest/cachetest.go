// Package cachetest is the contract suite every cache.Store runs (cache.MemoryStore in
// process, internal/redisstate's ResponseCache in Redis): get, set and replace, expiry by the
// caller's (injected) clock, FlushStage's isolation between stages, value isolation, and
// concurrent use (run it under -race).
//
// Every subtest uses stages of its own (they start with the subtest's name), so a backend
// shared by all subtests (one Redis) runs them in parallel without interference. Eviction at
// capacity is the in-process store's own (Redis's maxmemory bounds the shared one): its
// tests are beside it, not here; the suite passes a capacity far above what it stores.
package cachetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gateway/cache"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// t0 is the suite's epoch, far from the wall clock: a store must expire by the times given.
var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// capacity is passed to every Set: far above what any subtest stores.
const capacity = 1 << 30

// stages names the stages of one subtest: st("a") is unique to the subtest.
func stages(t *testing.T) func(string) string {
	return func(s string) string { return "cachetest-" + t.Name() + "/" + s }
}

func get(t *testing.T, s cache.Store, stage, key string, now time.Time) (string, bool) {
	t.Helper()
	v, ok, err := s.Get(context.Background(), stage, key, now)
	if err != nil {
		t.Fatalf("Get(%q, %q, %v): %v", stage, key, now, err)
	}
	if !ok && v != nil {
		t.Fatalf("Get(%q, %q, %v) = %q, false; want a nil value with a miss", stage, key, now, v)
	}
	return string(v), ok
}

func set(t *testing.T, s cache.Store, stage, key, value string, now time.Time, ttl time.Duration) {
	t.Helper()
	if err := s.Set(context.Background(), stage, key, []byte(value), capacity, now, now.Add(ttl)); err != nil {
		t.Fatalf("Set(%q, %q, %v, +%v): %v", stage, key, now, ttl, err)
	}
}

func flush(t *testing.T, s cache.Store, stage string) {
	t.Helper()
	if err := s.FlushStage(context.Background(), stage); err != nil {
		t.Fatalf("FlushStage(%q): %v", stage, err)
	}
}

// wantHit fails unless Get(stage, key) at now is a hit with want.
func wantHit(t *testing.T, s cache.Store, stage, key string, now time.Time, want string) {
	t.Helper()
	if v, ok := get(t, s, stage, key, now); !ok || v != want {
		t.Fatalf("Get(%q, %q, t0+%v) = %q, %v; want %q, true", stage, key, now.Sub(t0), v, ok, want)
	}
}

// wantMiss fails unless Get(stage, key) at now is a miss.
func wantMiss(t *testing.T, s cache.Store, stage, key string, now time.Time) {
	t.Helper()
	if v, ok := get(t, s, stage, key, now); ok {
		t.Fatalf("Get(%q, %q, t0+%v) = %q, true; want a miss", stage, key, now.Sub(t0), v)
	}
}

// Run runs the contract subtests, in parallel with each other. newStore is called once per
// subtest; it may return one Store shared by all of them.
func Run(t *testing.T, newStore func(t *testing.T) cache.Store) {
	t.Run("get set replace", func(t *testing.T) {
		t.Parallel()
		s, st := newStore(t), stages(t)
		a, b := st("a"), st("b")
		wantMiss(t, s, a, "GET /pets", t0)
		flush(t, s, st("never-used")) // flushing a stage that holds nothing is no error
		set(t, s, a, "GET /pets", "v1", t0, time.Minute)
		wantHit(t, s, a, "GET /pets", t0, "v1")
		wantMiss(t, s, a, "GET /pets/1", t0)
		wantMiss(t, s, b, "GET /pets", t0)
		set(t, s, a, "GET /pets", "v2", t0, time.Minute)
		wantHit(t, s, a, "GET /pets", t0, "v2")
		set(t, s, b, "GET /pets", "other stage", t0, time.Minute)
		wantHit(t, s, a, "GET /pets", t0, "v2")
		wantHit(t, s, b, "GET /pets", t0, "other stage")
	})

	t.Run("keys and values are opaque bytes", func(t *testing.T) {
		t.Parallel()
		s, st := newStore(t), stages(t)
		big := bytes.Repeat([]byte{0, 1, 0xff, ':', '\n'}, 1<<20/5+1) // above 1 MB, AWS's largest entry
		cases := []struct {
			name, stage, key, value string
		}{
			{"empty value", st("a"), "k", ""},
			{"binary value", st("a"), "bin", "\x00\xff\r\n:\x00"},
			{"empty key", st("a"), "", "for the empty key"},
			{"binary key", st("a"), "\x00:\xff k", "binary key"},
			{"large value", st("a"), "big", string(big)},
			// A layout joining stage, generation and key with ':' must keep these apart.
			{"colon stage 1", st("c"), "1:k", "c|1:k"},
			{"colon stage 2", st("c:0"), "k", "c:0|k"},
			{"colon stage 3", st("c:1"), "k", "c:1|k"},
			{"colon stage 4", st("c") + ":0:1", "k", "c:0:1|k"},
		}
		for _, c := range cases {
			set(t, s, c.stage, c.key, c.value, t0, time.Minute)
		}
		for _, c := range cases {
			v, ok := get(t, s, c.stage, c.key, t0)
			if !ok || v != c.value {
				t.Errorf("%s: Get(%q, %q) = %d bytes, %v; want the %d bytes set", c.name, c.stage, c.key, len(v), ok, len(c.value))
			}
		}
		flush(t, s, st("c"))
		wantMiss(t, s, st("c"), "1:k", t0)
		wantHit(t, s, st("c:0"), "k", t0, "c:0|k")
		wantHit(t, s, st("c")+":0:1", "k", t0, "c:0:1|k")
	})

	t.Run("expiry by the given clock", func(t *testing.T) {
		t.Parallel()
		s, st := newStore(t), stages(t)
		a := st("a")
		set(t, s, a, "k", "v", t0, time.Minute)
		wantHit(t, s, a, "k", t0.Add(59*time.Second), "v")
		wantMiss(t, s, a, "k", t0.Add(time.Minute)) // expired at expires, not after
		wantMiss(t, s, a, "k", t0.Add(time.Hour))
		// An expiry not after now drops the entry.
		set(t, s, a, "d", "v", t0, time.Minute)
		set(t, s, a, "d", "", t0, 0)
		wantMiss(t, s, a, "d", t0)
		// Set replaces the expiry too: a longer one, then a shorter one.
		set(t, s, a, "r", "long", t0, time.Hour)
		set(t, s, a, "r", "short", t0, time.Second)
		wantMiss(t, s, a, "r", t0.Add(2*time.Second))
		// An entry with no time left is not stored and replaces what was there.
		set(t, s, a, "gone", "old", t0, time.Minute)
		set(t, s, a, "gone", "new", t0, 0)
		wantMiss(t, s, a, "gone", t0)
		set(t, s, a, "neg", "x", t0, -time.Second)
		wantMiss(t, s, a, "neg", t0)
		// An entry set at a later time of the same clock lives from then.
		set(t, s, a, "later", "v", t0.Add(time.Hour), time.Minute)
		wantHit(t, s, a, "later", t0.Add(time.Hour+30*time.Second), "v")
		wantMiss(t, s, a, "later", t0.Add(time.Hour+time.Minute))
	})

	t.Run("FlushStage drops one stage", func(t *testing.T) {
		t.Parallel()
		s, st := newStore(t), stages(t)
		// Stages whose names extend each other must not share entries or flushes.
		a, a2, b := st("prod"), st("prod2"), st("prod/x")
		for _, stage := range []string{a, a2, b} {
			for i := range 10 {
				set(t, s, stage, fmt.Sprint("k", i), stage, t0, time.Hour)
			}
		}
		flush(t, s, a)
		for i := range 10 {
			k := fmt.Sprint("k", i)
			wantMiss(t, s, a, k, t0)
			wantHit(t, s, a2, k, t0, a2)
			wantHit(t, s, b, k, t0, b)
		}
		// The stage fills again after its flush, and flushes again.
		set(t, s, a, "k0", "after", t0, time.Hour)
		wantHit(t, s, a, "k0", t0, "after")
		wantMiss(t, s, a, "k1", t0)
		flush(t, s, a)
		flush(t, s, a)
		wantMiss(t, s, a, "k0", t0)
		wantHit(t, s, a2, "k0", t0, a2)
	})

	t.Run("values are the store's own", func(t *testing.T) {
		t.Parallel()
		s, st := newStore(t), stages(t)
		a := st("a")
		buf := []byte("first value")
		if err := s.Set(context.Background(), a, "k", buf, capacity, t0, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		copy(buf, "XXXXX") // the caller reuses its buffer after Set
		v1, ok, err := s.Get(context.Background(), a, "k", t0)
		if err != nil || !ok || string(v1) != "first value" {
			t.Fatalf("Get after the caller changed its buffer = %q, %v, %v; want first value", v1, ok, err)
		}
		// A value got stays as it was when the entry is replaced or flushed.
		set(t, s, a, "k", "second value", t0, time.Minute)
		flush(t, s, a)
		set(t, s, a, "k", "third value", t0, time.Minute)
		if string(v1) != "first value" {
			t.Fatalf("a value got before a replace and a flush = %q; want first value", v1)
		}
	})

	t.Run("concurrent use", func(t *testing.T) {
		t.Parallel()
		s, st := newStore(t), stages(t)
		a := st("a")
		const workers, rounds, keys = 8, 200, 5
		// Every value of key k is "k=<k>/<writer>/<round>": a reader must see one of them
		// whole, never a mix or another key's.
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := context.Background()
				for r := range rounds {
					k := fmt.Sprint("key", (w+r)%keys)
					switch {
					case r%50 == 49 && w == 0:
						if err := s.FlushStage(ctx, a); err != nil {
							errs <- err
							return
						}
					case r%2 == 0:
						val := fmt.Sprintf("k=%s/%d/%d", k, w, r)
						if err := s.Set(ctx, a, k, []byte(val), capacity, t0, t0.Add(time.Hour)); err != nil {
							errs <- err
							return
						}
					default:
						v, ok, err := s.Get(ctx, a, k, t0)
						if err != nil {
							errs <- err
							return
						}
						var gw, gr int
						if ok {
							if n, _ := fmt.Sscanf(string(v), "k="+k+"/%d/%d", &gw, &gr); n != 2 || gw >= workers || gr >= rounds {
								errs <- fmt.Errorf("Get(%q) = %q; want a value written under it", k, v)
								return
							}
						}
					}
				}
			}()
		}
		testwait.Group(t, &wg, 30*time.Second, "the concurrent workers")
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		// After the storm, the store still works.
		set(t, s, a, "final", "v", t0, time.Minute)
		wantHit(t, s, a, "final", t0, "v")
	})
}
