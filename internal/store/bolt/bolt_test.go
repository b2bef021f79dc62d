package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

func openTemp(t testing.TB, opts ...Option) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s, err := Open(path, opts...)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	})
}

func TestContractHistoryBytes(t *testing.T) {
	t.Parallel()
	storetest.RunHistoryBytes(t, func(t *testing.T, n int64) store.Store {
		s, _ := openTemp(t, WithHistoryBytes(n))
		return s
	})
}

func put(key, value string) store.Op {
	return store.Op{Key: key, Value: []byte(value), IfRevision: store.AnyRevision}
}

func mustTxn(t testing.TB, s store.Store, ops ...store.Op) int64 {
	t.Helper()
	rev, err := s.Txn(context.Background(), ops...)
	if err != nil {
		t.Fatalf("Txn = %v", err)
	}
	return rev
}

// drain receives until the channel closes or nothing arrives for a while.
func drain(t *testing.T, ch <-chan store.Event, quiet time.Duration) (events []string, closed bool) {
	t.Helper()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return events, true
			}
			events = append(events, fmt.Sprintf("%s=%s@%d", ev.KV.Key, ev.KV.Value, ev.KV.Revision))
		case <-time.After(quiet):
			return events, false
		}
	}
}

// checkFile runs bbolt's consistency check of the page structure on the open store.
func checkFile(t *testing.T, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bbolt.Tx) error {
		var first error
		for err := range tx.Check() { // drain: the checker goroutine holds the transaction
			if first == nil {
				first = err
			}
		}
		return first
	})
	if err != nil {
		t.Fatalf("bbolt consistency check: %v", err)
	}
}

func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openTemp(t)
	mustTxn(t, s, put("a", "1"))
	mustTxn(t, s, put("b", "2"), put("a", "3"))
	mustTxn(t, s, store.Op{Key: "b", Delete: true, IfRevision: 2})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkFile(t, s)
	kvs, rev, err := s.List(ctx, "")
	if err != nil || rev != 3 || len(kvs) != 1 || kvs[0].Key != "a" || string(kvs[0].Value) != "3" || kvs[0].Revision != 2 {
		t.Fatalf("List after reopen = %+v @%d, %v; want [a=3@2] @3", kvs, rev, err)
	}
	// A watcher that restarts with the store replays from the persisted change log.
	ch, err := s.Watch(ctx, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustTxn(t, s, put("c", "4")); got != 4 {
		t.Fatalf("first Txn after reopen = revision %d; want 4", got)
	}
	got, _ := drain(t, ch, 100*time.Millisecond)
	want := []string{"b=2@2", "a=3@2", "b=@3", "c=4@4"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("replay after reopen = %q; want %q", got, want)
	}
}

func TestHistoryCompaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openTemp(t, WithHistory(3))
	for i := 1; i <= 10; i++ {
		mustTxn(t, s, put("k", fmt.Sprint(i)), put(fmt.Sprintf("n%d", i), "x"))
	}
	tests := []struct {
		afterRev  int64
		wantErr   bool
		wantFirst string
	}{
		{0, true, ""},
		{6, true, ""},
		{7, false, "k=8@8"},
		{9, false, "k=10@10"},
	}
	for _, tt := range tests {
		ch, err := s.Watch(ctx, "k", tt.afterRev)
		if tt.wantErr {
			if !errors.Is(err, store.ErrCompacted) {
				t.Errorf("Watch(after %d) = %v; want ErrCompacted", tt.afterRev, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Watch(after %d) = %v", tt.afterRev, err)
		}
		got, _ := drain(t, ch, 50*time.Millisecond)
		if len(got) != int(10-tt.afterRev) || got[0] != tt.wantFirst {
			t.Errorf("Watch(after %d) replayed %q; want %d events from %s", tt.afterRev, got, 10-tt.afterRev, tt.wantFirst)
		}
	}
	// The log is bounded: two records for each of the last 3 revisions.
	var records int
	if err := s.db.View(func(tx *bbolt.Tx) error {
		records = tx.Bucket(bucketLog).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if records != 6 {
		t.Errorf("change log holds %d records; want 6", records)
	}
	// The bound survives a reopen.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, WithHistory(3))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.Watch(ctx, "", 6); !errors.Is(err, store.ErrCompacted) {
		t.Errorf("Watch(after 6) after reopen = %v; want ErrCompacted", err)
	}
}

// TestReplayOvertakenByCompaction: a watcher still replaying when the records it needs are
// trimmed gets what it read, in order and without a gap, then a closed channel. How much it
// read before the trim depends on scheduling, so any gap-free prefix is right; only a watcher
// that kept up may stay open, and then it has seen every revision.
func TestReplayOvertakenByCompaction(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t, WithHistory(5))
	s.replayBatch = 1
	for i := 1; i <= 5; i++ {
		mustTxn(t, s, put("k", fmt.Sprint(i)))
	}
	ch, err := s.Watch(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 6; i <= 8; i++ { // trims revisions 1..3 while the watcher may still need them
		mustTxn(t, s, put("k", fmt.Sprint(i)))
	}
	got, closed := drain(t, ch, 2*time.Second)
	for i, ev := range got {
		if want := fmt.Sprintf("k=%d@%d", i+1, i+1); ev != want {
			t.Fatalf("overtaken replay = %q; event %d is %s, want %s (a gap or disorder)", got, i, ev, want)
		}
	}
	if !closed && len(got) != 8 {
		t.Fatalf("overtaken replay = %q, channel open; want the channel closed after a gap-free prefix, or all 8 events", got)
	}
}

// TestGroupCommit: many concurrent writers, some failing their conditions, share commits;
// each committed Txn still has its own revision, in the order watchers see them, and a
// failed one writes nothing.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	const writers, txns = 16, 20
	ctx := context.Background()
	s, _ := openTemp(t)
	mustTxn(t, s, put("exists", "x")) // revision 1
	ch, err := s.Watch(ctx, "g/", 1)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		key      string
		conflict bool // the Txn was built to fail
		rev      int64
		err      error
	}
	results := make(chan result, writers*txns)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range txns {
				key := fmt.Sprintf("g/%02d/%02d", w, i)
				ops := []store.Op{{Key: key, Value: []byte(key), IfRevision: store.Absent}}
				if i%5 == 0 { // fails: the whole Txn must leave no trace
					ops = append(ops, store.Op{Key: "exists", Value: []byte("y"), IfRevision: store.Absent})
				}
				rev, err := s.Txn(ctx, ops...)
				results <- result{key, i%5 == 0, rev, err}
			}
		})
	}
	testwait.Group(t, &wg, testwait.Patient, "the concurrent writers")
	close(results)
	byRev := map[int64]string{}
	for r := range results {
		switch {
		case r.conflict:
			if !errors.Is(r.err, store.ErrConflict) {
				t.Fatalf("Txn(%s, conflicting) = %d, %v; want ErrConflict", r.key, r.rev, r.err)
			}
			if _, err := s.Get(ctx, r.key); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get(%s) after a failed Txn = %v; want ErrNotFound", r.key, err)
			}
		case r.err != nil:
			t.Fatalf("Txn(%s) = %v", r.key, r.err)
		default:
			if other, dup := byRev[r.rev]; dup {
				t.Fatalf("revision %d returned to both %s and %s", r.rev, other, r.key)
			}
			byRev[r.rev] = r.key
			kv, err := s.Get(ctx, r.key)
			if err != nil || kv.Revision != r.rev {
				t.Fatalf("Get(%s) = @%d, %v; want @%d", r.key, kv.Revision, err, r.rev)
			}
		}
	}
	committed := int64(writers * txns * 4 / 5)
	if int64(len(byRev)) != committed {
		t.Fatalf("%d Txns committed; want %d", len(byRev), committed)
	}
	for rev := int64(2); rev <= committed+1; rev++ {
		ev := testwait.Recv(t, ch, testwait.Patient, fmt.Sprintf("the watch event of revision %d", rev))
		if ev.KV.Revision != rev || ev.KV.Key != byRev[rev] {
			t.Fatalf("watch event %s@%d; want %s@%d", ev.KV.Key, ev.KV.Revision, byRev[rev], rev)
		}
	}
	if kv, err := s.Get(ctx, "exists"); err != nil || string(kv.Value) != "x" || kv.Revision != 1 {
		t.Fatalf("exists = %q@%d, %v; want \"x\"@1", kv.Value, kv.Revision, err)
	}
}

// TestCallRacingClose: a call that passed the closed check just before Close closed the
// bbolt file reports ErrClosed, not bbolt's error.
func TestCallRacingClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openTemp(t)
	mustTxn(t, s, put("a", "1"))
	if err := s.db.Close(); err != nil { // what Close does last, without setting closed
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Get = %v; want ErrClosed", err)
	}
	if _, _, err := s.List(ctx, ""); !errors.Is(err, store.ErrClosed) {
		t.Errorf("List = %v; want ErrClosed", err)
	}
	if _, err := s.Txn(ctx, put("a", "2")); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Txn = %v; want ErrClosed", err)
	}
	if _, _, err := s.readLog("", logKey(1, 0), 1); !errors.Is(err, store.ErrClosed) {
		t.Errorf("readLog = %v; want ErrClosed", err)
	}
}

