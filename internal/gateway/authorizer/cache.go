package authorizer

import (
	"context"
	"strings"
	"sync"
	"time"
)

// DefaultMaxEntries is the in-process cache's bound when NewMemoryCache is given none.
const DefaultMaxEntries = 100_000

// MemoryCache is the in-process authorizer cache: a map bounded in entries, expiring by the
// times its callers pass (the gateway's clock). Safe for concurrent use.
type MemoryCache struct {
	max int
	mu  sync.RWMutex
	m   map[string]memEntry
}

type memEntry struct {
	value   []byte
	expires time.Time
}

// NewMemoryCache returns a cache of at most maxEntries entries (DefaultMaxEntries when not
// positive). When full, a Set first drops the expired entries, then, if that freed nothing,
// an arbitrary tenth of the entries.
func NewMemoryCache(maxEntries int) *MemoryCache {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	return &MemoryCache{max: maxEntries, m: make(map[string]memEntry)}
}

// Get implements Cache.
func (c *MemoryCache) Get(_ context.Context, key string, now time.Time) ([]byte, bool, error) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return nil, false, nil
	}
	return e.value, true, nil
}

// Set implements Cache. The value is kept as given: callers must not modify it after.
func (c *MemoryCache) Set(_ context.Context, key string, value []byte, now, expires time.Time) error {
	if !now.Before(expires) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max {
			drop := max(c.max/10, 1)
			for k := range c.m {
				if drop == 0 {
					break
				}
				delete(c.m, k)
				drop--
			}
		}
	}
	c.m[key] = memEntry{value: value, expires: expires}
	return nil
}

// FlushStage drops every entry of the stage: the keys under "{apiId}/{stage}/".
func (c *MemoryCache) FlushStage(_ context.Context, apiID, stage string) error {
	prefix := apiID + "/" + stage + "/"
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if strings.HasPrefix(k, prefix) {
			delete(c.m, k)
		}
	}
	return nil
}

// Len returns the number of entries, expired ones included.
func (c *MemoryCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
