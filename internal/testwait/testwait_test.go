package testwait

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// fakeT records what a wait reported; its Fatalf ends the calling goroutine as the real
// one does.
type fakeT struct {
	testing.TB
	fatal string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls wait with a fakeT in a goroutine of its own and returns what it reported.
func run(t *testing.T, name string, wait func(t testing.TB)) string {
	f := &fakeT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait(f)
	}()
	select {
	case <-done:
	case <-time.After(2 * Patient):
		t.Fatalf("%s did not return within %v", name, 2*Patient)
	}
	return f.fatal
}

func TestWaits(t *testing.T) {
	t.Parallel()
	const short = 20 * time.Millisecond
	ready := make(chan int, 1)
	ready <- 7
	closed := make(chan struct{})
	close(closed)
	var idle, busy sync.WaitGroup
	busy.Add(1)
	t.Cleanup(busy.Done)
	for _, tc := range []struct {
		name      string
		wait      func(t testing.TB)
		wantFatal string // "" means the wait returns
	}{
		{"Recv of a sent value", func(t testing.TB) {
			if v := Recv(t, ready, Patient, "seven"); v != 7 {
				panic(fmt.Sprintf("Recv = %d; want 7", v))
			}
		}, ""},
		{"Recv of a closed channel", func(t testing.TB) { Recv(t, closed, Patient, "close") }, ""},
		{"Recv of nothing", func(t testing.TB) { Recv(t, make(chan int), short, "the answer") }, "the answer: not received within 20ms"},
		{"Group of done goroutines", func(t testing.TB) { Group(t, &idle, Patient, "idle") }, ""},
		{"Group still running", func(t testing.TB) { Group(t, &busy, short, "the workers") }, "the workers: not received within 20ms"},
		{"Until true", func(t testing.TB) { Until(t, Patient, "true", func() bool { return true }) }, ""},
		{"Until never", func(t testing.TB) { Until(t, short, "never", func() bool { return false }) }, "never: not so within 20ms"},
	} {
		if got := run(t, tc.name, tc.wait); got != tc.wantFatal {
			t.Errorf("%s: Fatalf(%q); want %q", tc.name, got, tc.wantFatal)
		}
	}
}
