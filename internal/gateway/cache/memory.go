package cache

import (
	"context"
	"hash/maphash"
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

var _ Store = (*MemoryStore)(nil)

// EntryOverhead is what MemoryStore counts for one entry beside its key and value bytes (the
// entry, its map slot and list links, rounded up), so that a stage of many tiny entries stays
// within its capacity too.
const EntryOverhead = 128

// defaultShards is the number of independently locked tables of one stage. Keys spread over
// them by hash, so Gets of one stage from many goroutines rarely meet on one lock (and a Get
// only takes a read lock).
const defaultShards = 32

// MemoryStore is the in-process Store: each stage's entries are kept in memory, bounded by
// the capacity given to Set (the stage's cacheClusterSize). Its methods are safe for
// concurrent use.
//
// Size: an entry counts len(key)+len(value)+EntryOverhead bytes; a value whose entry alone
// exceeds the capacity is not stored. Memory grows with the entries stored, never
// preallocated to the capacity, and a flushed stage holds none.
//
// Eviction: when a Set brings the stage over its capacity, entries are evicted, least
// recently used first, approximated with the CLOCK (second chance) policy per shard: a Get
// only marks its entry referenced (no list move, so Gets share a read lock); eviction takes
// the shard's least recently stored entry, and one referenced since it was last passed gets
// another round at the front instead. The shards are swept in turn, so the stage as a whole
// evicts its older entries first.
//
// Expiry is by the caller's times (now and expires, the gateway's clock): an entry whose
// expiry has come is never returned, and is removed when a Get meets it or the sweep does.
//
// Values: Set stores a private copy; Get returns that copy, which is never written again
// (a replacement stores a new one), so it stays valid and unchanged after the entry is
// replaced or evicted. Callers must not modify it.
type MemoryStore struct {
	seed    maphash.Seed
	nshards int                                   // of every table (defaultShards; tests use 1)
	mu      sync.Mutex                            // serializes adding stages
	stages  atomic.Pointer[map[string]*stageSlot] // copied on write: Gets read it without a lock
}

// stageSlot holds a stage's current table; FlushStage drops it (nil) in one store.
type stageSlot struct {
	table atomic.Pointer[table]
}

// table is one stage's entries, spread over shards.
type table struct {
	used     atomic.Int64 // bytes counted by the entries of every shard
	capacity atomic.Int64 // the capacity of the last Set
	cursor   atomic.Uint32
	shards   []shard
}

type shard struct {
	mu      sync.RWMutex
	entries map[string]*entry // nil until the first Set
	// head is the sentinel of a circular list of entries, most recently stored (or given a
	// second chance) next to it, the eviction candidate at head.prev.
	head entry
	_    [64]byte // keeps neighbouring shards' locks off one cache line
}

type entry struct {
	key     string
	value   []byte
	expires int64 // Unix ns
	size    int64
	ref     atomic.Bool // got since the sweep last passed it
	prev    *entry
	next    *entry
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return newMemoryStore(defaultShards) }

func newMemoryStore(nshards int) *MemoryStore {
	m := &MemoryStore{seed: maphash.MakeSeed(), nshards: nshards}
	empty := map[string]*stageSlot{}
	m.stages.Store(&empty)
	return m
}

// slot returns stage's slot, adding it when create is set (nil otherwise).
func (m *MemoryStore) slot(stage string, create bool) *stageSlot {
	if s := (*m.stages.Load())[stage]; s != nil || !create {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.stages.Load()
	if s := old[stage]; s != nil {
		return s
	}
	next := maps.Clone(old)
	s := &stageSlot{}
	next[stage] = s
	m.stages.Store(&next)
	return s
}

// tableOf returns stage's current table, nil when it has none (never set, or flushed).
func (m *MemoryStore) tableOf(stage string) *table {
	if s := m.slot(stage, false); s != nil {
		return s.table.Load()
	}
	return nil
}

func (m *MemoryStore) shardOf(t *table, key string) *shard {
	return &t.shards[maphash.String(m.seed, key)%uint64(len(t.shards))]
}

// Get implements Store. It does not allocate.
func (m *MemoryStore) Get(_ context.Context, stage, key string, now time.Time) ([]byte, bool, error) {
	t := m.tableOf(stage)
	if t == nil {
		return nil, false, nil
	}
	sh := m.shardOf(t, key)
	sh.mu.RLock()
	e := sh.entries[key]
	if e == nil {
		sh.mu.RUnlock()
		return nil, false, nil
	}
	if now.UnixNano() < e.expires {
		if !e.ref.Load() { // written once per sweep, not per Get: Gets share the line
			e.ref.Store(true)
		}
		v := e.value
		sh.mu.RUnlock()
		return v, true, nil
	}
	sh.mu.RUnlock()
	// Expired: reclaim it unless a Set replaced it meanwhile.
	sh.mu.Lock()
	if sh.entries[key] == e {
		t.remove(sh, e)
	}
	sh.mu.Unlock()
	return nil, false, nil
}

// Set implements Store.
func (m *MemoryStore) Set(_ context.Context, stage, key string, value []byte, capacity int64, now, expires time.Time) error {
	size := int64(len(key)) + int64(len(value)) + EntryOverhead
	if size > capacity || !expires.After(now) {
		// Not storable, or expired already: what was stored under key is stale either way.
		m.remove(stage, key)
		return nil
	}
	s := m.slot(stage, true)
	t := s.table.Load()
	if t == nil {
		t = &table{shards: make([]shard, m.nshards)}
		for i := range t.shards {
			h := &t.shards[i].head
			h.prev, h.next = h, h
		}
		if !s.table.CompareAndSwap(nil, t) {
			t = s.table.Load() // another Set made it first (or a flush dropped it: then t is nil)
			if t == nil {
				return nil // flushed while we set: the entry would be gone anyway
			}
		}
	}
	t.capacity.Store(capacity)
	e := &entry{key: key, value: append([]byte(nil), value...), expires: expires.UnixNano(), size: size}
	sh := m.shardOf(t, key)
	sh.mu.Lock()
	if sh.entries == nil {
		sh.entries = make(map[string]*entry)
	}
	if old := sh.entries[key]; old != nil {
		t.remove(sh, old)
	}
	sh.entries[key] = e
	e.next, e.prev = sh.head.next, &sh.head
	e.next.prev, sh.head.next = e, e
	t.used.Add(size)
	sh.mu.Unlock()
	t.evict(now.UnixNano(), e)
	return nil
}

// remove drops stage's entry under key, if any.
func (m *MemoryStore) remove(stage, key string) {
	t := m.tableOf(stage)
	if t == nil {
		return
	}
	sh := m.shardOf(t, key)
	sh.mu.Lock()
	if e := sh.entries[key]; e != nil {
		t.remove(sh, e)
	}
	sh.mu.Unlock()
}

// FlushStage implements Store: the stage's table is dropped in one atomic store (the garbage
// collector reclaims it), whatever its size.
func (m *MemoryStore) FlushStage(_ context.Context, stage string) error {
	if s := m.slot(stage, false); s != nil {
		s.table.Store(nil)
	}
	return nil
}

// remove unlinks e from sh, whose write lock the caller holds.
func (t *table) remove(sh *shard, e *entry) {
	delete(sh.entries, e.key)
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	t.used.Add(-e.size)
}

// evict removes entries until the table is within its capacity, one victim a shard in turn
// (the first expired or unreferenced one from the old end of each), never keep (the entry just stored, which fits alone).
// Every pass over the shards frees an entry or ends it, so it ends.
func (t *table) evict(now int64, keep *entry) {
	n := uint32(len(t.shards))
	for t.used.Load() > t.capacity.Load() {
		freed := false
		for range n {
			if t.used.Load() <= t.capacity.Load() {
				return
			}
			sh := &t.shards[t.cursor.Add(1)%n]
			sh.mu.Lock()
			if v := sh.victim(now, keep); v != nil {
				t.remove(sh, v)
				freed = true
			}
			sh.mu.Unlock()
		}
		if !freed {
			return
		}
	}
}

// victim returns the shard's entry to evict: from the least recently stored end, the first
// expired or unreferenced entry, giving referenced ones a second chance at the front; nil if
// the shard holds nothing but keep. The caller holds the write lock.
func (sh *shard) victim(now int64, keep *entry) *entry {
	for range 2*len(sh.entries) + 1 { // after one round every entry is unreferenced
		e := sh.head.prev
		if e == &sh.head {
			return nil
		}
		if e == keep {
			if len(sh.entries) == 1 {
				return nil
			}
		} else if e.expires <= now || !e.ref.Load() {
			return e
		}
		// A second chance (or keep): to the front, unreferenced.
		e.ref.Store(false)
		e.prev.next, e.next.prev = e.next, e.prev
		e.next, e.prev = sh.head.next, &sh.head
		e.next.prev, sh.head.next = e, e
	}
	return nil
}
