package redisstate

import (
	"context"
	"testing"
	"time"
)

func TestAuthorizerCache(t *testing.T) {
	t.Parallel()
	c := newTestState(t).AuthorizerCache()
	ctx := context.Background()
	now := time.Now()
	get := func(key string) (string, bool) {
		t.Helper()
		v, ok, err := c.Get(ctx, key, now)
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		return string(v), ok
	}
	set := func(key, v string, ttl time.Duration) {
		t.Helper()
		if err := c.Set(ctx, key, []byte(v), now, now.Add(ttl)); err != nil {
			t.Fatalf("Set(%q): %v", key, err)
		}
	}
	if v, ok := get("api1/prod/az1/h1"); ok {
		t.Fatalf("Get on an empty cache = %q, true; want a miss", v)
	}
	set("api1/prod/az1/h1", `{"principalId":"a"}`, time.Minute)
	set("api1/test/az1/h1", `{"principalId":"b"}`, time.Minute)
	set("api1/prod/az1/gone", `x`, 0) // already expired: not stored
	if v, ok := get("api1/prod/az1/h1"); !ok || v != `{"principalId":"a"}` {
		t.Fatalf("Get(api1/prod/az1/h1) = %q, %v; want the value set", v, ok)
	}
	if _, ok := get("api1/prod/az1/gone"); ok {
		t.Fatal("an entry set with no time left is stored")
	}
	if err := c.FlushStage(ctx, "api1", "prod"); err != nil {
		t.Fatal(err)
	}
	if v, ok := get("api1/prod/az1/h1"); ok {
		t.Fatalf("after FlushStage(api1, prod): Get = %q; want a miss", v)
	}
	if v, ok := get("api1/test/az1/h1"); !ok || v != `{"principalId":"b"}` {
		t.Fatalf("after FlushStage(api1, prod): Get(api1/test/...) = %q, %v; want the other stage's entry kept", v, ok)
	}
	set("api1/prod/az1/h1", `new`, time.Minute)
	if v, ok := get("api1/prod/az1/h1"); !ok || v != "new" {
		t.Fatalf("Get after a set following the flush = %q, %v; want new", v, ok)
	}
	// Redis expires the entry by its PX; the entry expires by the caller's clock too.
	set("api1/prod/az1/short", `s`, 10*time.Minute)
	cl := c.c.s.c
	pttl, err := cl.Do(ctx, cl.B().Pttl().Key(c.c.entryKey("api1/prod", "az1/short")).Build()).AsInt64()
	if err != nil || pttl <= 9*60*1000 || pttl > 10*60*1000 {
		t.Fatalf("PTTL of an entry set for 10 minutes = %d, %v; want about 600000", pttl, err)
	}
	if v, ok, err := c.Get(ctx, "api1/prod/az1/short", now.Add(10*time.Minute)); err != nil || ok {
		t.Fatalf("Get at its expiry by the caller's clock = %q, %v, %v; want a miss", v, ok, err)
	}
	if _, _, err := c.Get(ctx, "no-stage", now); err == nil {
		t.Error("Get of a key without {apiId}/{stage}/ succeeded; want an error")
	}
}
