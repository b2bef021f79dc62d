package redisstate

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// multiLimits are the limits of the multi-node checks: a quota of quotaLimit (under a
// bucket that would allow more) and a bucket of bucketBurst (under a quota that would
// allow more), each asked for attempts times in all.
const (
	quotaLimit  = 500
	bucketBurst = 300
	attempts    = 1200
)

// multiChecks are the two checks whose limits the nodes share. The bucket never refills
// (rate 0) and every node uses one now, so the limits are exact counts.
func multiChecks() (quota, bucket *meter.Check) {
	q := dayQuota("plan/{key}", quotaLimit, t0)
	quota = &meter.Check{Buckets: []meter.Bucket{{Key: "wide", Rate: 0, Burst: 1 << 40}}, Quota: q}
	bucket = &meter.Check{Buckets: []meter.Bucket{
		{Key: "stage/{api}/{stage}", Rate: 0, Burst: 1 << 40},
		{Key: "key/{k}", Rate: 0, Burst: bucketBurst},
	}, Quota: dayQuota("plan/{other}", 1<<40, t0)}
	return quota, bucket
}

// hammer asks each check n times from goroutines goroutines spread over states and
// returns how many of each were admitted.
func hammer(t testing.TB, states []*State, goroutines, n int) (quotaAdmitted, bucketAdmitted int64, err error) {
	quota, bucket := multiChecks()
	var qa, ba, next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for g := range goroutines {
		s := states[g%len(states)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(2*n); i = next.Add(1) {
				c, count := quota, &qa
				if i%2 == 0 {
					c, count = bucket, &ba
				}
				o, err := s.Admit(context.Background(), t0, c)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				if o == meter.Admitted {
					count.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if e, ok := firstErr.Load().(error); ok {
		return 0, 0, e
	}
	return qa.Load(), ba.Load(), nil
}

// TestTwoNodes: two States (two clients, two connection pools) on one Redis, 64
// goroutines, admit together exactly the limits.
func TestTwoNodes(t *testing.T) {
	t.Parallel()
	a := newTestState(t)
	b := newStateWithPrefix(t, a.prefix)
	var qa, ba int64
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		qa, ba, err = hammer(t, []*State{a, b}, 64, attempts)
	}()
	testwait.Recv(t, done, testwait.Patient, "the two nodes' checks")
	if err != nil {
		t.Fatal(err)
	}
	if qa != quotaLimit || ba != bucketBurst {
		t.Fatalf("admitted %d of the quota (want %d) and %d of the bucket (want %d)", qa, quotaLimit, ba, bucketBurst)
	}
	quota, _ := multiChecks()
	if used, err := a.Used(context.Background(), *quota.Quota); err != nil || used != quotaLimit {
		t.Fatalf("Used = %d, %v; want %d", used, err, quotaLimit)
	}
}

// childEnv makes the test binary a node of TestTwoProcesses: TestMain runs childMain
// instead of the tests.
const childEnv = "GATEHOUSE_REDISSTATE_CHILD_PREFIX"

// childMain is one node process: it asks the multi-node checks attempts/2 times each from
// 32 goroutines, after its start line on stdin, and prints "quota bucket" admitted.
func childMain() int {
	s, err := New(context.Background(), testURL, Options{Timeout: 5 * time.Second, DialTimeout: 5 * time.Second, Prefix: os.Getenv(childEnv)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer s.Close()
	fmt.Println("ready")
	var line [1]byte
	os.Stdin.Read(line[:]) // the parent's go: both processes are connected by then
	qa, ba, err := hammer(nil, []*State{s}, 32, attempts/2)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("%d %d\n", qa, ba)
	return 0
}

// TestTwoProcesses: two OS processes (this test binary, run as childMain) sharing Redis
// admit together exactly the limits.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	s := newTestState(t) // skips without Redis; gives the prefix
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Patient)
	defer cancel()
	type child struct {
		cmd   *exec.Cmd
		out   *strings.Builder
		stdin interface{ Close() error }
		ready chan struct{}
	}
	var children []*child
	for range 2 {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+s.prefix)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		c := &child{cmd: cmd, out: &strings.Builder{}, stdin: stdin, ready: make(chan struct{})}
		cmd.Stdout = &readyWriter{b: c.out, ready: c.ready}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if stderr.Len() > 0 {
				t.Logf("child stderr: %s", stderr.String())
			}
		})
		children = append(children, c)
	}
	for _, c := range children {
		testwait.Recv(t, c.ready, testwait.Patient, "a child's ready line")
	}
	for _, c := range children {
		c.stdin.Close() // go
	}
	var qa, ba int64
	for i, c := range children {
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v (output %q)", i, err, c.out.String())
		}
		lines := strings.Fields(c.out.String())
		if len(lines) != 3 {
			t.Fatalf("child %d printed %q", i, c.out.String())
		}
		q, err1 := strconv.ParseInt(lines[1], 10, 64)
		b, err2 := strconv.ParseInt(lines[2], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("child %d printed %q", i, c.out.String())
		}
		t.Logf("child %d admitted %d of the quota and %d of the bucket", i, q, b)
		qa, ba = qa+q, ba+b
	}
	if qa != quotaLimit || ba != bucketBurst {
		t.Fatalf("admitted %d of the quota (want %d) and %d of the bucket (want %d)", qa, quotaLimit, ba, bucketBurst)
	}
}

// readyWriter collects a child's stdout and closes ready at its first line.
type readyWriter struct {
	mu    sync.Mutex
	b     *strings.Builder
	ready chan struct{}
	once  sync.Once
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Contains(w.b.String(), "\n") {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}
