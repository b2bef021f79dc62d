// Package bolt is gatehouse's embedded store.Store: one bbolt file, fsynced before any
// Txn returns (concurrent transactions share a group commit), with a bounded change log so that watches replay recent history
// (also across restarts of the watcher) and an in-process fan-out to watchers.
//
// One process owns the file: Open takes bbolt's exclusive file lock and fails after a
// short timeout if another process holds it.
package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Defaults of the options.
const (
	// DefaultLockTimeout is how long Open waits for another process to release the file.
	DefaultLockTimeout = time.Second
	// DefaultHistory is how many recent revisions the change log keeps for Watch replay.
	DefaultHistory = 1000
	// DefaultWatchBuffer is how many live events a watcher may fall behind before it is
	// dropped (its channel closed).
	DefaultWatchBuffer = 1024
)

// replayBatch is how many change log records a replaying watcher reads per bolt read
// transaction: short transactions keep bolt free to grow its mmap for writers.
const replayBatch = 256

type options struct {
	lockTimeout  time.Duration
	history      int64
	historyBytes int64
	watchBuffer  int
	compactSlack int64 // compactSlack; an option so that tests can shrink it
}

// Option configures Open.
type Option func(*options)

// WithLockTimeout sets how long Open waits for the file lock held by another process
// (default DefaultLockTimeout). Zero or less means fail at once; Open never waits forever.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) { o.lockTimeout = d }
}

// WithHistory sets how many recent revisions the change log keeps (default DefaultHistory;
// values below 1 mean 1). A Watch from an older revision fails with store.ErrCompacted.
func WithHistory(revisions int) Option {
	return func(o *options) { o.history = int64(max(revisions, 1)) }
}

// WithHistoryBytes bounds the change log by the bytes of its records, keys and values
// (default store.DefaultHistoryBytes): the oldest revisions are trimmed until the rest fit,
// except the newest revision, which is always kept. Values below 1 mean 1. Trimmed revisions
// answer Watch with store.ErrCompacted, as WithHistory's do.
func WithHistoryBytes(n int64) Option {
	return func(o *options) { o.historyBytes = max(n, 1) }
}

// WithWatchBuffer sets how many live events a watcher may fall behind before it is
// dropped (default DefaultWatchBuffer; values below 1 mean 1).
func WithWatchBuffer(events int) Option {
	return func(o *options) { o.watchBuffer = max(events, 1) }
}

// Store is a store.Store in one bbolt file. It is safe for concurrent use.
type Store struct {
	db   *bbolt.DB
	opts options
	// replayBatch is replayBatch; a field so that tests can shrink it.
	replayBatch int

	// closed is set under mu by Close; readers check it without the lock.
	closed atomic.Bool
	done   chan struct{} // closed by Close: stops every watcher goroutine
	wg     sync.WaitGroup

	// qmu guards queue: the transactions waiting for the next group commit.
	qmu   sync.Mutex
	queue []*txnReq

	// mu serializes commits (bolt does too; holding mu across the commit also orders the
	// fan-out by revision) and guards the fields below and every queued txnReq.
	mu        sync.Mutex
	rev       int64 // last committed revision
	compacted int64 // the change log holds every event with revision > compacted
	logBytes  int64 // the change log's size: recordSize summed over its records
	watchers  map[*watcher]struct{}
}

// watcher is one Watch. Only publish sends on in, with mu held and after checking there
// is room, so it never blocks a writer.
type watcher struct {
	prefix string
	in     chan store.Event // live events; closed when the watcher is dropped
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store file at path. Its directory must exist.
//
// A file much larger than its live data (written before the change log had a byte bound, or
// after a burst of large values) is compacted first: see compactIfBloated.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{lockTimeout: DefaultLockTimeout, history: DefaultHistory, historyBytes: store.DefaultHistoryBytes, watchBuffer: DefaultWatchBuffer, compactSlack: compactSlack}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Store{
		opts:        o,
		replayBatch: replayBatch,
		done:        make(chan struct{}),
		watchers:    map[*watcher]struct{}{},
	}
	if err := s.open(path); err != nil {
		return nil, err
	}
	switch compacted, err := compactIfBloated(s.db, path, o.compactSlack); {
	case err != nil:
		_ = s.db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	case compacted:
		if err := s.db.Close(); err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		if err := s.open(path); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// open opens the bbolt file into s.db and loads the counters (init).
func (s *Store) open(path string) error {
	timeout := s.opts.lockTimeout
	if timeout <= 0 {
		timeout = time.Nanosecond // bbolt reads zero as "wait forever"
	}
	// NoStatistics: bbolt otherwise counts every read transaction under one mutex.
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, NoStatistics: true})
	if errors.Is(err, berrors.ErrTimeout) {
		// The usual cause is a second `gatehouse serve` on the same --data-dir: say so.
		return fmt.Errorf("open store %s: another gatehouse probably holds the data dir %s: the file is locked by another process (or another Open in this one; waited %v): %w", path, filepath.Dir(path), s.opts.lockTimeout, err)
	}
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.Update(s.init); err != nil {
		_ = db.Close()
		return fmt.Errorf("open store %s: %w", path, err)
	}
	s.db = db
	return nil
}

