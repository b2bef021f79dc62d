// Package storetest is the contract every store.Store backend passes: the memory and bolt
// backends each call Run from their tests, so the data plane and the management plane can
// rely on one set of semantics whatever backs them.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// waitTimeout bounds every wait for an event or a channel close; it only matters when a
// backend is broken, so it is generous.
const waitTimeout = 10 * time.Second

// quietPeriod is how long the suite waits to be reasonably sure nothing more arrives on a
// watch channel. A too short wait can only hide a bug, never fail a correct backend.
const quietPeriod = 50 * time.Millisecond

// Run runs the contract suite. open returns a new, empty store each time it is called; the
// suite closes it (Close must be safe to call twice), and open may register its own cleanup.
// Subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	o := func(t *testing.T) store.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"Empty", testEmpty},
		{"Revisions", testRevisions},
		{"EmptyTxn", testEmptyTxn},
		{"ListOrderAndPrefix", testListOrderAndPrefix},
		{"TxnConditions", testTxnConditions},
		{"TxnAllOrNothing", testTxnAllOrNothing},
		{"TxnSameKeyTwice", testTxnSameKeyTwice},
		{"TxnEmptyKey", testTxnEmptyKey},
		{"EmptyValue", testEmptyValue},
		{"CanceledContext", testCanceledContext},
		{"ValuesCopied", testValuesCopied},
		{"Close", testClose},
		{"CloseWhileBusy", testCloseWhileBusy},
		{"WatchLive", testWatchLive},
		{"WatchReplay", testWatchReplay},
		{"WatchFromFuture", testWatchFromFuture},
		{"WatchCancel", testWatchCancel},
		{"WatchSlowWatcherDropped", testWatchSlowWatcherDropped},
		{"ListThenWatch", testListThenWatch},
		{"UpdateSemantics", testUpdateSemantics},
		{"UpdateContention", testUpdateContention},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, o)
		})
	}
}

// put returns an unconditional put.
func put(key, value string) store.Op {
	return store.Op{Key: key, Value: []byte(value), IfRevision: store.AnyRevision}
}

// del returns an unconditional delete.
func del(key string) store.Op {
	return store.Op{Key: key, Delete: true, IfRevision: store.AnyRevision}
}

func mustTxn(t *testing.T, s store.Store, ops ...store.Op) int64 {
	t.Helper()
	rev, err := s.Txn(context.Background(), ops...)
	if err != nil {
		t.Fatalf("Txn(%v) = %v; want nil", ops, err)
	}
	return rev
}

func mustList(t *testing.T, s store.Store, prefix string) ([]store.KV, int64) {
	t.Helper()
	kvs, rev, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q) = %v; want nil", prefix, err)
	}
	return kvs, rev
}

// storeRev is the store's current revision, as List reports it.
func storeRev(t *testing.T, s store.Store) int64 {
	t.Helper()
	_, rev := mustList(t, s, "\xff\xff\xff-no-such-prefix")
	return rev
}

// wantKV checks that key holds value at revision rev.
func wantKV(t *testing.T, s store.Store, key, value string, rev int64) {
	t.Helper()
	kv, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q) = %v; want %q@%d", key, err, value, rev)
	}
	if kv.Key != key || string(kv.Value) != value || kv.Revision != rev {
		t.Fatalf("Get(%q) = %q %q@%d; want %q@%d", key, kv.Key, kv.Value, kv.Revision, value, rev)
	}
}

// wantAbsent checks that Get(key) is ErrNotFound.
func wantAbsent(t *testing.T, s store.Store, key string) {
	t.Helper()
	if kv, err := s.Get(context.Background(), key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %q@%d, %v; want ErrNotFound", key, kv.Value, kv.Revision, err)
	}
}

// recv returns the next event, failing if the channel closes or nothing comes in time.
func recv(t *testing.T, ch <-chan store.Event) store.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed; want an event")
		}
		return ev
	case <-time.After(waitTimeout):
		t.Fatal("no watch event within timeout")
	}
	panic("unreachable")
}

// wantClosed drains ch and fails unless it is closed in time; it returns what it drained.
func wantClosed(t *testing.T, ch <-chan store.Event) []store.Event {
	t.Helper()
	var got []store.Event
	deadline := time.After(waitTimeout)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, ev)
		case <-deadline:
			t.Fatalf("watch channel still open after %v (drained %d events)", waitTimeout, len(got))
		}
	}
}

