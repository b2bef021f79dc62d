package lambda

import (
	"context"
	"slices"
	"sync"
	"time"
)

// pool is the processes of one function: idle ones on a LIFO stack, and a count of those
// that hold a place under the function's concurrency limit.
type pool struct {
	rt *Runtime

	mu      sync.Mutex
	spec    *Spec                 // the newest revision seen: new processes run it
	idle    []*process            // LIFO: the most recently used on top
	live    int                   // processes holding a place under the limit
	all     map[*process]struct{} // every process not yet reaped
	waiters []chan *process       // FIFO of callers waiting for a place: a process, or nil for "start one"
	closed  bool
}

func newPool(rt *Runtime, spec *Spec) *pool {
	return &pool{rt: rt, spec: cloneSpec(spec), all: make(map[*process]struct{})}
}

func cloneSpec(s *Spec) *Spec {
	c := *s
	if c.Timeout == 0 {
		c.Timeout = defaultFunctionTimeout
	}
	if c.MemoryMB == 0 {
		c.MemoryMB = defaultMemoryMB
	}
	return &c
}

func (p *pool) limitLocked() int {
	if n := p.spec.Concurrency; n > 0 {
		return n
	}
	return p.rt.cfg.DefaultConcurrency
}

// acquire returns a process to run one invocation of spec on: an idle one, a new one while
// the function is under its limit, or the next one freed — unless the spec throttles and
// queue is false: then a *ThrottledError at once. A non-nil Result is the function's own
// failure to start (no bootstrap), to return as the invocation's outcome.
func (p *pool) acquire(ctx context.Context, spec *Spec, requestID string, queue bool) (*process, *Result, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, nil, ErrRuntimeClosed
	}
	var retired []*process
	if spec.Revision != p.spec.Revision {
		// New code or configuration: idle processes of the old revision go now, busy ones
		// when they finish.
		p.spec = cloneSpec(spec)
		retired = p.idle
		p.idle = nil
		for _, pr := range retired {
			p.uncountLocked(pr)
		}
	}
	if n := len(p.idle); n > 0 {
		pr := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return pr, nil, nil
	}
	if p.live < p.limitLocked() {
		p.live++
		cur := p.spec
		p.mu.Unlock()
		terminate(retired)
		return p.start(cur, requestID)
	}
	if p.spec.Throttle && !queue {
		// Runtime.InvokeWith counts the function's calls across its versions; this counts
		// its processes, which also holds when a caller gave up (its count is gone) while
		// the function still runs, as it still runs on AWS.
		limit := p.limitLocked()
		p.mu.Unlock()
		terminate(retired)
		return nil, nil, &ThrottledError{Function: spec.Name, Reserved: limit}
	}
	ch := make(chan *process, 1)
	p.waiters = append(p.waiters, ch)
	p.mu.Unlock()
	terminate(retired)

	select {
	case pr := <-ch:
		return p.granted(pr, requestID)
	case <-ctx.Done():
	}
	p.mu.Lock()
	if i := slices.Index(p.waiters, ch); i >= 0 {
		p.waiters = slices.Delete(p.waiters, i, i+1)
		p.mu.Unlock()
		return nil, nil, ctx.Err()
	}
	p.mu.Unlock()
	// A process or a place was handed over as ctx ended: pass it on.
	if pr := <-ch; pr != nil {
		p.release(pr, true)
	} else {
		p.mu.Lock()
		if !p.closed { // a closed pool hands out no places
			p.live--
			p.grantLocked()
		}
		p.mu.Unlock()
	}
	return nil, nil, ctx.Err()
}

// granted completes an acquire that waited: pr is a freed process, or nil for a place to
// start a new one in (or a closed pool).
func (p *pool) granted(pr *process, requestID string) (*process, *Result, error) {
	if pr != nil {
		return pr, nil, nil
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, nil, ErrRuntimeClosed
	}
	cur := p.spec
	p.mu.Unlock()
	return p.start(cur, requestID)
}

// start starts a process of spec, whose place is already counted; on failure it gives the
// place back.
func (p *pool) start(spec *Spec, requestID string) (*process, *Result, error) {
	pr, res, err := startProcess(p, spec, requestID)
	if pr == nil {
		p.mu.Lock()
		p.live--
		p.grantLocked()
		p.mu.Unlock()
	}
	return pr, res, err
}

// grantLocked hands a free place to the first waiter, if any.
func (p *pool) grantLocked() {
	if len(p.waiters) > 0 && (p.live < p.limitLocked() || p.closed) {
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		if !p.closed {
			p.live++
		}
		ch <- nil
	}
}

// uncountLocked gives pr's place back (once).
func (p *pool) uncountLocked(pr *process) {
	if pr.counted {
		pr.counted = false
		p.live--
	}
}

// release returns pr after an invocation: to a waiter, to the idle stack, or — when it must
// not run again (it timed out or died, or its revision is old, or the pool is shut) — to
// retirement, its place going to a waiter.
func (p *pool) release(pr *process, keep bool) {
	p.mu.Lock()
	if !keep || p.closed || pr.spec.Revision != p.spec.Revision || pr.isDead() {
		p.uncountLocked(pr)
		p.grantLocked()
		p.mu.Unlock()
		pr.terminate()
		return
	}
	if len(p.waiters) > 0 {
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		ch <- pr
		return
	}
	pr.idleSince = time.Now()
	p.idle = append(p.idle, pr)
	p.mu.Unlock()
}

// gone forgets a process that exited.
func (p *pool) gone(pr *process) {
	p.mu.Lock()
	if i := slices.Index(p.idle, pr); i >= 0 {
		p.idle = slices.Delete(p.idle, i, i+1)
	}
	p.uncountLocked(pr)
	p.grantLocked()
	delete(p.all, pr)
	p.mu.Unlock()
}

// reapIdle stops the processes idle since before cutoff (the bottom of the stack).
func (p *pool) reapIdle(cutoff time.Time) {
	p.mu.Lock()
	n := 0
	for n < len(p.idle) && p.idle[n].idleSince.Before(cutoff) {
		n++
	}
	if n == 0 {
		p.mu.Unlock()
		return
	}
	old := slices.Clone(p.idle[:n])
	p.idle = slices.Delete(p.idle, 0, n)
	for _, pr := range old {
		p.uncountLocked(pr)
	}
	p.grantLocked()
	p.mu.Unlock()
	terminate(old)
}

// shut stops the pool: idle processes now, busy ones when they finish (or now, with
// everything, for Close). Waiting callers get ErrRuntimeClosed.
func (p *pool) shut(everything bool) {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	for _, pr := range idle {
		p.uncountLocked(pr)
	}
	for _, ch := range p.waiters {
		ch <- nil
	}
	p.waiters = nil
	var all []*process
	for pr := range p.all {
		all = append(all, pr)
	}
	p.mu.Unlock()
	if everything {
		for _, pr := range all {
			pr.closing.Store(true)
		}
		terminate(all)
	} else {
		terminate(idle)
	}
}

func terminate(prs []*process) {
	for _, pr := range prs {
		pr.terminate()
	}
}