// Compaction on Open: bbolt never shrinks its file, it only reuses the pages it freed. A file
// of more than compactRatio times its live pages plus compactSlack bytes is rewritten.
const (
	compactRatio = 2
	compactSlack = 16 << 20 // bytes: small files are never worth a rewrite
	// compactTxSize is how many bytes bbolt.Compact copies per write transaction.
	compactTxSize = 64 << 20
)

// compactIfBloated rewrites the file at path (open as db) into path+".compact" with only its
// live pages and renames that over path, when the file is bloated (more than compactRatio
// times its live pages plus slack bytes). It reports whether it did; the caller must then
// close db and open path again. A crash before the rename leaves path untouched (and a
// stale .compact file, replaced next time); the rename is atomic. Between the rename and
// the caller's reopen the new file is not locked: another process opening it just then
// would win it, and this Open would fail with the lock error.
func compactIfBloated(db *bbolt.DB, path string, slack int64) (bool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	var live int64
	if err := db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bbolt.Bucket) error {
			st := b.Stats()
			live += int64(st.BranchAlloc + st.LeafAlloc)
			return nil
		})
	}); err != nil {
		return false, err
	}
	if fi.Size() <= compactRatio*live+slack {
		return false, nil
	}
	tmp := path + ".compact"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("compact: %w", err)
	}
	dst, err := bbolt.Open(tmp, 0o600, &bbolt.Options{Timeout: time.Nanosecond, NoStatistics: true})
	if err != nil {
		return false, fmt.Errorf("compact: %w", err)
	}
	if err := bbolt.Compact(dst, db, compactTxSize); err != nil {
		_ = dst.Close()
		_ = os.Remove(tmp)
		return false, fmt.Errorf("compact: %w", err)
	}
	if err := dst.Close(); err != nil { // bbolt fsynced every commit of dst
		_ = os.Remove(tmp)
		return false, fmt.Errorf("compact: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return false, fmt.Errorf("compact: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil { // make the rename durable
		_ = d.Sync()
		_ = d.Close()
	}
	return true, nil
}

// init creates the buckets of a new file, checks the format of an existing one and loads
// the counters.
func (s *Store) init(tx *bbolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	for _, name := range [][]byte{bucketKV, bucketLog} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	switch v, err := readU64(meta.Get(metaFormat)); {
	case err != nil:
		return fmt.Errorf("format version: %w", err)
	case v == 0:
		if err := meta.Put(metaFormat, u64(formatVersion)); err != nil {
			return err
		}
	case v != formatVersion:
		return fmt.Errorf("format version %d, want %d (written by another gatehouse version)", v, formatVersion)
	}
	if s.rev, err = readU64(meta.Get(metaRev)); err != nil {
		return fmt.Errorf("revision: %w", err)
	}
	if s.compacted, err = readU64(meta.Get(metaCompacted)); err != nil {
		return fmt.Errorf("compacted revision: %w", err)
	}
	// The log's size is not stored: count it, and apply this Open's bounds at once (a file
	// written with larger bounds, or before the byte bound existed, may hold far more).
	logb := tx.Bucket(bucketLog)
	s.logBytes = 0
	if err := logb.ForEach(func(k, v []byte) error { s.logBytes += recordSize(k, v); return nil }); err != nil {
		return err
	}
	return s.trimLog(tx, s.rev)
}

// errClosedDB maps bbolt's "database not open" (a call racing Close) to store.ErrClosed.
func errClosedDB(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return store.ErrClosed
	}
	return err
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) (store.KV, error) {
	if err := ctx.Err(); err != nil {
		return store.KV{}, fmt.Errorf("get %q: %w", key, err)
	}
	if s.closed.Load() {
		return store.KV{}, store.ErrClosed
	}
	kv := store.KV{Key: key}
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketKV).Get([]byte(key))
		if b == nil {
			return store.ErrNotFound
		}
		var err error
		kv.Revision, kv.Value, err = decodeKV(b)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.KV{}, store.ErrNotFound
	case err != nil:
		return store.KV{}, fmt.Errorf("get %q: %w", key, errClosedDB(err))
	}
	return kv, nil
}

