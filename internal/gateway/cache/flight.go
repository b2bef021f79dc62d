package cache

import (
	"context"
	"sync"
	"sync/atomic"
)

// flights makes concurrent misses of one entry reach the integration once: the first
// request (the leader) fetches; the others wait, each with its own context, and share its
// outcome.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

// flight is one fetch in progress; res and err are set before done is closed.
type flight struct {
	done chan struct{}
	res  *cached // nil: the answer cannot be shared (too large, or an error)
	err  error
	// leaderGone: the leader's own context ended, so err is not the integration's answer.
	leaderGone bool
	// waiting counts the requests that waited for it (tests watch it).
	waiting atomic.Int32
}

// join returns the flight of key and whether the caller leads it (and must call land).
func (g *flights) join(key string) (*flight, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f := g.m[key]; f != nil {
		return f, false
	}
	if g.m == nil {
		g.m = map[string]*flight{}
	}
	f := &flight{done: make(chan struct{})}
	g.m[key] = f
	return f, true
}

// land ends the leader's flight with its outcome and wakes the waiters.
func (g *flights) land(key string, f *flight, res *cached, err error, leaderGone bool) {
	g.mu.Lock()
	delete(g.m, key)
	g.mu.Unlock()
	f.res, f.err, f.leaderGone = res, err, leaderGone
	close(f.done)
}

// wait waits for f to land or ctx to end.
func (f *flight) wait(ctx context.Context) error {
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
