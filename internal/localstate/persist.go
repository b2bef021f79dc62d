package localstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/gatehouse/gatehouse/internal/store"
)

// periodLayout names a period by its start in its store key: a fixed length, so the quota
// key after it may hold any byte.
const periodLayout = "2006-01-02T15:04:05Z"

// flushTimeout bounds the final flushes of Run and Close.
const flushTimeout = 10 * time.Second

// opsPerTxn bounds the ops of one flush transaction.
const opsPerTxn = 1000

// periodRecord is a period's count in the store. Lease is the count the store accounts
// for: Open takes the larger of the two, so a crash never gives back room already leased.
type periodRecord struct {
	Count int64 `json:"count"`
	Lease int64 `json:"lease"`
	End   int64 `json:"end"` // Unix seconds
}

// dayRecord is a day record in the store.
type dayRecord struct {
	Used      int64 `json:"used"`
	Remaining int64 `json:"remaining"`
}

// periodStoreKey is the store key of quota key's period starting at start (Unix s).
func (s *State) periodStoreKey(key string, start int64) string {
	return s.prefix + "p:" + time.Unix(start, 0).UTC().Format(periodLayout) + ":" + key
}

// dayStoreKey is the store key of quota key's record of day dn (days since the epoch).
func (s *State) dayStoreKey(key string, dn int64) string {
	return s.prefix + "d:" + time.Unix(dn*86400, 0).UTC().Format(meter.DateLayout) + ":" + key
}

// encode appends the ops writing a period record and a day record of quota key.
func (s *State) encode(ops []store.Op, key string, start int64, p periodRecord, dn int64, d dayRecord) ([]store.Op, error) {
	po, err := store.PutJSON(s.periodStoreKey(key, start), p, store.AnyRevision)
	if err != nil {
		return nil, err
	}
	do, err := store.PutJSON(s.dayStoreKey(key, dn), d, store.AnyRevision)
	if err != nil {
		return nil, err
	}
	return append(ops, po, do), nil
}

// load reads the store's records under the prefix into the shards.
func (s *State) load(ctx context.Context) error {
	kvs, _, err := s.st.List(ctx, s.prefix)
	if err != nil {
		return fmt.Errorf("list %q: %w", s.prefix, err)
	}
	for _, kv := range kvs {
		rest := strings.TrimPrefix(kv.Key, s.prefix)
		switch {
		case strings.HasPrefix(rest, "p:"):
			rest = rest[2:]
			n := len(periodLayout)
			if len(rest) <= n || rest[n] != ':' {
				return fmt.Errorf("record %q: not a period key", kv.Key)
			}
			start, err := time.Parse(periodLayout, rest[:n])
			if err != nil {
				return fmt.Errorf("record %q: %w", kv.Key, err)
			}
			var r periodRecord
			if err := json.Unmarshal(kv.Value, &r); err != nil {
				return fmt.Errorf("record %q: %w", kv.Key, err)
			}
			// A lease above the count was room reserved before a crash: count it as used.
			count := max(r.Count, r.Lease)
			p := s.loadQuota(rest[n+1:]).newPeriod(start.Unix(), r.End, s.st == nil)
			p.count, p.reserved = count, count
		case strings.HasPrefix(rest, "d:"):
			rest = rest[2:]
			n := len(meter.DateLayout)
			if len(rest) <= n || rest[n] != ':' {
				return fmt.Errorf("record %q: not a day key", kv.Key)
			}
			date, err := time.Parse(meter.DateLayout, rest[:n])
			if err != nil {
				return fmt.Errorf("record %q: %w", kv.Key, err)
			}
			var r dayRecord
			if err := json.Unmarshal(kv.Value, &r); err != nil {
				return fmt.Errorf("record %q: %w", kv.Key, err)
			}
			d := s.loadQuota(rest[n+1:]).day(dayOf(date))
			d.used, d.remaining = r.Used, r.Remaining
		default:
			return fmt.Errorf("record %q: not a period or a day", kv.Key)
		}
	}
	return nil
}

// loadQuota returns the state of quota key, creating it (Open only: no lock is held).
func (s *State) loadQuota(key string) *quotaState {
	sh := &s.shards[s.shardOf(key)]
	if st := sh.quotas[key]; st != nil {
		return st
	}
	return sh.newQuota(key)
}

