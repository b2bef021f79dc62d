package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// On-disk layout (formatVersion 1), all integers big-endian so that bolt's byte order is
// numeric order:
//
//	meta bucket:  "format" → uint64 formatVersion
//	              "rev" → uint64 store revision (0 or absent: nothing committed yet)
//	              "compacted" → uint64 c: the change log holds every event with revision > c
//	kv bucket:    key → uint64 mod revision ‖ value
//	log bucket:   uint64 revision ‖ uint32 index within the transaction → event
//	event:        1 byte type (1 put, 2 delete) ‖ uvarint key length ‖ key ‖ value (puts)

const formatVersion = 1

var (
	bucketMeta = []byte("meta")
	bucketKV   = []byte("kv")
	bucketLog  = []byte("log")

	metaFormat    = []byte("format")
	metaRev       = []byte("rev")
	metaCompacted = []byte("compacted")
)

// logKeyLen is the length of a change log key: revision (8) and index (4).
const logKeyLen = 12

var errCorrupt = errors.New("corrupt record")

func u64(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }

// readU64 decodes a meta counter; absent (nil) is 0.
func readU64(b []byte) (int64, error) {
	if b == nil {
		return 0, nil
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("counter of %d bytes: %w", len(b), errCorrupt)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// encodeKV returns the stored form of a value written at revision rev.
func encodeKV(rev int64, value []byte) []byte {
	b := make([]byte, 8, 8+len(value))
	binary.BigEndian.PutUint64(b, uint64(rev))
	return append(b, value...)
}

// decodeKV splits a stored value into its mod revision and a copy of the value (the input
// lives in bolt's mmap and is only valid inside the transaction).
func decodeKV(b []byte) (rev int64, value []byte, err error) {
	if len(b) < 8 {
		return 0, nil, fmt.Errorf("value of %d bytes: %w", len(b), errCorrupt)
	}
	return int64(binary.BigEndian.Uint64(b)), append([]byte(nil), b[8:]...), nil
}

// decodeKVRev returns only the mod revision of a stored value, without copying it.
func decodeKVRev(b []byte) (int64, error) {
	if len(b) < 8 {
		return 0, fmt.Errorf("value of %d bytes: %w", len(b), errCorrupt)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func logKey(rev int64, index uint32) []byte {
	b := make([]byte, logKeyLen)
	binary.BigEndian.PutUint64(b, uint64(rev))
	binary.BigEndian.PutUint32(b[8:], index)
	return b
}

func parseLogKey(k []byte) (rev int64, index uint32, err error) {
	if len(k) != logKeyLen {
		return 0, 0, fmt.Errorf("log key of %d bytes: %w", len(k), errCorrupt)
	}
	return int64(binary.BigEndian.Uint64(k)), binary.BigEndian.Uint32(k[8:]), nil
}

// encodeEvent returns the change log record of ev (its revision is in the log key).
func encodeEvent(ev store.Event) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(ev.KV.Key)+len(ev.KV.Value))
	b = append(b, byte(ev.Type))
	b = binary.AppendUvarint(b, uint64(len(ev.KV.Key)))
	b = append(b, ev.KV.Key...)
	if ev.Type == store.EventPut {
		b = append(b, ev.KV.Value...)
	}
	return b
}

// decodeEvent parses a change log record written at revision rev; the event owns its memory.
func decodeEvent(rev int64, b []byte) (store.Event, error) {
	if len(b) < 2 {
		return store.Event{}, fmt.Errorf("event of %d bytes: %w", len(b), errCorrupt)
	}
	typ := store.EventType(b[0])
	n, w := binary.Uvarint(b[1:])
	if w <= 0 || n > uint64(len(b)-1-w) {
		return store.Event{}, fmt.Errorf("event key length: %w", errCorrupt)
	}
	rest := b[1+w:]
	ev := store.Event{Type: typ, KV: store.KV{Key: string(rest[:n]), Revision: rev}}
	switch typ {
	case store.EventPut:
		ev.KV.Value = append([]byte(nil), rest[n:]...)
	case store.EventDelete:
		if len(rest) != int(n) {
			return store.Event{}, fmt.Errorf("delete event with a value: %w", errCorrupt)
		}
	default:
		return store.Event{}, fmt.Errorf("event type %d: %w", typ, errCorrupt)
	}
	if ev.KV.Key == "" {
		return store.Event{}, fmt.Errorf("event with an empty key: %w", errCorrupt)
	}
	return ev, nil
}
