// Package store is gatehouse's configuration store: a revisioned key-value store with
// atomic multi-key transactions and prefix watches, in the manner of etcd. Backends live in
// sub-packages: memory for tests, bolt embedded (what gatehouse serve opens); the
// PostgreSQL backend a cluster of nodes will share is not written yet. storetest is the
// one contract suite every backend passes.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrNotFound is returned by Get for a key that does not exist.
var ErrNotFound = errors.New("store: key not found")

// ErrConflict is returned by Txn when a condition does not hold: another writer got there
// first, or the key's existence is not what the caller expected.
var ErrConflict = errors.New("store: revision conflict")

// ErrClosed is returned by every call after Close.
var ErrClosed = errors.New("store: closed")

// ErrCompacted is returned by Watch when the changes after the requested revision are no
// longer kept (the backend's change log is bounded): the caller must List and watch from
// the listed revision.
var ErrCompacted = errors.New("store: revision compacted")

// DefaultHistoryBytes is the backends' default bound, in bytes of keys and values, on the
// history a Watch can replay from (bolt.WithHistoryBytes, memory.WithHistoryBytes): a burst
// of large values (a deployment snapshots its whole API) cannot make the history many times
// the live data. 8 MiB.
const DefaultHistoryBytes = 8 << 20

// KV is one stored value. Revision is the store revision of the write that last changed it
// (its "mod revision"); revisions start at 1 and grow by one per committed transaction.
type KV struct {
	Key      string
	Value    []byte
	Revision int64
}

// Op is one operation of a transaction.
type Op struct {
	Key string
	// Value is written when Delete is false.
	Value  []byte
	Delete bool
	// IfRevision makes the transaction conditional on this key: -1 (AnyRevision) means no
	// condition, 0 (Absent) means the key must not exist, n > 0 means the key's current
	// revision must be n.
	IfRevision int64
}

// Conditions for Op.IfRevision.
const (
	AnyRevision int64 = -1
	Absent      int64 = 0
)

// EventType says what happened to a key.
type EventType int

// Event types.
const (
	EventPut EventType = iota + 1
	EventDelete
)

// Event is one change seen by a watch. For EventDelete, KV.Value is nil and KV.Revision is
// the revision of the deleting transaction.
type Event struct {
	Type EventType
	KV   KV
}

// Store is the configuration store. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the current value of key, or ErrNotFound.
	Get(ctx context.Context, key string) (KV, error)
	// List returns every key with the given prefix in key order, and the store revision the
	// listing reflects (so a Watch from that revision misses nothing).
	List(ctx context.Context, prefix string) ([]KV, int64, error)
	// Txn applies ops atomically and durably: when Txn returns nil the write survives a
	// crash. If any condition fails nothing is written and the error wraps ErrConflict.
	// It returns the new store revision. Conditions are checked against the state before
	// the transaction; ops then apply in order (a later op on the same key wins) and each
	// change is one Event, in op order. Deleting an absent key changes nothing and sends no
	// event, but the transaction still commits a revision. Txn with no ops writes nothing
	// and returns the current revision. An empty key is an error.
	Txn(ctx context.Context, ops ...Op) (int64, error)
	// Watch sends, in revision order, every change under prefix made after revision
	// afterRev, until ctx is done; then it closes the channel. A watcher that falls too far
	// behind is sent nothing more and its channel is closed: it must List and watch again.
	// If the changes after afterRev are no longer kept, Watch returns an error wrapping
	// ErrCompacted.
	Watch(ctx context.Context, prefix string, afterRev int64) (<-chan Event, error)
	// Close releases the store. Calls after Close return ErrClosed.
	Close() error
}

// GetJSON reads key and decodes it into v, returning its revision.
func GetJSON(ctx context.Context, s Store, key string, v any) (int64, error) {
	kv, err := s.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return 0, fmt.Errorf("decode %q: %w", key, err)
	}
	return kv.Revision, nil
}

// maxUpdateAttempts bounds Update's retries under contention.
const maxUpdateAttempts = 32

// Update's backoff between attempts: a random wait in [0, min(updateBackoffBase<<attempt,
// updateBackoffMax)) ("full jitter"), so that contending writers spread out instead of
// colliding again in lock step.
const (
	updateBackoffBase = 500 * time.Microsecond
	updateBackoffMax  = 50 * time.Millisecond
)

// backoff waits before retry number attempt (0 for the first retry) or until ctx is done.
func backoff(ctx context.Context, attempt int) error {
	limit := updateBackoffMax
	if attempt < 16 {
		limit = min(updateBackoffBase<<attempt, updateBackoffMax)
	}
	t := time.NewTimer(rand.N(limit))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Retry calls attempt until it returns anything but an error wrapping ErrConflict (which
// it returns as is, nil included). Between attempts it waits a random, growing delay (at
// most updateBackoffMax); after maxUpdateAttempts conflicts it gives up with an error
// wrapping ErrConflict. what names the work in its errors. attempt must redo its reads:
// the conflict says what it read is stale.
func Retry(ctx context.Context, what string, attempt func() error) error {
	for n := range maxUpdateAttempts {
		if n > 0 {
			if err := backoff(ctx, n-1); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		if err := attempt(); !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("%s: %w after %d attempts", what, ErrConflict, maxUpdateAttempts)
}

// Update reads the JSON document at key into a fresh T, calls fn to change it and writes it
// back only if nobody wrote it in between, retrying on conflict (see Retry). fn receives nil
// when the key does not exist; returning a nil *T deletes the key. Extra ops returned by fn
// commit in the same transaction. An error from fn aborts the update and is returned as is.
func Update[T any](ctx context.Context, s Store, key string, fn func(cur *T) (next *T, extra []Op, err error)) (*T, error) {
	var out *T
	// fnErr ends Retry without being returned to it: an fn error wrapping ErrConflict is
	// fn's answer, not a conflict of this transaction to retry.
	var fnErr error
	err := Retry(ctx, fmt.Sprintf("update %q", key), func() error {
		var cur *T
		rev := Absent
		kv, err := s.Get(ctx, key)
		switch {
		case err == nil:
			cur = new(T)
			if err := json.Unmarshal(kv.Value, cur); err != nil {
				return fmt.Errorf("decode %q: %w", key, err)
			}
			rev = kv.Revision
		case errors.Is(err, ErrNotFound):
		default:
			return err
		}
		next, extra, err := fn(cur)
		if err != nil {
			fnErr = err
			return nil
		}
		var ops []Op
		switch {
		case next != nil:
			b, err := json.Marshal(next)
			if err != nil {
				return fmt.Errorf("encode %q: %w", key, err)
			}
			ops = append(ops, Op{Key: key, Value: b, IfRevision: rev})
		case cur != nil:
			ops = append(ops, Op{Key: key, Delete: true, IfRevision: rev})
		}
		ops = append(ops, extra...)
		if len(ops) == 0 {
			return nil
		}
		if _, err := s.Txn(ctx, ops...); err != nil {
			return err
		}
		out = next
		return nil
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PutJSON encodes v and returns the Op that writes it under key with the given condition.
func PutJSON(key string, v any, ifRevision int64) (Op, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Op{}, fmt.Errorf("encode %q: %w", key, err)
	}
	return Op{Key: key, Value: b, IfRevision: ifRevision}, nil
}
