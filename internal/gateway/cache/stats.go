package cache

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
)

// Stats counts, per stage and method, the requests the cache answered (hits) and those that
// reached the integration (misses), as AWS's CacheHitCount and CacheMissCount metrics do.
// Counts survive a stage's recompilation and a flush. Safe for concurrent use.
type Stats struct {
	mu sync.Mutex
	m  map[statKey]*Counter
}

type statKey struct{ stage, resourcePath, method string }

// Counter is one method's counts on one stage.
type Counter struct {
	hits, misses atomic.Uint64
}

// Counter returns the counter of a method ("GET", or "ANY") on a resource of stage
// ("{apiId}/{stage}"), creating it.
func (s *Stats) Counter(stage, resourcePath, method string) *Counter {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := statKey{stage, resourcePath, method}
	c := s.m[k]
	if c == nil {
		if s.m == nil {
			s.m = map[statKey]*Counter{}
		}
		c = &Counter{}
		s.m[k] = c
	}
	return c
}

// Stat is one method's counts on one stage.
type Stat struct {
	Stage        string // "{apiId}/{stage}"
	ResourcePath string // "/pets/{id}"
	Method       string // the method's HTTP method: "GET", "ANY"
	Hits         uint64 // requests answered from the cache
	Misses       uint64 // requests of a cached method that reached the integration
}

// Snapshot returns every counter, ordered by stage, resource path and method.
func (s *Stats) Snapshot() []Stat {
	s.mu.Lock()
	out := make([]Stat, 0, len(s.m))
	for k, c := range s.m {
		out = append(out, Stat{Stage: k.stage, ResourcePath: k.resourcePath, Method: k.method, Hits: c.hits.Load(), Misses: c.misses.Load()})
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Stat) int {
		return cmp.Or(cmp.Compare(a.Stage, b.Stage), cmp.Compare(a.ResourcePath, b.ResourcePath), cmp.Compare(a.Method, b.Method))
	})
	return out
}

// Forget drops the counters of stage (a deleted stage).
func (s *Stats) Forget(stage string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.m {
		if k.stage == stage {
			delete(s.m, k)
		}
	}
}
