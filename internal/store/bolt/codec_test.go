package bolt

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestEventRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []store.Event{
		{Type: store.EventPut, KV: store.KV{Key: "k", Value: []byte("v"), Revision: 1}},
		{Type: store.EventPut, KV: store.KV{Key: "restapis/123/abc", Value: nil, Revision: 1 << 40}},
		{Type: store.EventPut, KV: store.KV{Key: string(bytes.Repeat([]byte{0xff}, 300)), Value: bytes.Repeat([]byte{0}, 1000), Revision: 7}},
		{Type: store.EventDelete, KV: store.KV{Key: "gone", Revision: 9}},
	}
	for _, ev := range tests {
		got, err := decodeEvent(ev.KV.Revision, encodeEvent(ev))
		if err != nil {
			t.Fatalf("decodeEvent(encodeEvent(%q)) = %v", ev.KV.Key, err)
		}
		if got.Type != ev.Type || got.KV.Key != ev.KV.Key || !bytes.Equal(got.KV.Value, ev.KV.Value) || got.KV.Revision != ev.KV.Revision {
			t.Fatalf("decodeEvent(encodeEvent(%+v)) = %+v", ev, got)
		}
	}
}

func TestDecodeEventCorrupt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"type only", []byte{1}},
		{"unknown type", []byte{3, 1, 'k'}},
		{"zero type", []byte{0, 1, 'k'}},
		{"key longer than record", []byte{1, 5, 'k'}},
		{"bad varint", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1}},
		{"huge key length", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 'k'}},
		{"empty key", []byte{1, 0, 'v'}},
		{"delete with value", []byte{2, 1, 'k', 'v'}},
	}
	for _, tt := range tests {
		if ev, err := decodeEvent(1, tt.in); !errors.Is(err, errCorrupt) {
			t.Errorf("decodeEvent(%s) = %+v, %v; want errCorrupt", tt.name, ev, err)
		}
	}
}

func TestDecodeKV(t *testing.T) {
	t.Parallel()
	in := encodeKV(42, []byte("value"))
	rev, v, err := decodeKV(in)
	if err != nil || rev != 42 || string(v) != "value" {
		t.Fatalf("decodeKV(encodeKV(42, value)) = %d, %q, %v", rev, v, err)
	}
	in[8] = 'X' // the decoded value is a copy, not a view of bolt's memory
	if string(v) != "value" {
		t.Fatalf("decodeKV returned a view of its input")
	}
	if _, _, err := decodeKV([]byte{1, 2, 3}); !errors.Is(err, errCorrupt) {
		t.Fatalf("decodeKV(3 bytes) = %v; want errCorrupt", err)
	}
	if _, err := decodeKVRev(nil); !errors.Is(err, errCorrupt) {
		t.Fatalf("decodeKVRev(nil) = %v; want errCorrupt", err)
	}
}

func TestLogKey(t *testing.T) {
	t.Parallel()
	// Byte order is (revision, index) order: the change log iterates in revision order.
	keys := [][]byte{logKey(1, 0), logKey(1, 1), logKey(1, 256), logKey(2, 0), logKey(256, 0), logKey(1<<40, 3)}
	for i := 1; i < len(keys); i++ {
		if bytes.Compare(keys[i-1], keys[i]) >= 0 {
			t.Fatalf("logKey %d sorts after logKey %d", i-1, i)
		}
	}
	rev, index, err := parseLogKey(logKey(1<<40, 3))
	if err != nil || rev != 1<<40 || index != 3 {
		t.Fatalf("parseLogKey(logKey(1<<40, 3)) = %d, %d, %v", rev, index, err)
	}
	if _, _, err := parseLogKey([]byte("short")); !errors.Is(err, errCorrupt) {
		t.Fatalf("parseLogKey(short) = %v; want errCorrupt", err)
	}
}

// FuzzDecodeEvent: decoding never panics, and what decodes re-encodes to the same bytes.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(encodeEvent(store.Event{Type: store.EventPut, KV: store.KV{Key: "k", Value: []byte("v")}}))
	f.Add(encodeEvent(store.Event{Type: store.EventDelete, KV: store.KV{Key: "key"}}))
	f.Add([]byte{1, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := decodeEvent(5, b)
		if err != nil {
			return
		}
		if ev.KV.Revision != 5 || ev.KV.Key == "" {
			t.Fatalf("decodeEvent(%x) = %+v", b, ev)
		}
		if re := encodeEvent(ev); !bytes.Equal(re, b) {
			// A non-minimal uvarint decodes to the same length but encodes shorter.
			ev2, err := decodeEvent(5, re)
			if err != nil || ev2.KV.Key != ev.KV.Key || !bytes.Equal(ev2.KV.Value, ev.KV.Value) || ev2.Type != ev.Type {
				t.Fatalf("decodeEvent(encodeEvent(decodeEvent(%x))) = %+v, %v; want %+v", b, ev2, err, ev)
			}
		}
	})
}

// FuzzDecodeKV: decoding never panics and round-trips.
func FuzzDecodeKV(f *testing.F) {
	f.Add(encodeKV(1, []byte("v")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		rev, v, err := decodeKV(b)
		if err != nil {
			if len(b) >= 8 {
				t.Fatalf("decodeKV(%d bytes) = %v", len(b), err)
			}
			return
		}
		if !bytes.Equal(encodeKV(rev, v), b) {
			t.Fatalf("encodeKV(decodeKV(%x)) differs", b)
		}
	})
}
