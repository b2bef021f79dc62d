package redisstate

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// quick bounds how long a failing call may take: the call's own deadline plus slack for
// a loaded machine. Reaching it means a call did not honour its deadline.
const quick = 3 * time.Second

// within runs f in a goroutine and fails the test if it has not returned within d
// (testwait bounds the wait, so a hang fails instead of stalling the run).
func within(t *testing.T, d time.Duration, what string, f func()) time.Duration {
	t.Helper()
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	testwait.Recv(t, done, d, what)
	return time.Since(start)
}

func TestNewUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody listens there now
	var nerr error
	within(t, quick, "New against a closed port", func() {
		var s *State
		s, nerr = New(context.Background(), "redis://"+addr+"/0", Options{DialTimeout: 200 * time.Millisecond})
		if s != nil {
			s.Close()
		}
	})
	if nerr == nil {
		t.Fatal("New against a closed port: no error")
	}
	t.Logf("closed port: %v", nerr)
}

func TestNewSilent(t *testing.T) {
	t.Parallel()
	addr := silentListener(t)
	var nerr error
	took := within(t, quick, "New against a listener that never answers", func() {
		var s *State
		s, nerr = New(context.Background(), "redis://"+addr+"/0", Options{DialTimeout: 200 * time.Millisecond})
		if s != nil {
			s.Close()
		}
	})
	if nerr == nil {
		t.Fatal("New against a silent listener: no error")
	}
	t.Logf("silent listener: %v after %v", nerr, took)
}

// silentListener accepts connections and never answers; they close with the test.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go io.Copy(io.Discard, c) // read and drop: never answer
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// proxy forwards TCP to the test Redis until it is made silent (answers are dropped: Redis
// "never answers") or down (every connection and the listener closed).
type proxy struct {
	l      net.Listener
	silent atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newProxy(t *testing.T) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r, err := net.Dial("tcp", "127.0.0.1:6379")
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, r)
			p.mu.Unlock()
			go io.Copy(r, c)
			go p.answers(c, r)
		}
	}()
	t.Cleanup(p.down)
	return p
}

// answers copies Redis's answers to the client while the proxy is not silent.
func (p *proxy) answers(c, r net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 && !p.silent.Load() {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			c.Close()
			return
		}
	}
}

func (p *proxy) down() {
	p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestAdmitFailsFast: with Redis silent, gone, or the caller's context done, every call
// returns an error within its deadline, and the State works again once Redis answers.
func TestAdmitFailsFast(t *testing.T) {
	t.Parallel()
	if redisDown != "" {
		t.Skip(redisDown)
	}
	p := newProxy(t)
	s, err := New(context.Background(), "redis://"+p.l.Addr().String()+"/9", Options{
		Timeout: 100 * time.Millisecond, DialTimeout: 300 * time.Millisecond, Prefix: testPrefix(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	q := dayQuota("k", 100, t0)
	check := &meter.Check{Buckets: []meter.Bucket{{Key: "b", Rate: 1, Burst: 100}}, Quota: q}
	mustAdmit(t, s, t0, check, meter.Admitted)

	calls := []stateCall{
		{"Admit", func() error { _, err := s.Admit(ctx, t0, check); return err }},
		{"Used", func() error { _, err := s.Used(ctx, *q); return err }},
		{"Days", func() error { _, err := s.Days(ctx, q.Key, t0, t0); return err }},
		{"SetRemaining", func() error { return s.SetRemaining(ctx, *q, t0, 5) }},
	}
	failEveryCall(t, p, calls)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Admit(canceled, t0, check); !errors.Is(err, context.Canceled) {
		t.Errorf("Admit with a canceled context: %v, want context.Canceled", err)
	}
}

// TestReconnects: a State whose Redis went away works again when it is back (here: the
// connection is cut under it and Redis itself is still there).
func TestReconnects(t *testing.T) {
	t.Parallel()
	if redisDown != "" {
		t.Skip(redisDown)
	}
	p := newProxy(t)
	s, err := New(context.Background(), "redis://"+p.l.Addr().String()+"/9", Options{
		Timeout: 2 * time.Second, DialTimeout: 2 * time.Second, Prefix: testPrefix(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check := &meter.Check{Buckets: []meter.Bucket{{Key: "b", Rate: 0, Burst: 100}}}
	mustAdmit(t, s, t0, check, meter.Admitted)
	p.mu.Lock()
	for _, c := range p.conns { // cut the connections, keep listening
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	var got meter.Outcome
	testwait.Until(t, testwait.Patient, "Admit to work again after the connection was cut", func() bool {
		o, err := s.Admit(context.Background(), t0, check)
		got = o
		return err == nil
	})
	if got != meter.Admitted {
		t.Fatalf("after reconnecting: %d, want admitted", got)
	}
}

// TestCachesFailFast: with Redis silent or gone, the caches' Get, Set and FlushStage return
// an error within their deadline (no panic, no hang). TestReconnects shows the client
// comes back.
func TestCachesFailFast(t *testing.T) {
	t.Parallel()
	if redisDown != "" {
		t.Skip(redisDown)
	}
	p := newProxy(t)
	s, err := New(context.Background(), "redis://"+p.l.Addr().String()+"/9", Options{
		Timeout: 100 * time.Millisecond, DialTimeout: 300 * time.Millisecond, Prefix: testPrefix(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	rc, az := s.ResponseCache(), s.AuthorizerCache()
	if err := rc.Set(ctx, "api1/prod", "k", []byte("v"), 0, t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	calls := []stateCall{
		{"ResponseCache.Get", func() error { _, _, err := rc.Get(ctx, "api1/prod", "k", t0); return err }},
		{"ResponseCache.Set", func() error { return rc.Set(ctx, "api1/prod", "k", []byte("v"), 0, t0, t0.Add(time.Minute)) }},
		{"ResponseCache.Set expired", func() error { return rc.Set(ctx, "api1/prod", "k", []byte("v"), 0, t0, t0) }},
		{"ResponseCache.FlushStage", func() error { return rc.FlushStage(ctx, "api1/prod") }},
		{"AuthorizerCache.Get", func() error { _, _, err := az.Get(ctx, "api1/prod/k", t0); return err }},
		{"AuthorizerCache.Set", func() error { return az.Set(ctx, "api1/prod/k", []byte("v"), t0, t0.Add(time.Minute)) }},
		{"AuthorizerCache.FlushStage", func() error { return az.FlushStage(ctx, "api1", "prod") }},
	}
	failEveryCall(t, p, calls)
}

// stateCall is one call of the state that must fail when Redis does not answer.
type stateCall struct {
	name string
	call func() error
}

// failEveryCall makes p's Redis silent, then down, and requires each call to fail within
// quick both times.
func failEveryCall(t *testing.T, p *proxy, calls []stateCall) {
	t.Helper()
	run := func(state string) {
		t.Helper()
		for _, c := range calls {
			var err error
			took := within(t, quick, c.name+" with Redis "+state, func() { err = c.call() })
			if err == nil {
				t.Errorf("%s with Redis %s: no error", c.name, state)
			}
			t.Logf("%s with Redis %s: %v after %v", c.name, state, err, took)
		}
	}
	p.silent.Store(true)
	run("silent")
	p.down()
	run("down")
}