// wantQuiet fails if anything arrives on ch during quietPeriod.
func wantQuiet(t *testing.T, ch <-chan store.Event) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if ok {
			t.Fatalf("unexpected watch event %s", fmtEvent(ev))
		}
		t.Fatal("watch channel closed unexpectedly")
	case <-time.After(quietPeriod):
	}
}

func fmtEvent(ev store.Event) string {
	typ := map[store.EventType]string{store.EventPut: "put", store.EventDelete: "delete"}[ev.Type]
	if typ == "" {
		typ = fmt.Sprintf("type(%d)", ev.Type)
	}
	return fmt.Sprintf("%s %s=%q@%d", typ, ev.KV.Key, ev.KV.Value, ev.KV.Revision)
}

// wantEvents receives len(want) events and compares them, then checks nothing else comes.
func wantEvents(t *testing.T, ch <-chan store.Event, want ...store.Event) {
	t.Helper()
	for i, w := range want {
		got := recv(t, ch)
		if fmtEvent(got) != fmtEvent(w) {
			t.Fatalf("event %d = %s; want %s", i, fmtEvent(got), fmtEvent(w))
		}
	}
	wantQuiet(t, ch)
}

func putEv(key, value string, rev int64) store.Event {
	return store.Event{Type: store.EventPut, KV: store.KV{Key: key, Value: []byte(value), Revision: rev}}
}

func delEv(key string, rev int64) store.Event {
	return store.Event{Type: store.EventDelete, KV: store.KV{Key: key, Revision: rev}}
}

func testEmpty(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	wantAbsent(t, s, "a")
	kvs, rev := mustList(t, s, "")
	if len(kvs) != 0 || rev != 0 {
		t.Fatalf("List(\"\") on a new store = %d keys @%d; want 0 keys @0", len(kvs), rev)
	}
}

func testRevisions(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	steps := []struct {
		ops  []store.Op
		want map[string]string // key -> "value@rev"; "" means absent
	}{
		{[]store.Op{put("a", "1")}, map[string]string{"a": "1@1"}},
		{[]store.Op{put("b", "2")}, map[string]string{"a": "1@1", "b": "2@2"}},
		{[]store.Op{put("a", "3")}, map[string]string{"a": "3@3", "b": "2@2"}},
		{[]store.Op{put("a", "4"), put("c", "4")}, map[string]string{"a": "4@4", "b": "2@2", "c": "4@4"}},
		{[]store.Op{del("b")}, map[string]string{"a": "4@4", "b": "", "c": "4@4"}},
		// Deleting an absent key changes nothing but still commits a revision.
		{[]store.Op{del("b")}, map[string]string{"a": "4@4", "b": "", "c": "4@4"}},
		{[]store.Op{put("b", "7")}, map[string]string{"a": "4@4", "b": "7@7", "c": "4@4"}},
	}
	for i, st := range steps {
		want := int64(i + 1)
		if got := mustTxn(t, s, st.ops...); got != want {
			t.Fatalf("step %d: Txn = revision %d; want %d", i, got, want)
		}
		kvs, rev := mustList(t, s, "")
		if rev != want {
			t.Fatalf("step %d: List revision = %d; want %d", i, rev, want)
		}
		got := map[string]string{}
		for _, kv := range kvs {
			got[kv.Key] = fmt.Sprintf("%s@%d", kv.Value, kv.Revision)
		}
		for k, w := range st.want {
			if w == "" {
				wantAbsent(t, s, k)
				if _, ok := got[k]; ok {
					t.Fatalf("step %d: List has deleted key %q", i, k)
				}
				continue
			}
			if got[k] != w {
				t.Fatalf("step %d: List[%q] = %q; want %q", i, k, got[k], w)
			}
			kv, err := s.Get(context.Background(), k)
			if err != nil || fmt.Sprintf("%s@%d", kv.Value, kv.Revision) != w {
				t.Fatalf("step %d: Get(%q) = %q@%d, %v; want %s", i, k, kv.Value, kv.Revision, err, w)
			}
		}
	}
}

func testEmptyTxn(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	if rev := mustTxn(t, s); rev != 0 {
		t.Fatalf("Txn() on a new store = %d; want 0", rev)
	}
	mustTxn(t, s, put("a", "1"))
	if rev := mustTxn(t, s); rev != 1 {
		t.Fatalf("Txn() = %d; want 1 (the current revision)", rev)
	}
	if rev := storeRev(t, s); rev != 1 {
		t.Fatalf("revision after empty Txn = %d; want 1", rev)
	}
}