// List implements store.Store. The listing and its revision come from one bolt read
// transaction, so they are consistent.
func (s *Store) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("list %q: %w", prefix, err)
	}
	if s.closed.Load() {
		return nil, 0, store.ErrClosed
	}
	var out []store.KV
	var rev int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		if rev, err = readU64(tx.Bucket(bucketMeta).Get(metaRev)); err != nil {
			return fmt.Errorf("revision: %w", err)
		}
		p := []byte(prefix)
		c := tx.Bucket(bucketKV).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			kv := store.KV{Key: string(k)}
			if kv.Revision, kv.Value, err = decodeKV(v); err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			out = append(out, kv)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list %q: %w", prefix, errClosedDB(err))
	}
	return out, rev, nil
}

// txnReq is one Txn waiting to be committed. done, rev and err are written by the
// goroutine that commits it, with s.mu held, and read by the caller with s.mu held.
type txnReq struct {
	ctx    context.Context
	ops    []store.Op
	done   bool
	rev    int64
	err    error
	events []store.Event
}

// Txn implements store.Store. It returns after bbolt has fsynced the commit.
//
// Transactions are group-committed: those that arrive while a commit is in flight are
// queued, and the first of them to get the writer lock commits the whole queue in one
// bbolt transaction (one fsync). Each keeps its own revision, conditions (checked against
// the state left by the ones before it) and all-or-nothing outcome.
func (s *Store) Txn(ctx context.Context, ops ...store.Op) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("txn: %w", err)
	}
	for i, op := range ops {
		switch {
		case op.Key == "":
			return 0, fmt.Errorf("txn: op %d: empty key", i)
		case len(op.Key) > bbolt.MaxKeySize:
			return 0, fmt.Errorf("txn: op %d: key of %d bytes exceeds %d", i, len(op.Key), bbolt.MaxKeySize)
		case len(op.Value) > bbolt.MaxValueSize-8: // the mod revision takes 8 bytes
			return 0, fmt.Errorf("txn: op %d: value of %d bytes exceeds %d", i, len(op.Value), bbolt.MaxValueSize-8)
		}
	}
	if len(ops) == 0 {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed.Load() {
			return 0, store.ErrClosed
		}
		return s.rev, nil
	}
	req := &txnReq{ctx: ctx, ops: ops}
	s.qmu.Lock()
	s.queue = append(s.queue, req)
	s.qmu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if !req.done { // nobody committed it while we waited: commit the queue, ours included
		s.qmu.Lock()
		batch := s.queue
		s.queue = nil
		s.qmu.Unlock()
		s.commit(batch)
	}
	if req.err != nil {
		return 0, req.err
	}
	return req.rev, nil
}

// commit applies batch in one bbolt transaction and publishes the events; s.mu is held.
// Every request in batch is done when it returns.
func (s *Store) commit(batch []*txnReq) {
	if s.closed.Load() {
		for _, r := range batch {
			r.done, r.err = true, store.ErrClosed
		}
		return
	}
	rev, compacted, logBytes := s.rev, s.compacted, s.logBytes
	err := s.db.Update(func(tx *bbolt.Tx) error {
		kvs, logb, meta := tx.Bucket(bucketKV), tx.Bucket(bucketLog), tx.Bucket(bucketMeta)
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil {
				r.err = fmt.Errorf("txn: %w", err)
				continue
			}
			if err := checkConditions(kvs, r.ops); err != nil {
				r.err = fmt.Errorf("txn: %w", err) // nothing of r was written
				continue
			}
			rev++
			r.rev = rev
			n, err := apply(kvs, logb, r, rev)
			if err != nil {
				return err // bbolt failed mid-write: the whole batch rolls back
			}
			s.logBytes += n
		}
		if rev == s.rev {
			return errNoWrites // every request failed: roll back rather than fsync nothing
		}
		if err := meta.Put(metaRev, u64(rev)); err != nil {
			return err
		}
		return s.trimLog(tx, rev)
	})
	if err != nil {
		// Rolled back: the counters trimLog and apply moved are the committed ones again.
		s.compacted, s.logBytes = compacted, logBytes
	}
	if err != nil && !errors.Is(err, errNoWrites) {
		err = fmt.Errorf("txn: %w", errClosedDB(err))
		for _, r := range batch {
			r.done, r.rev, r.events = true, 0, nil
			if r.err == nil { // keep a request's own conflict: it is the more precise answer
				r.err = err
			}
		}
		return
	}
	s.rev = rev
	for _, r := range batch {
		r.done = true
		if r.err == nil {
			s.publish(r.events)
			r.events = nil
		}
	}
}