// TestCloseDuringReplay: Close does not wait for a watcher that stopped reading mid-replay.
func TestCloseDuringReplay(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	s.replayBatch = 2
	for i := 1; i <= 10; i++ {
		mustTxn(t, s, put("k", fmt.Sprint(i)))
	}
	ch, err := s.Watch(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	testwait.Recv(t, ch, testwait.Patient, "the first replayed event") // the goroutine is now blocked sending the second event
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	if err := testwait.Recv(t, closed, testwait.Patient, "Close's return with a stalled watcher"); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if got, ok := drain(t, ch, 5*time.Second); !ok || len(got) > 1 {
		t.Fatalf("after Close the watcher got %q, closed %v; want at most one more event, closed", got, ok)
	}
}

func TestWatchDroppedWhenBufferFull(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t, WithWatchBuffer(4))
	ch, err := s.Watch(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 1; i <= 20; i++ {
		mustTxn(t, s, put("k", fmt.Sprint(i)))
	}
	got, closed := drain(t, ch, 5*time.Second)
	if !closed {
		t.Fatalf("slow watcher still open after %d events", len(got))
	}
	// One event held by the goroutine plus 4 buffered, at most.
	if len(got) > 5 || len(got) == 0 || got[0] != "k=1@1" {
		t.Fatalf("dropped watcher received %q; want the first 1..5 events", got)
	}
	t.Logf("20 txns with a stalled watcher took %v", time.Since(start))
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notBolt := filepath.Join(dir, "not-bolt")
	if err := os.WriteFile(notBolt, []byte(strings.Repeat("not a bolt file ", 1024)), 0o600); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer")
	db, err := bbolt.Open(newer, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(metaFormat, u64(formatVersion+1))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want string
	}{
		{filepath.Join(dir, "missing", "x.db"), "no such file"},
		{notBolt, "invalid"},
		{newer, "format version 2"},
	}
	for _, tt := range tests {
		s, err := Open(tt.path)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s) = nil; want an error with %q", tt.path, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
			t.Errorf("Open(%s) = %v; want it to name the file and say %q", tt.path, err, tt.want)
		}
	}
}

// TestLockedFile: a second opener (here another file descriptor in the same process:
// flock locks belong to the open file, so this is what another process sees too; see
// TestLockedFileOtherProcess) fails after the lock timeout instead of hanging.
func TestLockedFile(t *testing.T) {
	t.Parallel()
	_, path := openTemp(t)
	for _, timeout := range []time.Duration{0, 200 * time.Millisecond} {
		type opened struct {
			s   *Store
			err error
		}
		done := make(chan opened, 1)
		go func() {
			s, err := Open(path, WithLockTimeout(timeout))
			done <- opened{s, err}
		}()
		// A deadline for a hang, not a measure of the lock timeout: a busy machine may take
		// much longer than timeout to return.
		o := testwait.Recv(t, done, timeout+testwait.Patient, fmt.Sprintf("Open of a locked file with lock timeout %v", timeout))
		s, err := o.s, o.err
		if err == nil {
			s.Close()
			t.Fatalf("Open of a locked file = nil; want an error")
		}
		// Section 7 of issue 7: the usual cause is a second gatehouse on the data dir.
		if want := "another gatehouse probably holds the data dir " + filepath.Dir(path); !strings.Contains(err.Error(), "locked by another process") || !strings.Contains(err.Error(), want) {
			t.Errorf("Open of a locked file = %v; want it to say the file is locked and %q", err, want)
		}
	}
}