func testListOrderAndPrefix(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	// Inserted out of order, some in one transaction, to show List sorts by bytes.
	keys := []string{"b", "a/b/c", "a0", "\xffz", "a/", "ab", "a", "a/b", "A"}
	mustTxn(t, s, put(keys[0], "v"), put(keys[1], "v"))
	for _, k := range keys[2:] {
		mustTxn(t, s, put(k, "v"))
	}
	rev := int64(len(keys) - 1)
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"A", "a", "a/", "a/b", "a/b/c", "a0", "ab", "b", "\xffz"}},
		{"a/", []string{"a/", "a/b", "a/b/c"}},
		{"a/b", []string{"a/b", "a/b/c"}},
		{"a", []string{"a", "a/", "a/b", "a/b/c", "a0", "ab"}},
		{"\xff", []string{"\xffz"}},
		{"c", nil},
		{"a/b/c/", nil},
	}
	for _, tt := range tests {
		kvs, gotRev := mustList(t, s, tt.prefix)
		var got []string
		for _, kv := range kvs {
			got = append(got, kv.Key)
			if string(kv.Value) != "v" {
				t.Errorf("List(%q): %q = %q; want \"v\"", tt.prefix, kv.Key, kv.Value)
			}
		}
		if !slices.Equal(got, tt.want) || gotRev != rev {
			t.Errorf("List(%q) = %q @%d; want %q @%d", tt.prefix, got, gotRev, tt.want, rev)
		}
	}
}

func testTxnConditions(t *testing.T, open func(t *testing.T) store.Store) {
	type val struct {
		v   string
		rev int64 // 0: absent
	}
	absent, old, new3 := val{}, val{"old", 1}, val{"new", 3}
	// Each case starts from: x=old@1, y absent, store revision 2 (z written at 2).
	tests := []struct {
		name     string
		op       store.Op
		conflict bool
		wantX    val
		wantY    val
	}{
		{"put existing AnyRevision", store.Op{Key: "x", Value: []byte("new"), IfRevision: store.AnyRevision}, false, new3, absent},
		{"put existing Absent", store.Op{Key: "x", Value: []byte("new"), IfRevision: store.Absent}, true, old, absent},
		{"put existing right revision", store.Op{Key: "x", Value: []byte("new"), IfRevision: 1}, false, new3, absent},
		{"put existing wrong revision", store.Op{Key: "x", Value: []byte("new"), IfRevision: 2}, true, old, absent},
		{"put absent AnyRevision", store.Op{Key: "y", Value: []byte("new"), IfRevision: store.AnyRevision}, false, old, new3},
		{"put absent Absent", store.Op{Key: "y", Value: []byte("new"), IfRevision: store.Absent}, false, old, new3},
		{"put absent with revision", store.Op{Key: "y", Value: []byte("new"), IfRevision: 1}, true, old, absent},
		{"delete existing AnyRevision", store.Op{Key: "x", Delete: true, IfRevision: store.AnyRevision}, false, absent, absent},
		{"delete existing right revision", store.Op{Key: "x", Delete: true, IfRevision: 1}, false, absent, absent},
		{"delete existing wrong revision", store.Op{Key: "x", Delete: true, IfRevision: 3}, true, old, absent},
		{"delete existing Absent", store.Op{Key: "x", Delete: true, IfRevision: store.Absent}, true, old, absent},
		{"delete absent Absent", store.Op{Key: "y", Delete: true, IfRevision: store.Absent}, false, old, absent},
		{"delete absent with revision", store.Op{Key: "y", Delete: true, IfRevision: 2}, true, old, absent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			mustTxn(t, s, put("x", "old"))
			mustTxn(t, s, put("z", "z"))
			rev, err := s.Txn(context.Background(), tt.op)
			switch {
			case tt.conflict && !errors.Is(err, store.ErrConflict):
				t.Fatalf("Txn = %d, %v; want ErrConflict", rev, err)
			case !tt.conflict && err != nil:
				t.Fatalf("Txn = %v; want nil", err)
			case !tt.conflict && rev != 3:
				t.Fatalf("Txn = revision %d; want 3", rev)
			}
			wantRev := int64(3)
			if tt.conflict {
				wantRev = 2
			}
			if got := storeRev(t, s); got != wantRev {
				t.Fatalf("store revision = %d; want %d", got, wantRev)
			}
			for key, want := range map[string]val{"x": tt.wantX, "y": tt.wantY} {
				if want.rev == 0 {
					wantAbsent(t, s, key)
				} else {
					wantKV(t, s, key, want.v, want.rev)
				}
			}
		})
	}
}

