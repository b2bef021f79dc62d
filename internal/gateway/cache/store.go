// Package cache is the REST stage response cache (AWS's "API cache"): the pipeline stage that
// answers a method's request from a stage's cache or fills it from the integration, and the
// Store it keeps entries in.
package cache

import (
	"context"
	"time"
)

// Store keeps the cached responses of every stage: in process (MemoryStore, bounded per stage
// by its cacheClusterSize) or in Redis (internal/redisstate's ResponseCache, shared by every
// node). Values are opaque to the store: the stage encodes (and, with cacheDataEncrypted,
// encrypts) them. Implementations must be safe for concurrent use and must not keep value
// after Set returns (the caller may reuse it).
//
// stage is "{apiId}/{stageName}": entries of one stage flush together. key is the entry's
// full cache key within the stage. Times are the gateway's clock (gateway.Config.Now), so
// expiry follows an injected clock; a store whose expiry is its own (Redis's PX) may ignore
// now.
type Store interface {
	// Get returns the value stored under key in stage unless it expired by now.
	Get(ctx context.Context, stage, key string, now time.Time) (value []byte, ok bool, err error)
	// Set stores value under key in stage until expires, replacing any value there; an
	// expires not after now drops what key holds.
	// capacity is the stage's cacheClusterSize in bytes: an in-process store evicts the
	// stage's least recently used entries to stay within it; Redis's own maxmemory bounds
	// the shared store, which ignores it.
	Set(ctx context.Context, stage, key string, value []byte, capacity int64, now, expires time.Time) error
	// FlushStage drops every entry of stage (FlushStageCache, a resize of the cluster): no
	// Get after it returns sees an entry Set before it was called.
	FlushStage(ctx context.Context, stage string) error
}
