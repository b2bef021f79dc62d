package cache

import (
	"bytes"
	"net/http"
	"testing"
)

// FuzzEntry holds the stored form of entries to: an entry decodes to what was encoded,
// sealed or not, and any other value (corrupt, truncated, forged) is a miss, never a panic
// or a large allocation.
func FuzzEntry(f *testing.F) {
	sl, err := newSealer(bytes.Repeat([]byte{9}, KeySize))
	if err != nil {
		f.Fatal(err)
	}
	seed := &cached{status: 200, header: http.Header{"Content-Type": {"application/json"}, "X-Multi": {"a", "b"}}, body: []byte(`{"ok":true}`), answerTrace: true}
	f.Add(marshal(seed, "k", nil), "k", false)
	f.Add(marshal(seed, "k", sl), "k", true)
	f.Add(marshal(&cached{status: 404}, "", nil), "", false)
	f.Add([]byte{formatPlain, entryVersion, 0, 200, 1, 0xff, 0xff, 0xff, 0xff, 0x0f}, "k", false)
	f.Add([]byte{formatSealed}, "k", true)
	f.Fuzz(func(t *testing.T, v []byte, key string, sealed bool) {
		s := (*sealer)(nil)
		if sealed {
			s = sl
		}
		e, err := unmarshal(v, key, s)
		if err != nil {
			return
		}
		// What decodes re-encodes to a value that decodes to the same entry.
		again, err := unmarshal(marshal(e, key, s), key, s)
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		if again.status != e.status || !bytes.Equal(again.body, e.body) || again.answerTrace != e.answerTrace || len(again.header) != len(e.header) {
			t.Fatalf("round trip: %+v; want %+v", again, e)
		}
		for k, vs := range e.header {
			if !equal(again.header[k], vs) {
				t.Fatalf("round trip header %s: %q; want %q", k, again.header[k], vs)
			}
		}
	})
}