func testTxnAllOrNothing(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	mustTxn(t, s, put("x", "1"), put("y", "1"))
	ch, err := s.Watch(ctx, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	// Every op but the last would succeed alone; the last condition fails.
	for i, last := range []store.Op{
		{Key: "y", Value: []byte("2"), IfRevision: 7},
		{Key: "y", Value: []byte("2"), IfRevision: store.Absent},
		{Key: "w", Value: []byte("2"), IfRevision: 1},
		{Key: "w", Delete: true, IfRevision: 1},
	} {
		_, err := s.Txn(ctx,
			store.Op{Key: "a", Value: []byte("2"), IfRevision: store.Absent},
			put("x", "2"),
			store.Op{Key: "y", Delete: true, IfRevision: 1},
			last,
		)
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("case %d: Txn = %v; want ErrConflict", i, err)
		}
	}
	wantAbsent(t, s, "a")
	wantKV(t, s, "x", "1", 1)
	wantKV(t, s, "y", "1", 1)
	if rev := storeRev(t, s); rev != 1 {
		t.Fatalf("store revision after failed Txns = %d; want 1", rev)
	}
	mustTxn(t, s, put("b", "ok"))
	wantEvents(t, ch, putEv("b", "ok", 2))
}

func testTxnSameKeyTwice(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	ch, err := s.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	mustTxn(t, s, put("k", "1"), put("k", "2"))
	wantKV(t, s, "k", "2", 1)
	mustTxn(t, s, put("j", "1"), del("j"))
	wantAbsent(t, s, "j")
	// Conditions see the state before the transaction: k is at revision 1 for both ops.
	mustTxn(t, s,
		store.Op{Key: "k", Value: []byte("3"), IfRevision: 1},
		store.Op{Key: "k", Delete: true, IfRevision: 1},
	)
	wantAbsent(t, s, "k")
	wantEvents(t, ch,
		putEv("k", "1", 1), putEv("k", "2", 1),
		putEv("j", "1", 2), delEv("j", 2),
		putEv("k", "3", 3), delEv("k", 3),
	)
}

func testTxnEmptyKey(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	_, err := s.Txn(context.Background(), put("a", "1"), put("", "x"))
	if err == nil || errors.Is(err, store.ErrConflict) {
		t.Fatalf("Txn with an empty key = %v; want a non-conflict error", err)
	}
	wantAbsent(t, s, "a")
	if rev := storeRev(t, s); rev != 0 {
		t.Fatalf("store revision = %d; want 0", rev)
	}
}

func testEmptyValue(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	mustTxn(t, s, store.Op{Key: "nil", IfRevision: store.Absent}, store.Op{Key: "empty", Value: []byte{}, IfRevision: store.Absent})
	for _, k := range []string{"nil", "empty"} {
		wantKV(t, s, k, "", 1)
	}
	if kvs, _ := mustList(t, s, ""); len(kvs) != 2 {
		t.Fatalf("List = %d keys; want 2", len(kvs))
	}
}

