package redisstate

import (
	"context"
	"time"
)

// ResponseCache is the REST stage response cache in Redis (the data plane's cache.Store,
// which cmd checks it implements: this package imports no gateway package), shared by every
// node: a response one node got from its integration answers the same request on the
// others until it expires, and FlushStageCache on any node flushes the stage for all. Its
// entries are a stageCache's (stage_cache.go) in the namespace "rc": one round trip a Get
// or Set, FlushStage one INCR of the stage's generation; expiry by the caller's clock, and
// by PX in Redis.
//
// Capacity (the stage's cacheClusterSize) is ignored: Redis's maxmemory bounds the shared
// cache, with a volatile eviction policy (stageCache's comment says why). A failing Redis
// fails the call (Options.Timeout bounds it); the response cache stage decides what the
// client sees.
type ResponseCache struct {
	c stageCache
}

// ResponseCache returns the response cache of the state's Redis.
func (s *State) ResponseCache() *ResponseCache {
	return &ResponseCache{c: stageCache{s: s, ns: "rc"}}
}

// Get implements cache.Store.
func (c *ResponseCache) Get(ctx context.Context, stage, key string, now time.Time) ([]byte, bool, error) {
	return c.c.get(ctx, stage, key, now)
}

// Set implements cache.Store; capacity is ignored.
func (c *ResponseCache) Set(ctx context.Context, stage, key string, value []byte, _ int64, now, expires time.Time) error {
	return c.c.set(ctx, stage, key, value, now, expires)
}

// FlushStage implements cache.Store.
func (c *ResponseCache) FlushStage(ctx context.Context, stage string) error {
	return c.c.flush(ctx, stage)
}
