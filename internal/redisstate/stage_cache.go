package redisstate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// stageCache is a cache in Redis whose entries flush by stage ("{apiId}/{stage}"): the
// mechanism of both the Lambda authorizer cache (AuthorizerCache) and the stage response
// cache (ResponseCache), each in a namespace of its own.
//
// Layout (after the State's prefix and the namespace ns):
//
//	{ns}g:{stage}                       the stage's generation, an integer ("0" when absent);
//	                                    never expires
//	{ns}e:{len(stage)}:{stage}:{key}    an entry: "{generation}:{expires}:{value}", expires
//	                                    in Unix nanoseconds of the caller's clock; PX is
//	                                    its time to live, so Redis drops it by itself
//
// The stage's length makes the entry's name unambiguous whatever bytes stage and key hold.
//
// One round trip a call: Get is one MGET of the stage's generation and the entry (read at
// one instant) and answers the entry only if it was written under that generation; Set is
// one script run (cacheSetScript) that writes the entry under the current generation, read
// in the same atomic run. FlushStage is one INCR of the generation: every entry written
// before it is a miss at once, and expires by its own PX (or is replaced by the next Set of
// its key), so a flush costs the same whatever the stage holds, without a SCAN. Get needs
// no script, and a script would cost more: it copies the value into Lua and back (with 64
// KB values a scripted Get cost Redis 3.6 times the CPU of the MGET, 113 µs against 31, and
// answered half as many Gets a second), and with 1 KB values the MGET took the client 15.8
// µs of CPU a Get against 17.3 for the script and 20.1 for two pipelined GETs
// (BenchmarkResponseCache).
//
// Expiry follows the caller's (injected) clock: Get compares the entry's expires with now;
// PX, counted from the Set by Redis's clock, drops it about when the caller's clock would.
//
// Memory: entries are bounded by Redis's maxmemory, not by the caller. Give Redis an
// eviction policy of the volatile kind (volatile-lru, volatile-lfu, volatile-ttl): every
// entry has a time to live and no generation has one, so Redis evicts entries, never a
// generation (a lost generation reads as 0 again, and an entry written under 0 before the
// stage's first flush would be served again until it expires).
//
// Both calls name both keys (MGET's, the script's KEYS); on a Redis Cluster they are in one
// slot, as both need, only if the State's Prefix holds a hash tag (see the package comment).
type stageCache struct {
	s  *State
	ns string // "az" (AuthorizerCache), "rc" (ResponseCache)
}

// cacheSetScript writes an entry under the stage's current generation (read in the same
// atomic run, so a flush is either before it, and the entry is of the new generation, or
// after it).
//
//	KEYS[1] the stage's generation, KEYS[2] the entry
//	ARGV[1] expires (Unix ns), ARGV[2] the time to live (ms, > 0), ARGV[3] the value
const cacheSetScript = `
local g = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', KEYS[2], g .. ':' .. ARGV[1] .. ':', 'PX', ARGV[2])
redis.call('APPEND', KEYS[2], ARGV[3])
return 0
`

func (c stageCache) genKey(stage string) string { return c.s.prefix + c.ns + "g:" + stage }

func (c stageCache) entryKey(stage, key string) string {
	return c.s.prefix + c.ns + "e:" + strconv.Itoa(len(stage)) + ":" + stage + ":" + key
}

// get returns the value under key in stage, unless it was written before the stage's last
// flush or expired by now. The value is the reply's own memory: no copy.
func (c stageCache) get(ctx context.Context, stage, key string, now time.Time) ([]byte, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.s.timeout)
	defer cancel()
	cl := c.s.c
	vals, err := cl.Do(ctx, cl.B().Mget().Key(c.genKey(stage), c.entryKey(stage, key)).Build()).ToArray()
	if err == nil && len(vals) != 2 {
		err = fmt.Errorf("MGET of 2 keys answered %d values", len(vals))
	}
	if err != nil {
		return nil, false, fmt.Errorf("redisstate: cache get: %w", err)
	}
	gen, err := vals[0].ToString()
	if rueidis.IsRedisNil(err) {
		gen, err = "0", nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redisstate: cache get: %w", err)
	}
	v, err := vals[1].AsBytes()
	if rueidis.IsRedisNil(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redisstate: cache get: %w", err)
	}
	if len(v) <= len(gen) || v[len(gen)] != ':' || string(v[:len(gen)]) != gen {
		return nil, false, nil // written before the stage's last flush
	}
	expires, value, err := parseEntry(v[len(gen)+1:])
	if err != nil {
		return nil, false, fmt.Errorf("redisstate: cache get: %w", err)
	}
	if now.UnixNano() >= expires {
		return nil, false, nil
	}
	return value, true, nil
}

// parseEntry splits a stored entry "{expires}:{value}" (after its generation).
func parseEntry(v []byte) (expires int64, value []byte, err error) {
	j := bytes.IndexByte(v, ':')
	if j < 0 {
		return 0, nil, errors.New("malformed entry: no expiry")
	}
	expires, err = strconv.ParseInt(string(v[:j]), 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("malformed entry: expiry: %w", err)
	}
	return expires, v[j+1:], nil
}

// set stores value under key in stage until expires. An entry with no time left is not
// stored, and removes what key held: it is stale either way.
func (c stageCache) set(ctx context.Context, stage, key string, value []byte, now, expires time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, c.s.timeout)
	defer cancel()
	left := expires.Sub(now)
	if left <= 0 {
		cl := c.s.c
		if err := cl.Do(ctx, cl.B().Del().Key(c.entryKey(stage, key)).Build()).Error(); err != nil {
			return fmt.Errorf("redisstate: cache set: %w", err)
		}
		return nil
	}
	// PX rounds up: Redis never drops an entry before the caller's clock expires it.
	px := (left + time.Millisecond - 1) / time.Millisecond
	// string(value) copies: a call that times out may leave its command queued on the
	// connection, written after the caller has reused value.
	err := c.s.cacheSet.Exec(ctx, c.s.c, []string{c.genKey(stage), c.entryKey(stage, key)},
		[]string{strconv.FormatInt(expires.UnixNano(), 10), strconv.FormatInt(int64(px), 10), string(value)}).Error()
	if err != nil {
		return fmt.Errorf("redisstate: cache set: %w", err)
	}
	return nil
}

// flush makes every entry of stage written so far a miss: the stage's next generation.
func (c stageCache) flush(ctx context.Context, stage string) error {
	ctx, cancel := context.WithTimeout(ctx, c.s.timeout)
	defer cancel()
	cl := c.s.c
	if err := cl.Do(ctx, cl.B().Incr().Key(c.genKey(stage)).Build()).Error(); err != nil {
		return fmt.Errorf("redisstate: cache flush: %w", err)
	}
	return nil
}
