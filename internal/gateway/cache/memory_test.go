package cache

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

const stage = "api1/prod"

// sizeOf is what an entry of key and an n-byte value counts.
func sizeOf(key string, n int) int64 { return int64(len(key)+n) + EntryOverhead }

func mustSet(t testing.TB, m *MemoryStore, key string, n int, capacity int64, now time.Time, ttl time.Duration) {
	t.Helper()
	if err := m.Set(context.Background(), stage, key, make([]byte, n), capacity, now, now.Add(ttl)); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func has(m *MemoryStore, key string, now time.Time) bool {
	_, ok, _ := m.Get(context.Background(), stage, key, now)
	return ok
}

// used is the bytes the stage's table counts (0 without a table).
func (m *MemoryStore) used(stage string) int64 {
	s := m.slot(stage, false)
	if s == nil || s.table.Load() == nil {
		return 0
	}
	return s.table.Load().used.Load()
}

func TestMemoryStoreEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	const n = 100
	capacity := 3 * sizeOf("a", n)
	tests := []struct {
		name      string
		got       []string // Got after a, b, c are set, before d is
		evicted   []string // by setting d
		remaining []string
	}{
		{"none got: the first set goes", nil, []string{"a"}, []string{"b", "c", "d"}},
		{"the oldest got: the next goes", []string{"a"}, []string{"b"}, []string{"a", "c", "d"}},
		{"two got", []string{"a", "b"}, []string{"c"}, []string{"a", "b", "d"}},
		{"all got: the first set goes", []string{"a", "b", "c"}, []string{"a"}, []string{"b", "c", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := newMemoryStore(1) // one shard: the order is exact
			for _, k := range []string{"a", "b", "c"} {
				mustSet(t, m, k, n, capacity, t0, time.Hour)
			}
			for _, k := range tt.got {
				if !has(m, k, t0) {
					t.Fatalf("Get(%q) before the stage is full = miss", k)
				}
			}
			mustSet(t, m, "d", n, capacity, t0, time.Hour)
			for _, k := range tt.evicted {
				if has(m, k, t0) {
					t.Errorf("after Gets of %v, setting d over capacity kept %q; want it evicted", tt.got, k)
				}
			}
			for _, k := range tt.remaining {
				if !has(m, k, t0) {
					t.Errorf("after Gets of %v, setting d over capacity evicted %q; want it kept", tt.got, k)
				}
			}
			if got := m.used(stage); got != capacity {
				t.Errorf("used = %d; want %d", got, capacity)
			}
		})
	}
}

func TestMemoryStoreStaysWithinCapacity(t *testing.T) {
	t.Parallel()
	for _, shards := range []int{1, defaultShards} {
		t.Run(fmt.Sprint(shards, " shards"), func(t *testing.T) {
			t.Parallel()
			m := newMemoryStore(shards)
			capacity := 50 * sizeOf("key000", 100)
			for i := range 1000 {
				mustSet(t, m, fmt.Sprintf("key%03d", i%1000), 100, capacity, t0, time.Hour)
				if u := m.used(stage); u > capacity {
					t.Fatalf("after %d Sets, used = %d; want at most %d", i+1, u, capacity)
				}
			}
			if !has(m, "key999", t0) {
				t.Error("the entry set last was evicted")
			}
			// One large entry evicts as many small ones as it needs.
			big := int(capacity - sizeOf("big", 0))
			mustSet(t, m, "big", big, capacity, t0, time.Hour)
			if !has(m, "big", t0) || m.used(stage) != capacity {
				t.Errorf("after a Set of a value filling the capacity: stored %v, used %d; want true, %d", has(m, "big", t0), m.used(stage), capacity)
			}
			// A smaller capacity (a resize without a flush) evicts down to it.
			mustSet(t, m, "small", 10, sizeOf("small", 10), t0, time.Hour)
			if has(m, "big", t0) || !has(m, "small", t0) || m.used(stage) != sizeOf("small", 10) {
				t.Errorf("after a Set with a smaller capacity: used %d; want only the new entry", m.used(stage))
			}
		})
	}
}

func TestMemoryStoreRefusesWhatDoesNotFit(t *testing.T) {
	t.Parallel()
	m := NewMemoryStore()
	capacity := sizeOf("k", 100)
	mustSet(t, m, "k", 100, capacity, t0, time.Hour) // exactly the capacity: stored
	if !has(m, "k", t0) {
		t.Fatal("an entry of exactly the capacity was not stored")
	}
	mustSet(t, m, "k", 101, capacity, t0, time.Hour) // one byte more: not stored, and the old value goes
	if has(m, "k", t0) {
		t.Error("Get after a Set of a value above the capacity = hit; want a miss (neither the new nor the replaced value)")
	}
	mustSet(t, m, "z", 0, 0, t0, time.Hour)
	if has(m, "z", t0) || m.used(stage) != 0 {
		t.Errorf("a Set with capacity 0 stored something (used %d)", m.used(stage))
	}
}

func TestMemoryStoreReclaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMemoryStore(1)
	capacity := int64(1 << 20)
	mustSet(t, m, "short", 100, capacity, t0, time.Second)
	mustSet(t, m, "long", 100, capacity, t0, time.Hour)
	if has(m, "short", t0.Add(time.Second)) {
		t.Fatal("an expired entry was returned")
	}
	if got, want := m.used(stage), sizeOf("long", 100); got != want {
		t.Errorf("after a Get met an expired entry, used = %d; want %d (only the live one)", got, want)
	}
	// An expired entry is evicted before a live one that was got.
	small := 3 * sizeOf("x", 10)
	m2 := newMemoryStore(1)
	mustSet(t, m2, "x", 10, small, t0, time.Hour)
	mustSet(t, m2, "y", 10, small, t0, time.Second)
	mustSet(t, m2, "w", 10, small, t0, time.Hour)
	has(m2, "x", t0)
	has(m2, "y", t0) // referenced too: it goes because it expired
	has(m2, "w", t0)
	mustSet(t, m2, "z", 10, small, t0.Add(time.Minute), time.Hour)
	if !has(m2, "x", t0.Add(time.Minute)) || !has(m2, "w", t0.Add(time.Minute)) || !has(m2, "z", t0.Add(time.Minute)) {
		t.Error("a Set over capacity evicted a live entry while an expired one was there")
	}
	// FlushStage drops the table: nothing is left to count.
	if err := m.FlushStage(ctx, stage); err != nil {
		t.Fatal(err)
	}
	if s := m.slot(stage, false); s.table.Load() != nil {
		t.Error("FlushStage kept the stage's table")
	}
	if has(m, "long", t0) {
		t.Error("an entry survived FlushStage")
	}
}

func TestMemoryStoreDoesNotPreallocate(t *testing.T) {
	m := NewMemoryStore()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range 10 {
		// Ten stages of 0.5 GB (AWS's smallest cacheClusterSize), one small entry each.
		if err := m.Set(context.Background(), fmt.Sprint("api/stage", i), "k", []byte("v"), 500<<20, t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("ten 0.5 GB stages holding one entry each allocated %d bytes; want under 1 MiB", got)
	}
}

func TestMemoryStoreGetDoesNotAllocate(t *testing.T) {
	m := NewMemoryStore()
	ctx := context.Background()
	mustSet(t, m, "GET /pets", 1000, 1<<20, t0, time.Hour)
	for _, key := range []string{"GET /pets", "GET /missing"} {
		if n := testing.AllocsPerRun(100, func() { _, _, _ = m.Get(ctx, stage, key, t0) }); n != 0 {
			t.Errorf("Get(%q) allocates %v times; want 0", key, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _, _ = m.Get(ctx, "no/stage", "k", t0) }); n != 0 {
		t.Errorf("Get of an unknown stage allocates %v times; want 0", n)
	}
}

// BenchmarkMemoryStore measures parallel Gets (one hot key, as a load generator repeating
// one URL does, and keys spread over the stage) and Sets.
func BenchmarkMemoryStore(b *testing.B) {
	ctx := context.Background()
	const capacity = 500 << 20
	value := make([]byte, 1024)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("GET /pets/%d?limit=10", i)
	}
	m := NewMemoryStore()
	for _, k := range keys {
		mustSet(b, m, k, len(value), capacity, t0, time.Hour)
	}
	b.Run("Get one key", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok, _ := m.Get(ctx, stage, keys[0], t0); !ok {
					b.Fatal("miss")
				}
			}
		})
	})
	b.Run("Get many keys", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, ok, _ := m.Get(ctx, stage, keys[i%len(keys)], t0); !ok {
					b.Fatal("miss")
				}
				i++
			}
		})
	})
	b.Run("Set many keys", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				_ = m.Set(ctx, stage, keys[i%len(keys)], value, capacity, t0, t0.Add(time.Hour))
				i++
			}
		})
	})
	b.Run("Set at capacity", func(b *testing.B) {
		small := NewMemoryStore()
		capacity := 100 * sizeOf(keys[0], len(value))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				_ = small.Set(ctx, stage, keys[i%len(keys)], value, capacity, t0, t0.Add(time.Hour))
				i++
			}
		})
	})
}