func (s *State) acquire(ctx context.Context) error {
	select {
	case s.writeSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *State) release() { <-s.writeSem }

// ask queues p for a lease (once). No shard lock is held.
func (s *State) ask(p *period) {
	s.qmu.Lock()
	if !p.queued {
		p.queued = true
		s.queue = append(s.queue, p)
	}
	s.qmu.Unlock()
}

// lease writes a lease for p, with the leases others queued meanwhile, and returns nil when
// the lease it asked for was written, possibly by another caller; the caller then tries
// again.
func (s *State) lease(ctx context.Context, p *period) error {
	s.ask(p)
	return s.writeLeases(ctx)
}

// renew writes the leases asked for ahead of need until Close.
func (s *State) renew() {
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
		if err := s.writeLeases(ctx); err != nil && !errors.Is(err, ErrClosed) {
			s.log.Warn("localstate: writing leases ahead of need failed", "err", err)
		}
		cancel()
	}
}

// writeLeases writes every queued lease in one transaction (group commit): for each
// period with room under its limit, a lease of its count plus its next block (nextBlock).
func (s *State) writeLeases(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("lease: %w", err)
	}
	defer s.release()
	s.qmu.Lock()
	batch := s.queue
	s.queue, s.spare = s.spare[:0], nil
	for _, p := range batch {
		p.queued = false
	}
	s.qmu.Unlock()
	defer func() {
		clear(batch)
		s.spare = batch[:0]
	}()
	if len(batch) == 0 {
		return nil // the writer before us wrote our lease
	}
	closed := s.closed.Load()
	now := time.Now()
	ops := make([]store.Op, 0, len(batch))
	targets := make([]int64, len(batch))
	blocks := make([]int64, len(batch))
	for i, p := range batch {
		sh := &s.shards[s.shardOf(p.q.key)]
		sh.mu.Lock()
		if room := p.limit - p.count; !closed && !p.gone && room > 0 {
			blocks[i] = p.nextBlock(now, s.maxLease)
			if t := p.count + min(room, blocks[i]); t > p.reserved {
				targets[i] = t
			}
		}
		if targets[i] == 0 {
			p.renewing = false
			sh.mu.Unlock()
			continue
		}
		op, err := store.PutJSON(s.periodStoreKey(p.q.key, p.start), periodRecord{Count: p.count, Lease: targets[i], End: p.end}, store.AnyRevision)
		sh.mu.Unlock()
		if err != nil {
			s.leased(batch, nil, nil)
			return fmt.Errorf("lease: %w", err)
		}
		ops = append(ops, op)
	}
	if closed {
		return ErrClosed
	}
	if len(ops) == 0 {
		return nil
	}
	if _, err := s.st.Txn(ctx, ops...); err != nil {
		s.leased(batch, nil, nil)
		return fmt.Errorf("lease: %w", err)
	}
	s.leased(batch, targets, blocks)
	return nil
}

// leased publishes the leases written (targets nil: none was), with the blocks they were
// sized by, and ends the renewals.
func (s *State) leased(batch []*period, targets, blocks []int64) {
	for i, p := range batch {
		sh := &s.shards[s.shardOf(p.q.key)]
		sh.mu.Lock()
		p.renewing = false
		if targets != nil && targets[i] > 0 {
			p.reserved = max(p.reserved, targets[i])
			p.block, p.leasedAt = blocks[i], time.Now()
			sh.markPeriod(p) // Close writes the exact count back over the lease
		}
		sh.mu.Unlock()
	}
}

// Run flushes the counts to the store every FlushInterval until ctx is done, then flushes
// once more and returns nil. A failed flush is logged and retried at the next tick (what
// it held stays to write).
func (s *State) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
			err := s.flush(fctx, false)
			cancel()
			if err != nil {
				s.log.Error("localstate: final flush failed", "err", err)
			}
			return nil
		case <-t.C:
			if err := s.flush(ctx, false); err != nil && ctx.Err() == nil {
				s.log.Warn("localstate: flush failed", "err", err)
			}
		}
	}
}

// Close stops admitting and writes the exact counts and day records to the store: a State
// opened on it next starts where this one stopped. Calls after Close fail; Close again
// does nothing.
func (s *State) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(s.done)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.closed = true
		sh.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	if err := s.flush(ctx, true); err != nil {
		return fmt.Errorf("localstate: close: %w", err)
	}
	return nil
}

// written is one flushed entry, marked dirty again when its write fails.
// Its record is copied under the shard's lock and encoded after.
type written struct {
	sh *shard
	p  *period // or d
	d  *day
	pr periodRecord
	dr dayRecord
}

// deleted is a record the sweep dropped: quota key's period starting at n (Unix s), or its
// day n (days since the epoch).
type deleted struct {
	key string
	n   int64
	day bool
}