func BenchmarkTxn(b *testing.B) {
	for _, size := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("value=%dB", size), func(b *testing.B) {
			s, _ := openTemp(b)
			ctx := context.Background()
			value := make([]byte, size)
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				if _, err := s.Txn(ctx, store.Op{Key: fmt.Sprintf("k%04d", i%1000), Value: value, IfRevision: store.AnyRevision}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkTxnParallel runs goroutines×GOMAXPROCS concurrent writers: group commit shares
// fsyncs between them.
func BenchmarkTxnParallel(b *testing.B) {
	for _, goroutines := range []int{1, 8} {
		b.Run(fmt.Sprintf("goroutines=%dxGOMAXPROCS", goroutines), func(b *testing.B) {
			s, _ := openTemp(b)
			ctx := context.Background()
			value := make([]byte, 100)
			b.SetParallelism(goroutines)
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := s.Txn(ctx, store.Op{Key: fmt.Sprintf("k%04d", i%1000), Value: value, IfRevision: store.AnyRevision}); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

func benchStore(b *testing.B, keys, size int) *Store {
	b.Helper()
	s, _ := openTemp(b)
	ops := make([]store.Op, keys)
	for i := range ops {
		ops[i] = store.Op{Key: fmt.Sprintf("k%05d", i), Value: make([]byte, size), IfRevision: store.AnyRevision}
	}
	mustTxn(b, s, ops...)
	return s
}

func BenchmarkGet(b *testing.B) {
	for _, size := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("value=%dB", size), func(b *testing.B) {
			s := benchStore(b, 1000, size)
			ctx := context.Background()
			i := 0
			for b.Loop() {
				if _, err := s.Get(ctx, fmt.Sprintf("k%05d", i%1000)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkGetParallel(b *testing.B) {
	s := benchStore(b, 1000, 100)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Get(ctx, fmt.Sprintf("k%05d", i%1000)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkList1000(b *testing.B) {
	s := benchStore(b, 1000, 100)
	ctx := context.Background()
	for b.Loop() {
		if kvs, _, err := s.List(ctx, "k"); err != nil || len(kvs) != 1000 {
			b.Fatal(len(kvs), err)
		}
	}
}

// fileSize is the size of the file at path.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestFileBoundedByLiveData: rewriting one large value many times (what every management
// operation did to its API's document) keeps the file within a small multiple of the live
// data plus the history's byte bound, because the trimmed history's pages are reused. With a
// history bounded by count only, the file held the last 1,000 copies (with the defaults and
// 200 rewrites of 256 KiB: 65 MiB).
func TestFileBoundedByLiveData(t *testing.T) {
	t.Parallel()
	const historyBytes = 1 << 20
	s, path := openTemp(t, WithHistoryBytes(historyBytes))
	value := make([]byte, 128<<10)
	for i := range 100 { // 12.5 MiB written, 128 KiB live
		value[0] = byte(i)
		mustTxn(t, s, put("api", string(value)))
	}
	limit := int64(3*historyBytes + 1<<20)
	if got := fileSize(t, path); got > limit {
		t.Errorf("file after 100 rewrites of a 128 KiB value = %d KiB; want at most %d KiB", got>>10, limit>>10)
	}
}

// TestCompactOnOpen: a file bloated by a large history (an earlier version's, or a larger
// bound's) is trimmed to this Open's bounds and rewritten with its live pages only; the data,
// revisions and recent history survive.
func TestCompactOnOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openTemp(t, WithHistoryBytes(1<<40))
	value := make([]byte, 256<<10)
	var rev int64
	for i := range 32 {
		value[0] = byte(i)
		rev = mustTxn(t, s, put("big", string(value)), put(fmt.Sprintf("small/%02d", i), "x"))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileSize(t, path)
	if before < 8<<20 {
		t.Fatalf("setup: file of %d KiB; want the 8 MiB history in it", before>>10)
	}
	const slack = 1 << 20
	s2, err := Open(path, WithHistoryBytes(256<<10), func(o *options) { o.compactSlack = slack })
	if err != nil {
		t.Fatalf("Open of a bloated file = %v", err)
	}
	t.Cleanup(func() { _ = s2.Close() })
	if after := fileSize(t, path); after > slack {
		t.Errorf("file after compaction on Open = %d KiB (was %d KiB); want at most %d KiB", after>>10, before>>10, slack>>10)
	}
	kv, err := s2.Get(ctx, "big")
	if err != nil || kv.Revision != rev || kv.Value[0] != 31 {
		t.Fatalf("Get(big) after compaction = @%d %v; want the last value @%d", kv.Revision, err, rev)
	}
	kvs, listRev, err := s2.List(ctx, "small/")
	if err != nil || len(kvs) != 32 || listRev != rev {
		t.Fatalf("List(small/) after compaction = %d keys @%d, %v; want 32 @%d", len(kvs), listRev, err, rev)
	}
	ch, err := s2.Watch(ctx, "small/", rev-1)
	if err != nil {
		t.Fatalf("Watch(after %d) after compaction = %v", rev-1, err)
	}
	got, _ := drain(t, ch, 2*time.Second)
	if want := fmt.Sprintf("small/31=x@%d", rev); len(got) != 1 || got[0] != want {
		t.Errorf("Watch(after %d) after compaction replayed %q; want [%s]", rev-1, got, want)
	}
	if _, err := s2.Watch(ctx, "", 1); !errors.Is(err, store.ErrCompacted) {
		t.Errorf("Watch(after 1) after compaction = %v; want ErrCompacted", err)
	}
	if _, err := os.Stat(path + ".compact"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(%s.compact) = %v; want it gone", path, err)
	}
	mustTxn(t, s2, put("after", "1")) // and it is writable
}