func testCanceledContext(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	mustTxn(t, s, put("a", "1"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Get(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get(canceled) = %v; want context.Canceled", err)
	}
	if _, _, err := s.List(ctx, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("List(canceled) = %v; want context.Canceled", err)
	}
	if _, err := s.Txn(ctx, put("a", "2")); !errors.Is(err, context.Canceled) {
		t.Errorf("Txn(canceled) = %v; want context.Canceled", err)
	}
	if _, err := s.Watch(ctx, "", 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Watch(canceled) = %v; want context.Canceled", err)
	}
	wantKV(t, s, "a", "1", 1)
}

func testValuesCopied(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	ch1, err := s.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	ch2, err := s.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	v := []byte("value")
	mustTxn(t, s, store.Op{Key: "k", Value: v, IfRevision: store.AnyRevision})
	v[0] = 'X' // the caller reuses its buffer
	wantKV(t, s, "k", "value", 1)

	kv, err := s.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	kv.Value[0] = 'G'
	wantKV(t, s, "k", "value", 1)

	kvs, _ := mustList(t, s, "")
	kvs[0].Value[0] = 'L'
	wantKV(t, s, "k", "value", 1)

	ev1 := recv(t, ch1)
	ev1.KV.Value[0] = 'W'
	if ev2 := recv(t, ch2); string(ev2.KV.Value) != "value" {
		t.Fatalf("second watcher got %q after the first changed its copy; want \"value\"", ev2.KV.Value)
	}
	wantKV(t, s, "k", "value", 1)
	// A replay after the first watcher changed its copy still sees the stored value.
	ch3, err := s.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ev3 := recv(t, ch3); string(ev3.KV.Value) != "value" {
		t.Fatalf("replayed event = %q; want \"value\"", ev3.KV.Value)
	}
}

func testClose(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	mustTxn(t, s, put("a", "1"))
	ch, err := s.Watch(ctx, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v; want nil", err)
	}
	if got := wantClosed(t, ch); len(got) != 0 {
		t.Fatalf("watch drained %d events after Close; want 0", len(got))
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Get after Close = %v; want ErrClosed", err)
	}
	if _, _, err := s.List(ctx, ""); !errors.Is(err, store.ErrClosed) {
		t.Errorf("List after Close = %v; want ErrClosed", err)
	}
	if _, err := s.Txn(ctx, put("a", "2")); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Txn after Close = %v; want ErrClosed", err)
	}
	if _, err := s.Txn(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Txn() after Close = %v; want ErrClosed", err)
	}
	if _, err := s.Watch(ctx, "", 0); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Watch after Close = %v; want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
}

// testCloseWhileBusy closes the store under concurrent readers, writers and watchers: every
// call either works or fails with ErrClosed, and every watch channel closes.
func testCloseWhileBusy(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	mustTxn(t, s, put("a", "0"))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []error
	check := func(err error) bool {
		if err != nil && !errors.Is(err, store.ErrClosed) {
			mu.Lock()
			bad = append(bad, err)
			mu.Unlock()
		}
		return err == nil
	}
	stop := make(chan struct{})
	const busyCalls = 40
	var calls atomic.Int64
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				switch (g + i) % 4 {
				case 0:
					_, err = s.Get(ctx, "a")
				case 1:
					_, _, err = s.List(ctx, "")
				case 2:
					_, err = s.Txn(ctx, put("a", fmt.Sprint(i)))
				case 3:
					var ch <-chan store.Event
					if ch, err = s.Watch(ctx, "", 0); err == nil {
						wg.Go(func() { // drain until Close ends it
							timeout := time.After(waitTimeout)
							for {
								select {
								case _, ok := <-ch:
									if !ok {
										return
									}
								case <-timeout:
									check(errors.New("watch channel still open after Close"))
									return
								}
							}
						})
					}
				}
				calls.Add(1)
				if !check(err) {
					return // closed
				}
			}
		})
	}
	// Close once the goroutines are busy: every kind of call has run a few times.
	deadline := time.Now().Add(waitTimeout)
	for calls.Load() < busyCalls {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls within %v; want %d before Close", calls.Load(), waitTimeout, busyCalls)
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	close(stop)
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("calls racing Close failed with %v; want nil or ErrClosed", bad)
	}
}

func testWatchLive(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	mustTxn(t, s, put("p/old", "0"))
	ch, err := s.Watch(context.Background(), "p/", 1)
	if err != nil {
		t.Fatal(err)
	}
	mustTxn(t, s, put("p/a", "1"))                                     // 2
	mustTxn(t, s, put("q/a", "1"))                                     // 3: other prefix
	mustTxn(t, s, put("p", "1"))                                       // 4: shorter than the prefix
	mustTxn(t, s, put("q/b", "1"), put("p/b", "2"))                    // 5: mixed
	mustTxn(t, s, del("p/a"), del("p/none"))                           // 6: delete, and delete of an absent key
	mustTxn(t, s, put("p/c", "3"), put("p/d", "4"), put("p/old", "5")) // 7
	mustTxn(t, s, del("p/none"))                                       // 8: no event at all
	mustTxn(t, s, put("p/e", "6"))                                     // 9
	wantEvents(t, ch,
		putEv("p/a", "1", 2),
		putEv("p/b", "2", 5),
		delEv("p/a", 6),
		putEv("p/c", "3", 7), putEv("p/d", "4", 7), putEv("p/old", "5", 7),
		putEv("p/e", "6", 9),
	)
}