// flush writes what changed since the last flush and drops what expired (see the package
// comment). final (Close, once nothing is admitted any more) writes each period's exact
// count as its lease; otherwise the lease is what is reserved, as admits go on.
func (s *State) flush(ctx context.Context, final bool) error {
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	defer s.release()
	if s.closed.Load() && !final {
		return nil // Close wrote the exact counts: a lease must not go over them again
	}
	var clock int64
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		clock = max(clock, sh.now)
		sh.mu.Unlock()
	}
	var (
		dels []deleted // the sweep's
		what []written
	)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		if !final {
			dels = s.sweep(sh, clock, dels)
		}
		if s.st == nil {
			for _, p := range sh.dirtyP {
				p.dirty = false
			}
			for _, d := range sh.dirtyD {
				d.dirty = false
			}
		} else {
			if final {
				// Every lease outstanding is given back, flushed or not.
				for _, st := range sh.quotas {
					for _, p := range st.periods {
						if p.reserved > p.count {
							sh.markPeriod(p)
						}
					}
				}
			}
			for _, p := range sh.dirtyP {
				p.dirty = false
				lease := p.reserved
				if final {
					lease = p.count
				}
				what = append(what, written{sh: sh, p: p, pr: periodRecord{Count: p.count, Lease: lease, End: p.end}})
			}
			for _, d := range sh.dirtyD {
				d.dirty = false
				what = append(what, written{sh: sh, d: d, dr: dayRecord{Used: d.used, Remaining: d.remaining}})
			}
		}
		clear(sh.dirtyP)
		clear(sh.dirtyD)
		sh.dirtyP, sh.dirtyD = sh.dirtyP[:0], sh.dirtyD[:0]
		sh.mu.Unlock()
	}
	if s.st == nil {
		return nil
	}
	ops := make([]store.Op, 0, len(dels)+len(what))
	for _, d := range dels {
		if d.day {
			ops = append(ops, store.Op{Key: s.dayStoreKey(d.key, d.n), Delete: true, IfRevision: store.AnyRevision})
		} else {
			ops = append(ops, store.Op{Key: s.periodStoreKey(d.key, d.n), Delete: true, IfRevision: store.AnyRevision})
		}
	}
	for _, w := range what {
		var (
			op  store.Op
			err error
		)
		if w.p != nil {
			op, err = store.PutJSON(s.periodStoreKey(w.p.q.key, w.p.start), w.pr, store.AnyRevision)
		} else {
			op, err = store.PutJSON(s.dayStoreKey(w.d.q.key, w.d.day), w.dr, store.AnyRevision)
		}
		if err != nil {
			return fmt.Errorf("flush: %w", err) // not for records of integers
		}
		ops = append(ops, op)
	}
	// The deletes go first; they have no entry in what (a failed one is retried when the
	// record is loaded and swept again).
	deletes := len(dels)
	var firstErr error
	for lo := 0; lo < len(ops); lo += opsPerTxn {
		hi := min(lo+opsPerTxn, len(ops))
		if _, err := s.st.Txn(ctx, ops[lo:hi]...); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("flush: %w", err)
			}
			for _, w := range what[max(lo-deletes, 0):max(hi-deletes, 0)] {
				w.sh.mu.Lock()
				if w.p != nil {
					w.sh.markPeriod(w.p)
				} else {
					w.sh.markDay(w.d)
				}
				w.sh.mu.Unlock()
			}
		}
	}
	return firstErr
}

// sweep drops from sh what expired by clock (Unix ns), appending the records to delete
// from the store to ops:
// buckets full again (the same as never seen; not those of rate 0, which never refill),
// periods that ended more than periodMargin ago and day records older than dayRetention.
// sh.mu is held.
func (s *State) sweep(sh *shard, clock int64, ops []deleted) []deleted {
	if clock == 0 {
		return ops
	}
	for k, b := range sh.buckets {
		if b.at == 0 || b.rate > 0 && b.at <= clock && b.level+b.rate*time.Duration(clock-b.at).Seconds() >= float64(b.burst) {
			delete(sh.buckets, k)
		}
	}
	endBefore := time.Unix(0, clock).Add(-periodMargin).Unix()
	dayBefore := dayOf(time.Unix(0, clock).Add(-dayRetention))
	for key, st := range sh.quotas {
		kept := st.periods[:0]
		for _, p := range st.periods {
			if p.end >= endBefore || p.dirty {
				kept = append(kept, p)
				continue
			}
			p.gone = true
			if s.st != nil {
				ops = append(ops, deleted{key: key, n: p.start})
			}
		}
		clear(st.periods[len(kept):])
		st.periods = kept
		for dn, d := range st.days {
			if dn >= dayBefore || d.dirty {
				continue
			}
			delete(st.days, dn)
			d.gone = true
			if s.st != nil {
				ops = append(ops, deleted{key: key, n: dn, day: true})
			}
		}
		if len(st.periods) == 0 && len(st.days) == 0 {
			delete(sh.quotas, key)
		}
	}
	return ops
}
