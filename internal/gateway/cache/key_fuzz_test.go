package cache

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// FuzzKey holds the cache key to being injective: two requests whose key parameters'
// values differ (in any value, in how many values, or in being absent) never share a key.
func FuzzKey(f *testing.F) {
	f.Add("a", "bc", "ab", "c")
	f.Add("", "x", "x", "")
	f.Add("a\x00b", "", "a", "\x00b")
	f.Fuzz(func(t *testing.T, x1, y1, x2, y2 string) {
		src := []keySource{{kind: 'q', name: "x"}, {kind: 'q', name: "y"}, {kind: 'h', name: "H"}}
		build := func(x, y string) (*invoke.Invocation, url.Values) {
			q := url.Values{}
			for _, v := range strings.Split(x, ",") {
				q.Add("x", v)
			}
			if y != "" {
				q.Add("y", y)
			}
			inv := &invoke.Invocation{HTTPMethod: "GET"}
			inv.Request.RawQuery = q.Encode()
			return inv, q
		}
		i1, q1 := build(x1, y1)
		i2, q2 := build(x2, y2)
		k1, k2 := appendKey(nil, "ns", src, i1), appendKey(nil, "ns", src, i2)
		same := q1.Encode() == q2.Encode()
		if same != bytes.Equal(k1, k2) {
			t.Fatalf("queries %q and %q: keys equal %v; want %v", q1.Encode(), q2.Encode(), !same, same)
		}
	})
}

// FuzzMaxAgeZero holds the Cache-Control reader to what it must never do: panic, or see a
// max-age=0 in a value without "max-age" and a 0 in it.
func FuzzMaxAgeZero(f *testing.F) {
	for _, s := range []string{"max-age=0", "no-cache, Max-Age=\"0\"", "max-age=00", "s-maxage=0", "", ",,=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if maxAgeZero([]string{v}) && (!strings.Contains(strings.ToLower(v), "max-age") || !strings.Contains(v, "0")) {
			t.Fatalf("maxAgeZero(%q) = true", v)
		}
	})
}