func testWatchReplay(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	mustTxn(t, s, put("a", "1"))           // 1
	mustTxn(t, s, put("b", "2"))           // 2
	mustTxn(t, s, put("a", "3"), del("b")) // 3
	mustTxn(t, s, put("x/c", "4"))         // 4
	mustTxn(t, s, put("a", "5"))           // 5
	all := []store.Event{
		putEv("a", "1", 1), putEv("b", "2", 2), putEv("a", "3", 3), delEv("b", 3),
		putEv("x/c", "4", 4), putEv("a", "5", 5),
	}
	tests := []struct {
		prefix   string
		afterRev int64
		want     []store.Event
	}{
		{"", 0, all},
		{"", 2, all[2:]},
		{"", 3, all[4:]},
		{"", 5, nil},
		{"a", 1, []store.Event{all[2], all[5]}},
		{"x/", 0, []store.Event{all[4]}},
	}
	for _, tt := range tests {
		ch, err := s.Watch(ctx, tt.prefix, tt.afterRev)
		if err != nil {
			t.Fatalf("Watch(%q, %d) = %v", tt.prefix, tt.afterRev, err)
		}
		wantEvents(t, ch, tt.want...)
	}
	// A replaying watcher goes on with live events, without a gap or a repeat.
	ch, err := s.Watch(ctx, "", 3)
	if err != nil {
		t.Fatal(err)
	}
	mustTxn(t, s, put("a", "6"))
	wantEvents(t, ch, all[4], all[5], putEv("a", "6", 6))
}

func testWatchFromFuture(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	mustTxn(t, s, put("a", "1"))
	ch, err := s.Watch(context.Background(), "", 3)
	if err != nil {
		t.Fatal(err)
	}
	mustTxn(t, s, put("a", "2")) // 2
	mustTxn(t, s, put("a", "3")) // 3
	mustTxn(t, s, put("a", "4")) // 4
	wantEvents(t, ch, putEv("a", "4", 4))
}