// errNoWrites rolls back a group commit in which no request wrote anything.
var errNoWrites = errors.New("no writes")

// checkConditions checks every op's condition against the state before the transaction.
func checkConditions(kvs *bbolt.Bucket, ops []store.Op) error {
	for _, op := range ops {
		if err := checkCondition(kvs, op); err != nil {
			return err
		}
	}
	return nil
}

// apply writes r.ops at revision rev, with their change log records, into r.events. It
// returns the bytes it added to the change log (recordSize).
func apply(kvs, logb *bbolt.Bucket, r *txnReq, rev int64) (logBytes int64, err error) {
	for _, op := range r.ops {
		key := []byte(op.Key)
		ev := store.Event{Type: store.EventPut, KV: store.KV{Key: op.Key, Revision: rev}}
		if op.Delete {
			if kvs.Get(key) == nil {
				continue // nothing to delete, no event
			}
			if err := kvs.Delete(key); err != nil {
				return 0, err
			}
			ev.Type = store.EventDelete
		} else {
			stored := encodeKV(rev, op.Value)
			if err := kvs.Put(key, stored); err != nil {
				return 0, err
			}
			ev.KV.Value = stored[8:] // our own copy: the caller may reuse op.Value
		}
		k, v := logKey(rev, uint32(len(r.events))), encodeEvent(ev)
		if err := logb.Put(k, v); err != nil {
			return 0, err
		}
		logBytes += recordSize(k, v)
		r.events = append(r.events, ev)
	}
	return logBytes, nil
}

// checkCondition checks op.IfRevision against the committed state.
func checkCondition(kvs *bbolt.Bucket, op store.Op) error {
	if op.IfRevision == store.AnyRevision {
		return nil
	}
	b := kvs.Get([]byte(op.Key))
	switch {
	case op.IfRevision == store.Absent && b != nil:
		return fmt.Errorf("%q exists: %w", op.Key, store.ErrConflict)
	case op.IfRevision > 0 && b == nil:
		return fmt.Errorf("%q does not exist: %w", op.Key, store.ErrConflict)
	case op.IfRevision > 0:
		rev, err := decodeKVRev(b)
		if err != nil {
			return fmt.Errorf("key %q: %w", op.Key, err)
		}
		if rev != op.IfRevision {
			return fmt.Errorf("%q is at revision %d, not %d: %w", op.Key, rev, op.IfRevision, store.ErrConflict)
		}
	}
	return nil
}

// recordSize is what one change log record counts against WithHistoryBytes: its key and
// its encoded event (the changed key and value).
func recordSize(k, v []byte) int64 { return int64(len(k) + len(v)) }

// trimLog deletes the oldest change log records, whole revisions at a time, until the log
// keeps at most s.opts.history revisions and s.opts.historyBytes bytes, never trimming the
// newest revision rev; it updates s.compacted and s.logBytes (which the caller restores if
// tx rolls back) and the stored compacted revision. Keys are collected first: deleting
// under a moving bbolt cursor can skip records.
func (s *Store) trimLog(tx *bbolt.Tx, rev int64) error {
	countCutoff := rev - s.opts.history
	if countCutoff <= s.compacted && s.logBytes <= s.opts.historyBytes {
		return nil
	}
	logb := tx.Bucket(bucketLog)
	compacted := max(s.compacted, countCutoff)
	var old [][]byte
	c := logb.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		r, _, err := parseLogKey(k)
		if err != nil {
			return fmt.Errorf("trim change log: %w", err)
		}
		// A revision is trimmed whole: once one of its records goes, all of them do.
		if r >= rev || (r > compacted && s.logBytes <= s.opts.historyBytes) {
			break
		}
		old = append(old, bytes.Clone(k))
		s.logBytes -= recordSize(k, v)
		compacted = max(compacted, r)
	}
	for _, k := range old {
		if err := logb.Delete(k); err != nil {
			return fmt.Errorf("trim change log: %w", err)
		}
	}
	if compacted == s.compacted {
		return nil
	}
	s.compacted = compacted
	return tx.Bucket(bucketMeta).Put(metaCompacted, u64(compacted))
}

