package bolt

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// childEnv makes the test binary act as a helper process: "crash:<path>" writes to the
// store at path until killed, "lock:<path>" tries to open it once.
const childEnv = "GATEHOUSE_BOLT_TEST_CHILD"

// crashValue is the deterministic value of write i: 7 to 3,500 bytes, so commits touch a
// varying number of pages.
func crashValue(i int) string {
	return strings.Repeat(fmt.Sprintf("%06d.", i), 1+i*37%500)
}

func crashKey(i int) string { return fmt.Sprintf("k%06d", i) }

// TestHelperProcess is not a test: the other tests run it in a child process.
func TestHelperProcess(t *testing.T) {
	mode, path, ok := strings.Cut(os.Getenv(childEnv), ":")
	if !ok {
		t.Skip("helper process for TestCrashRecovery and TestLockedFileOtherProcess")
	}
	switch mode {
	case "crash":
		crashChild(path)
	case "lock":
		start := time.Now()
		s, err := Open(path, WithLockTimeout(300*time.Millisecond))
		if err == nil {
			s.Close()
		}
		fmt.Printf("result after %v: %v\n", time.Since(start).Round(time.Millisecond), err)
	}
	os.Exit(0)
}

// crashChild writes one transaction at a time, each putting the next key and "last", and
// prints "acked <i>" once Txn has returned. It stops by itself after a while in case the
// parent died.
func crashChild(path string) {
	s, err := Open(path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	_, rev, err := s.List(ctx, "last")
	if err != nil {
		fmt.Println("list:", err)
		os.Exit(2)
	}
	deadline := time.Now().Add(20 * time.Second)
	for i := int(rev); time.Now().Before(deadline); i++ {
		_, err := s.Txn(ctx,
			store.Op{Key: crashKey(i), Value: []byte(crashValue(i)), IfRevision: store.Absent},
			store.Op{Key: "last", Value: []byte(strconv.Itoa(i)), IfRevision: store.AnyRevision},
		)
		if err != nil {
			fmt.Println("txn:", err)
			os.Exit(2)
		}
		fmt.Println("acked", i)
	}
	os.Exit(3)
}

// TestCrashRecovery kill -9s a writer mid-stream, several times, and checks after each
// crash that every acknowledged write survived, that at most the one unacknowledged
// transaction in flight is also there, whole, and that the file is consistent.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crash.db")
	lastAcked := -1
	rounds := []struct {
		killAfter int
		delay     time.Duration // after the ack: lands before, inside or after the next commit
	}{{25, 0}, {60, 200 * time.Microsecond}, {40, 500 * time.Microsecond}, {30, time.Millisecond}}
	for round, r := range rounds {
		acked := runCrashChild(t, path, r.killAfter, r.delay)
		for _, i := range acked {
			if i != lastAcked+1 {
				t.Fatalf("round %d: child acked %d after %d", round, i, lastAcked)
			}
			lastAcked = i
		}
		n := verifyCrashFile(t, path, lastAcked)
		t.Logf("round %d: %d acked so far, %d transactions on disk", round, lastAcked+1, n)
		lastAcked = n - 1 // the child resumes after what is on disk
	}
}

// runCrashChild starts the writer, kills it with SIGKILL delay after its killAfter-th ack
// and returns every write it acknowledged.
func runCrashChild(t *testing.T, path string, killAfter int, delay time.Duration) []int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=crash:"+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []int
	var other []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		n, ok := strings.CutPrefix(sc.Text(), "acked ")
		if !ok {
			other = append(other, sc.Text())
			continue
		}
		i, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
		acked = append(acked, i)
		if len(acked) == killAfter {
			go func() {
				time.Sleep(delay)
				_ = cmd.Process.Kill() // SIGKILL: no cleanup runs
			}()
		}
		// Lines already in the pipe were acked before the kill: keep reading them.
	}
	err = cmd.Wait()
	if len(acked) < killAfter {
		t.Fatalf("child stopped after %d acks (%v): %q", len(acked), err, other)
	}
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child exit = %v; want killed", err)
	}
	return acked
}

// verifyCrashFile opens the store after a crash and returns how many transactions it holds.
func verifyCrashFile(t *testing.T, path string, lastAcked int) int {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	checkFile(t, s)
	ctx := context.Background()
	kvs, rev, err := s.List(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	n := len(kvs)
	// Every acked write is there; at most the one in flight is there too.
	if n < lastAcked+1 || n > lastAcked+2 {
		t.Fatalf("%d writes on disk after %d acked; want %d or %d", n, lastAcked+1, lastAcked+1, lastAcked+2)
	}
	if rev != int64(n) {
		t.Fatalf("store revision %d with %d writes on disk; want equal", rev, n)
	}
	for i, kv := range kvs {
		if kv.Key != crashKey(i) || string(kv.Value) != crashValue(i) || kv.Revision != int64(i+1) {
			t.Fatalf("record %d = %q@%d (%d bytes); want %q@%d (%d bytes)", i, kv.Key, kv.Revision, len(kv.Value), crashKey(i), i+1, len(crashValue(i)))
		}
	}
	// Both keys of the last transaction committed together.
	last, err := s.Get(ctx, "last")
	if err != nil || string(last.Value) != strconv.Itoa(n-1) || last.Revision != int64(n) {
		t.Fatalf("last = %q@%d, %v; want %d@%d", last.Value, last.Revision, err, n-1, n)
	}
	// The change log agrees with the data: replay the last transactions.
	from := max(int64(n)-5, 0)
	ch, err := s.Watch(ctx, "k", from)
	if err != nil {
		t.Fatal(err)
	}
	for i := int(from); i < n; i++ {
		ev := testwait.Recv(t, ch, testwait.Patient, fmt.Sprintf("the replayed event of revision %d", i+1))
		if ev.KV.Key != crashKey(i) || string(ev.KV.Value) != crashValue(i) || ev.KV.Revision != int64(i+1) {
			t.Fatalf("replayed %q@%d; want %q@%d", ev.KV.Key, ev.KV.Revision, crashKey(i), i+1)
		}
	}
	return n
}

// TestLockedFileOtherProcess: while this process holds the store, another process's Open
// fails after its lock timeout with an error that says why.
func TestLockedFileOtherProcess(t *testing.T) {
	t.Parallel()
	_, path := openTemp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=lock:"+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "locked by another process") {
		t.Fatalf("Open in another process printed %q; want a locked-file error", out)
	}
}
