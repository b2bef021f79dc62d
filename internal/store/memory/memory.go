// Package memory is an in-process store.Store for tests and for the data plane's unit tests.
// Nothing survives the process.
package memory

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/gatehouse/gatehouse/internal/store"
)

// historySize is how many past events a watch can replay from.
const historySize = 4096

// watchBuffer is how many live events a watcher may fall behind before it is dropped.
const watchBuffer = 1024

// Store is an in-memory store.Store. The zero value is not usable: call New.
type Store struct {
	mu     sync.Mutex
	closed bool
	done   chan struct{} // closed by Close: ends the watchers' context goroutines
	rev    int64
	data   map[string]store.KV
	// history holds the last historySize events, oldest first, whose keys and values take
	// at most historyMax bytes (historyBytes) unless they are all of the newest revision.
	// Every event with revision >= historyFrom is in it (events of older revisions may have
	// been trimmed).
	history      []store.Event
	historyFrom  int64
	historyBytes int64
	historyMax   int64
	watchers     map[*watcher]struct{}
}

// Option configures New.
type Option func(*Store)

// WithHistoryBytes bounds the history by the bytes of its events' keys and values (default
// store.DefaultHistoryBytes; values below 1 mean 1): the oldest events go first, but never
// those of the newest revision. A Watch from before the history gets store.ErrCompacted.
func WithHistoryBytes(n int64) Option {
	return func(s *Store) { s.historyMax = max(n, 1) }
}

type watcher struct {
	prefix   string
	afterRev int64 // events up to this revision are not sent (a watch from the future)
	ch       chan store.Event
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{
		done:        make(chan struct{}),
		data:        map[string]store.KV{},
		historyFrom: 1,
		historyMax:  store.DefaultHistoryBytes,
		watchers:    map[*watcher]struct{}{},
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) (store.KV, error) {
	if err := ctx.Err(); err != nil {
		return store.KV{}, fmt.Errorf("get %q: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.KV{}, store.ErrClosed
	}
	kv, ok := s.data[key]
	if !ok {
		return store.KV{}, store.ErrNotFound
	}
	return copyKV(kv), nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("list %q: %w", prefix, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, 0, store.ErrClosed
	}
	var out []store.KV
	for k, kv := range s.data {
		if strings.HasPrefix(k, prefix) {
			out = append(out, copyKV(kv))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, s.rev, nil
}

// Txn implements store.Store.
func (s *Store) Txn(ctx context.Context, ops ...store.Op) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("txn: %w", err)
	}
	for i, op := range ops {
		if op.Key == "" {
			return 0, fmt.Errorf("txn: op %d: empty key", i)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, store.ErrClosed
	}
	for _, op := range ops {
		cur, ok := s.data[op.Key]
		switch {
		case op.IfRevision == store.AnyRevision:
		case op.IfRevision == store.Absent && ok:
			return 0, fmt.Errorf("txn: %q exists: %w", op.Key, store.ErrConflict)
		case op.IfRevision > 0 && (!ok || cur.Revision != op.IfRevision):
			return 0, fmt.Errorf("txn: %q changed: %w", op.Key, store.ErrConflict)
		}
	}
	if len(ops) == 0 {
		return s.rev, nil
	}
	s.rev++
	for _, op := range ops {
		var ev store.Event
		if op.Delete {
			if _, ok := s.data[op.Key]; !ok {
				continue
			}
			delete(s.data, op.Key)
			ev = store.Event{Type: store.EventDelete, KV: store.KV{Key: op.Key, Revision: s.rev}}
		} else {
			kv := store.KV{Key: op.Key, Value: append([]byte(nil), op.Value...), Revision: s.rev}
			s.data[op.Key] = kv
			ev = store.Event{Type: store.EventPut, KV: kv}
		}
		s.publish(ev)
	}
	return s.rev, nil
}

// publish records ev and sends it to matching watchers; s.mu is held. It never blocks.
func (s *Store) publish(ev store.Event) {
	s.history = append(s.history, ev)
	s.historyBytes += eventSize(ev)
	for len(s.history) > historySize || (s.historyBytes > s.historyMax && s.history[0].KV.Revision < s.rev) {
		// Everything of the trimmed event's revision may no longer be complete.
		s.historyFrom = s.history[0].KV.Revision + 1
		s.historyBytes -= eventSize(s.history[0])
		s.history[0] = store.Event{}
		s.history = s.history[1:] // append reallocates: amortized O(1)
	}
	for w := range s.watchers {
		if ev.KV.Revision <= w.afterRev || !strings.HasPrefix(ev.KV.Key, w.prefix) {
			continue
		}
		select {
		case w.ch <- copyEvent(ev):
		default: // fell behind: drop it; its owner must List and watch again
			delete(s.watchers, w)
			close(w.ch)
		}
	}
}

// Watch implements store.Store. The history replayed is buffered in full, so a replay
// never drops the watcher by itself.
func (s *Store) Watch(ctx context.Context, prefix string, afterRev int64) (<-chan store.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("watch %q: %w", prefix, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	if afterRev+1 < s.historyFrom {
		return nil, fmt.Errorf("watch %q after revision %d: history starts at revision %d: %w", prefix, afterRev, s.historyFrom, store.ErrCompacted)
	}
	var replay []store.Event
	for _, ev := range s.history {
		if ev.KV.Revision > afterRev && strings.HasPrefix(ev.KV.Key, prefix) {
			replay = append(replay, copyEvent(ev))
		}
	}
	w := &watcher{prefix: prefix, afterRev: afterRev, ch: make(chan store.Event, watchBuffer+len(replay))}
	for _, ev := range replay {
		w.ch <- ev
	}
	s.watchers[w] = struct{}{}
	go func() {
		select {
		case <-ctx.Done():
		case <-s.done: // Close has closed w.ch
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.watchers[w]; ok {
			delete(s.watchers, w)
			close(w.ch)
		}
	}()
	return w.ch, nil
}

// Close implements store.Store: it ends every watch.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.done)
	for w := range s.watchers {
		close(w.ch)
	}
	s.watchers = nil
	return nil
}

// eventSize is what one event counts against the history's byte bound.
func eventSize(ev store.Event) int64 { return int64(len(ev.KV.Key) + len(ev.KV.Value)) }

func copyKV(kv store.KV) store.KV {
	kv.Value = append([]byte(nil), kv.Value...)
	return kv
}

func copyEvent(ev store.Event) store.Event {
	ev.KV = copyKV(ev.KV)
	return ev
}
