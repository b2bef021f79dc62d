// Package testwait holds the bounded waits of tests: each waits at most a given time and,
// if what it waits for has not happened by then, fails the test with a message naming it.
// A test that waits without a deadline (a bare channel receive, WaitGroup.Wait)
// hangs the whole `go test` run when the code under test misbehaves or the machine is slow,
// and dies ten minutes later with every goroutine's stack instead of one line saying what
// did not happen.
//
// The deadlines are for hangs, not for speed: pick one many times longer than the wait
// takes on a loaded 2-core machine under the race detector (Patient is such a default), so
// that reaching it means something is stuck. Only the test's own goroutine may call these
// (they end the test with t.Fatalf).
//
// Only tests import this package (internal/archtest checks that no other package does).
package testwait

import (
	"sync"
	"testing"
	"time"
)

// Patient is a deadline for a wait that takes milliseconds when all is well: long enough
// for a 2-core machine running other test binaries under -race, far shorter than go test's
// default 10-minute timeout.
const Patient = 30 * time.Second

// Recv returns the next value received from ch (the zero value if ch is closed), or ends
// the test if none arrives within d. what says what the value is, as in "the backend's
// request".
func Recv[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("%s: not received within %v", what, d)
		panic("unreachable") // t.Fatalf does not return
	}
}

// Group waits until wg's counter is zero, or ends the test after d. The goroutine that
// waits on wg is left behind if the deadline passes; the test is failing then.
func Group(t testing.TB, wg *sync.WaitGroup, d time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	Recv(t, done, d, what)
}

// Until polls cond every few milliseconds until it returns true, or ends the test after d.
func Until(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not so within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