func testWatchCancel(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	idle, cancelIdle := context.WithCancel(context.Background())
	chIdle, err := s.Watch(idle, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	mustTxn(t, s, put("a", "1"))
	cancel()
	wantClosed(t, ch) // may or may not deliver the event first
	// Writers go on after a watcher is gone.
	mustTxn(t, s, put("a", "2"))
	cancelIdle()
	if got := wantClosed(t, chIdle); len(got) > 2 {
		t.Fatalf("canceled watcher drained %d events; want at most 2", len(got))
	}
}

func testWatchSlowWatcherDropped(t *testing.T, open func(t *testing.T) store.Store) {
	const txns, opsPerTxn = 100, 100 // 10,000 events: more than any backend buffers
	s := open(t)
	ch, err := s.Watch(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var want []store.Event
	for i := range txns {
		ops := make([]store.Op, opsPerTxn)
		for j := range ops {
			k := fmt.Sprintf("k%03d", j)
			ops[j] = put(k, fmt.Sprint(i))
			want = append(want, putEv(k, fmt.Sprint(i), int64(i+1)))
		}
		mustTxn(t, s, ops...) // must not block on the watcher that does not read
	}
	got := wantClosed(t, ch)
	if len(got) >= len(want) {
		t.Fatalf("slow watcher received all %d events; want it dropped", len(got))
	}
	// What it did receive is exactly the start of the stream.
	for i, ev := range got {
		if fmtEvent(ev) != fmtEvent(want[i]) {
			t.Fatalf("dropped watcher's event %d = %s; want %s", i, fmtEvent(ev), fmtEvent(want[i]))
		}
	}
	// The store still works and a new watcher from the current revision sees new writes.
	ch2, err := s.Watch(context.Background(), "", txns)
	if err != nil {
		t.Fatal(err)
	}
	mustTxn(t, s, put("after", "1"))
	wantEvents(t, ch2, putEv("after", "1", txns+1))
}

// testListThenWatch is how the data plane follows the store: List, then Watch from the
// listed revision. Under concurrent writers the rebuilt state must equal the final state.
func testListThenWatch(t *testing.T, open func(t *testing.T) store.Store) {
	const writers, writes = 4, 60
	ctx := context.Background()
	s := open(t)
	mustTxn(t, s, put("c/seed", "0"), put("other", "0"))

	var wg sync.WaitGroup
	started := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var writeErrs []error
	for w := range writers {
		wg.Go(func() {
			defer once.Do(func() { close(started) }) // even on failure: never leave the reader waiting
			for i := range writes {
				k := fmt.Sprintf("c/w%d/%d", w, i%7)
				var err error
				switch {
				case i%5 == 4:
					_, err = s.Txn(ctx, del(k), put("other", fmt.Sprint(i)))
				case i%3 == 2:
					_, err = s.Txn(ctx, put(k, fmt.Sprint(i)), put(fmt.Sprintf("c/w%d/x", w), fmt.Sprint(i)))
				default:
					_, err = s.Txn(ctx, put(k, fmt.Sprint(i)))
				}
				if err != nil {
					mu.Lock()
					writeErrs = append(writeErrs, err)
					mu.Unlock()
					return
				}
				if i == writes/4 {
					once.Do(func() { close(started) })
				}
			}
		})
	}
	<-started // List in the middle of the stream of writes
	kvs, rev := mustList(t, s, "c/")
	state := map[string]string{}
	for _, kv := range kvs {
		state[kv.Key] = string(kv.Value)
	}
	ch, err := s.Watch(ctx, "c/", rev)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		wg.Wait()
		_, _ = s.Txn(ctx, put("c/done", "1")) // if it fails, recv below times out
	}()
	last := rev
	for {
		ev := recv(t, ch)
		if ev.KV.Revision <= rev || ev.KV.Revision < last {
			t.Fatalf("event %s after revision %d (listed at %d); want increasing revisions after the list", fmtEvent(ev), last, rev)
		}
		last = ev.KV.Revision
		if ev.KV.Key == "c/done" {
			break
		}
		switch ev.Type {
		case store.EventPut:
			state[ev.KV.Key] = string(ev.KV.Value)
		case store.EventDelete:
			delete(state, ev.KV.Key)
		default:
			t.Fatalf("event type %d", ev.Type)
		}
	}
	wg.Wait()
	if len(writeErrs) > 0 {
		t.Fatalf("writers: %v", writeErrs)
	}
	final, _ := mustList(t, s, "c/")
	want := map[string]string{}
	for _, kv := range final {
		if kv.Key != "c/done" {
			want[kv.Key] = string(kv.Value)
		}
	}
	if fmt.Sprint(state) != fmt.Sprint(want) {
		t.Fatalf("state rebuilt from List+Watch = %v; want %v", state, want)
	}
}

type counter struct {
	N int `json:"n"`
}

func testUpdateSemantics(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)

	// Absent: fn sees nil; returning nil writes nothing.
	got, err := store.Update(ctx, s, "doc", func(cur *counter) (*counter, []store.Op, error) {
		if cur != nil {
			t.Errorf("fn(cur) = %+v on an absent key; want nil", cur)
		}
		return nil, nil, nil
	})
	if err != nil || got != nil || storeRev(t, s) != 0 {
		t.Fatalf("Update returning nil on an absent key = %v, %v, revision %d; want nil, nil, 0", got, err, storeRev(t, s))
	}

	// Create, with an extra op in the same transaction.
	got, err = store.Update(ctx, s, "doc", func(cur *counter) (*counter, []store.Op, error) {
		return &counter{N: 1}, []store.Op{put("index/doc", "1")}, nil
	})
	if err != nil || got == nil || got.N != 1 {
		t.Fatalf("Update create = %+v, %v; want {N:1}, nil", got, err)
	}
	wantKV(t, s, "doc", `{"n":1}`, 1)
	wantKV(t, s, "index/doc", "1", 1)

	// An error from fn is returned as is and nothing is written.
	errBoom := errors.New("boom")
	if _, err := store.Update(ctx, s, "doc", func(cur *counter) (*counter, []store.Op, error) {
		return &counter{N: 99}, nil, errBoom
	}); !errors.Is(err, errBoom) {
		t.Fatalf("Update with failing fn = %v; want %v", err, errBoom)
	}
	wantKV(t, s, "doc", `{"n":1}`, 1)

	// Returning nil for an existing key deletes it.
	if _, err := store.Update(ctx, s, "doc", func(cur *counter) (*counter, []store.Op, error) {
		if cur == nil || cur.N != 1 {
			t.Errorf("fn(cur) = %+v; want {N:1}", cur)
		}
		return nil, []store.Op{del("index/doc")}, nil
	}); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, s, "doc")
	wantAbsent(t, s, "index/doc")

	var c counter
	mustTxn(t, s, put("doc", `{"n":5}`))
	if rev, err := store.GetJSON(ctx, s, "doc", &c); err != nil || c.N != 5 || rev != 3 {
		t.Fatalf("GetJSON = %+v@%d, %v; want {N:5}@3", c, rev, err)
	}
}

