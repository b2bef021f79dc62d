package redisstate

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gateway/cache"
	"github.com/gatehouse/gatehouse/internal/gateway/cache/cachetest"
)

// TestResponseCacheContract holds ResponseCache to cache.Store's contract against the test
// Redis: one State under a fresh prefix per subtest.
func TestResponseCacheContract(t *testing.T) {
	t.Parallel()
	cachetest.Run(t, func(t *testing.T) cache.Store { return newTestState(t).ResponseCache() })
}

// TestResponseCacheShared: two States on one Redis (two nodes) see each other's entries
// and flushes.
func TestResponseCacheShared(t *testing.T) {
	t.Parallel()
	if redisDown != "" {
		t.Skip(redisDown)
	}
	prefix := testPrefix(t)
	a, b := newStateWithPrefix(t, prefix).ResponseCache(), newStateWithPrefix(t, prefix).ResponseCache()
	ctx := context.Background()
	if err := a.Set(ctx, "api1/prod", "GET /pets", []byte("pets"), 0, t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := b.Get(ctx, "api1/prod", "GET /pets", t0); err != nil || !ok || string(v) != "pets" {
		t.Fatalf("node B: Get of node A's entry = %q, %v, %v; want pets", v, ok, err)
	}
	if err := a.FlushStage(ctx, "api1/prod"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := b.Get(ctx, "api1/prod", "GET /pets", t0); err != nil || ok {
		t.Fatalf("node B: Get after node A's FlushStage = %q, %v, %v; want a miss", v, ok, err)
	}
}

// TestResponseCacheLayout: an entry's key lives as long as its TTL (PX, rounded up to a
// millisecond), one Set replaces the key a flushed entry held, and the caches of
// authorizers and responses do not share entries or flushes.
func TestResponseCacheLayout(t *testing.T) {
	t.Parallel()
	s := newTestState(t)
	rc, az := s.ResponseCache(), s.AuthorizerCache()
	ctx := context.Background()
	cl := s.c
	pttl := func(key string) int64 {
		t.Helper()
		ms, err := cl.Do(ctx, cl.B().Pttl().Key(key).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	if err := rc.Set(ctx, "api1/prod", "k", []byte("v"), 0, t0, t0.Add(300*time.Second+time.Microsecond)); err != nil {
		t.Fatal(err)
	}
	if ms := pttl(rc.c.entryKey("api1/prod", "k")); ms <= 299_000 || ms > 300_001 {
		t.Fatalf("PTTL of an entry set for 300.000001 s = %d; want at most 300001 (rounded up) and about that", ms)
	}
	if ms := pttl(rc.c.genKey("api1/prod")); ms != -2 {
		t.Fatalf("PTTL of a stage's generation before its first flush = %d; want -2 (no key)", ms)
	}
	if err := rc.FlushStage(ctx, "api1/prod"); err != nil {
		t.Fatal(err)
	}
	if ms := pttl(rc.c.genKey("api1/prod")); ms != -1 {
		t.Fatalf("PTTL of a stage's generation = %d; want -1 (never expires)", ms)
	}
	if err := rc.Set(ctx, "api1/prod", "k", []byte("v2"), 0, t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	raw, err := cl.Do(ctx, cl.B().Get().Key(rc.c.entryKey("api1/prod", "k")).Build()).ToString()
	if err != nil || !strings.HasPrefix(raw, "1:") || !strings.HasSuffix(raw, ":v2") {
		t.Fatalf("entry after a flush and a Set = %q, %v; want generation 1's value v2", raw, err)
	}
	// The authorizer cache: same stage, same key, its own entries and generation.
	if err := az.Set(ctx, "api1/prod/k", []byte("az"), t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := az.FlushStage(ctx, "api1", "prod"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := rc.Get(ctx, "api1/prod", "k", t0); err != nil || !ok || string(v) != "v2" {
		t.Fatalf("response cache after an authorizer cache flush = %q, %v, %v; want v2", v, ok, err)
	}
}

// TestResponseCacheMalformedEntry: an entry that is not "{generation}:{expires}:{value}"
// (written by something else) is an error, not a panic or a hit.
func TestResponseCacheMalformedEntry(t *testing.T) {
	t.Parallel()
	s := newTestState(t)
	rc := s.ResponseCache()
	ctx := context.Background()
	for _, raw := range []string{"0:", "0:notanumber:v", "0:123"} {
		if err := s.c.Do(ctx, s.c.B().Set().Key(rc.c.entryKey("api1/prod", "k")).Value(raw).Build()).Error(); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := rc.Get(ctx, "api1/prod", "k", t0); err == nil || ok {
			t.Errorf("Get of the entry %q = %q, %v, %v; want an error", raw, v, ok, err)
		}
	}
}

// FuzzParseEntry: parseEntry never panics, and reads back what set writes after the
// generation ("{expires}:{value}") for any expiry and value.
func FuzzParseEntry(f *testing.F) {
	f.Add([]byte("1700000000000000000:value"), int64(1700000000000000000), []byte("value"))
	f.Add([]byte(":"), int64(-1), []byte(""))
	f.Add([]byte("12:\x00:\xff"), int64(0), []byte("a:b:c"))
	f.Fuzz(func(t *testing.T, raw []byte, expires int64, value []byte) {
		parseEntry(raw)
		entry := append([]byte(strconv.FormatInt(expires, 10)+":"), value...)
		e, v, err := parseEntry(entry)
		if err != nil || e != expires || !bytes.Equal(v, value) {
			t.Fatalf("parseEntry(%q) = %d, %q, %v; want %d, %q", entry, e, v, err, expires, value)
		}
	})
}