// publish hands the events of a committed transaction to the watchers; s.mu is held. A
// watcher without room for all of its events is dropped, so publish never blocks.
func (s *Store) publish(events []store.Event) {
	for w := range s.watchers {
		n := 0
		for _, ev := range events {
			if strings.HasPrefix(ev.KV.Key, w.prefix) {
				n++
			}
		}
		if n == 0 {
			continue
		}
		if cap(w.in)-len(w.in) < n {
			delete(s.watchers, w)
			close(w.in)
			continue
		}
		for _, ev := range events {
			if strings.HasPrefix(ev.KV.Key, w.prefix) {
				w.in <- ev // shared: the watcher goroutine copies before delivery
			}
		}
	}
}

// Watch implements store.Store. Changes up to the current revision are replayed from the
// change log (read in short transactions, as the consumer takes them); later ones come
// from the in-process fan-out.
func (s *Store) Watch(ctx context.Context, prefix string, afterRev int64) (<-chan store.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("watch %q: %w", prefix, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if afterRev < s.compacted {
		return nil, fmt.Errorf("watch %q after revision %d: history starts after revision %d: %w", prefix, afterRev, s.compacted, store.ErrCompacted)
	}
	w := &watcher{prefix: prefix, in: make(chan store.Event, s.opts.watchBuffer)}
	s.watchers[w] = struct{}{}
	out := make(chan store.Event)
	s.wg.Add(1)
	go s.serve(ctx, w, out, afterRev, s.rev)
	return out, nil
}

// serve feeds one watcher: first the change log records in (afterRev, upto], then live
// events after upto. It closes out when ctx is done, on Close, when the watcher is dropped
// (after what was buffered) or when the records it needs were trimmed meanwhile.
func (s *Store) serve(ctx context.Context, w *watcher, out chan<- store.Event, afterRev, upto int64) {
	defer s.wg.Done()
	defer close(out)
	defer s.removeWatcher(w)
	send := func(ev store.Event) bool {
		ev.KV.Value = bytes.Clone(ev.KV.Value)
		select {
		case out <- ev:
			return true
		case <-ctx.Done():
			return false
		case <-s.done:
			return false
		}
	}
	from := logKey(max(afterRev, 0)+1, 0)
	for from != nil && afterRev < upto {
		events, next, err := s.readLog(w.prefix, from, upto)
		if err != nil {
			return // compacted meanwhile, closed, or corrupt: the owner must List again
		}
		for _, ev := range events {
			if !send(ev) {
				return
			}
		}
		from = next
	}
	for {
		select {
		case ev, ok := <-w.in:
			if !ok {
				return
			}
			if ev.KV.Revision > afterRev && !send(ev) {
				return
			}
		case <-ctx.Done():
			return
		case <-s.done:
			return
		}
	}
}

// readLog returns up to s.replayBatch change log records from key from up to revision
// upto that match prefix, and the key to continue from (nil when done).
func (s *Store) readLog(prefix string, from []byte, upto int64) (events []store.Event, next []byte, err error) {
	fromRev, _, err := parseLogKey(from)
	if err != nil {
		return nil, nil, err
	}
	err = s.db.View(func(tx *bbolt.Tx) error {
		compacted, err := readU64(tx.Bucket(bucketMeta).Get(metaCompacted))
		if err != nil {
			return fmt.Errorf("compacted revision: %w", err)
		}
		if fromRev <= compacted {
			return fmt.Errorf("replay from revision %d: %w", fromRev, store.ErrCompacted)
		}
		c := tx.Bucket(bucketLog).Cursor()
		k, v := c.Seek(from)
		for n := 0; k != nil; k, v = c.Next() {
			rev, index, err := parseLogKey(k)
			if err != nil {
				return err
			}
			if rev > upto {
				break
			}
			if n == s.replayBatch {
				next = logKey(rev, index)
				return nil
			}
			n++
			ev, err := decodeEvent(rev, v)
			if err != nil {
				return fmt.Errorf("change log revision %d: %w", rev, err)
			}
			if strings.HasPrefix(ev.KV.Key, prefix) {
				events = append(events, ev)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read change log: %w", errClosedDB(err))
	}
	return events, next, nil
}

func (s *Store) removeWatcher(w *watcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.watchers, w) // no-op when publish dropped it or Close ran
}

// Close implements store.Store: it ends every watch, waits for the watcher goroutines and
// closes the file, releasing its lock.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return nil
	}
	s.closed.Store(true)
	close(s.done)
	clear(s.watchers)
	s.mu.Unlock()
	s.wg.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}