func testUpdateContention(t *testing.T, open func(t *testing.T) store.Store) {
	const goroutines, increments = 8, 25
	ctx := context.Background()
	s := open(t)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Go(func() {
			for range increments {
				_, err := store.Update(ctx, s, "counter", func(cur *counter) (*counter, []store.Op, error) {
					if cur == nil {
						cur = &counter{}
					}
					return &counter{N: cur.N + 1}, nil, nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Update = %v", err)
	}
	var c counter
	rev, err := store.GetJSON(ctx, s, "counter", &c)
	if err != nil {
		t.Fatal(err)
	}
	// Every increment is its own transaction, and none is lost.
	if c.N != goroutines*increments || rev != goroutines*increments {
		t.Fatalf("counter = %d@%d; want %d@%d", c.N, rev, goroutines*increments, goroutines*increments)
	}
}

// RunHistoryBytes runs the contract of a change history bounded by bytes: open returns a new,
// empty store whose watch history keeps at most historyBytes bytes of keys and values (a
// backend may count a few bytes of overhead per event), trimming the oldest revisions first
// but never the newest one. A Watch from a trimmed revision answers ErrCompacted; the recent
// revisions that fit replay in full.
func RunHistoryBytes(t *testing.T, open func(t *testing.T, historyBytes int64) store.Store) {
	t.Helper()
	const budget = 64 << 10
	o := func(t *testing.T) store.Store {
		t.Helper()
		s := open(t, budget)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"OldRevisionsCompacted", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			value := func(i int) string { return fmt.Sprintf("%04d", i) + string(make([]byte, 4<<10)) }
			var rev int64
			for i := range 64 { // 256 KiB of values: four times the budget
				rev = mustTxn(t, s, put("k", value(i)))
			}
			if _, err := s.Watch(ctx, "", 0); !errors.Is(err, store.ErrCompacted) {
				t.Fatalf("Watch(after 0) with %d KiB written into a %d KiB history = %v; want ErrCompacted", 64*4, budget>>10, err)
			}
			// Four revisions (16 KiB) fit: they replay in full, in order.
			ch, err := s.Watch(ctx, "", rev-4)
			if err != nil {
				t.Fatalf("Watch(after %d) = %v; want the last 4 revisions", rev-4, err)
			}
			var want []store.Event
			for i := range 4 {
				want = append(want, putEv("k", value(60+i), rev-3+int64(i)))
			}
			wantEvents(t, ch, want...)
			wantKV(t, s, "k", value(63), rev)
		}},
		{"NewestRevisionKept", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			mustTxn(t, s, put("small", "1"))
			big := string(make([]byte, 2*budget))
			rev := mustTxn(t, s, put("big", big), put("small", "2"))
			// The newest revision alone exceeds the budget; it stays replayable whole.
			ch, err := s.Watch(ctx, "", rev-1)
			if err != nil {
				t.Fatalf("Watch(after %d) = %v; want the newest revision", rev-1, err)
			}
			wantEvents(t, ch, putEv("big", big, rev), putEv("small", "2", rev))
			if _, err := s.Watch(ctx, "", rev-2); !errors.Is(err, store.ErrCompacted) {
				t.Fatalf("Watch(after %d) = %v; want ErrCompacted (trimmed to fit the budget)", rev-2, err)
			}
			// The next write trims the big one.
			rev = mustTxn(t, s, put("small", "3"))
			if _, err := s.Watch(ctx, "", rev-2); !errors.Is(err, store.ErrCompacted) {
				t.Fatalf("Watch(after %d) = %v; want ErrCompacted", rev-2, err)
			}
			ch, err = s.Watch(ctx, "", rev-1)
			if err != nil {
				t.Fatalf("Watch(after %d) = %v", rev-1, err)
			}
			wantEvents(t, ch, putEv("small", "3", rev))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, o(t))
		})
	}
}
