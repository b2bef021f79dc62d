package localstate

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/gatehouse/gatehouse/internal/store/bolt"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// childEnv makes the test binary a helper process that admits under a quota, with its
// state flushing to the bolt file named by the value, until it is killed.
const childEnv = "GATEHOUSE_LOCALSTATE_TEST_CHILD"

const (
	crashLimit   = 4000
	crashWorkers = 8
)

// TestHelperProcess is not a test: TestProcessCrash runs it in a child process.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("helper process for TestProcessCrash")
	}
	crashChild(path)
}

// crashChild admits from crashWorkers goroutines, flushing every few milliseconds, and
// writes one line "a" to stdout once each admitted Admit has returned. It stops by itself
// after a while in case the parent died.
func crashChild(path string) {
	st, err := bolt.Open(path)
	if err != nil {
		fmt.Println("open the store:", err)
		os.Exit(2)
	}
	s, err := Open(context.Background(), Options{Store: st, Prefix: prefix, FlushInterval: 3 * time.Millisecond, MaxLease: leaseBlock})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	go s.Run(context.Background())
	q := dayQuota("plan/key", crashLimit, t0)
	var mu sync.Mutex
	out := os.Stdout
	deadline := time.Now().Add(20 * time.Second)
	for range crashWorkers {
		go func() {
			for time.Now().Before(deadline) {
				o, err := s.Admit(context.Background(), t0, &meter.Check{Quota: q})
				if err != nil {
					fmt.Println("admit:", err)
					os.Exit(2)
				}
				if o == meter.Admitted {
					mu.Lock()
					out.WriteString("a\n")
					mu.Unlock()
				}
				time.Sleep(100 * time.Microsecond) // spread the admits over many flushes
			}
		}()
	}
	time.Sleep(time.Until(deadline))
	os.Exit(3)
}

// TestProcessCrash kills (SIGKILL) a process admitting under a quota, with leases and
// flushes in flight, and reopens its bolt file: the period never admits more than its
// limit in all, and loses at most a lease block (and the admits in flight when it died).
func TestProcessCrash(t *testing.T) {
	t.Parallel()
	for _, killAfter := range []int{1, 300, 1500} {
		t.Run(strconv.Itoa(killAfter), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "state.db")
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), childEnv+"="+path)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatalf("starting the child: %v", err)
			}
			lines := make(chan string)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			before := 0
			for before < killAfter {
				line, ok := <-lines
				if !ok {
					t.Fatalf("the child ended after %d admits (want %d)", before, killAfter)
				}
				if line != "a" {
					t.Fatalf("the child said %q", line)
				}
				before++
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatalf("kill: %v", err)
			}
			// What it printed before it died was admitted too.
			for {
				line := testwait.Recv(t, lines, testwait.Patient, "the child's output to end after SIGKILL")
				if line == "" {
					break
				}
				before++
			}
			cmd.Wait()

			st, err := bolt.Open(path)
			if err != nil {
				t.Fatalf("reopening the store: %v", err)
			}
			defer st.Close()
			s := open(t, st)
			defer s.Close()
			q := dayQuota("plan/key", crashLimit, t0)
			after := admitAll(t, s, t0, &meter.Check{Quota: q}, crashLimit+1)
			if before+after > crashLimit {
				t.Errorf("admitted %d before the crash and %d after: %d > the limit %d", before, after, before+after, crashLimit)
			}
			if lost := crashLimit - before - after; lost > leaseBlock+crashWorkers {
				t.Errorf("the crash lost %d requests (admitted %d before, %d after); want at most %d", lost, before, after, leaseBlock+crashWorkers)
			}
			t.Logf("killed after %d admits: %d admitted after the restart, %d lost", before, after, crashLimit-before-after)
		})
	}
}
