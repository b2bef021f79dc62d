package jwtauth

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzParseClaims: any payload is refused or read into claims that agree with
// encoding/json on which objects are JSON, with every claim rendered.
func FuzzParseClaims(f *testing.F) {
	for _, s := range []string{
		`{"iss":"https://i.example/p","token_use":"id","exp":1801796972,"aud":["a","b"],"cognito:groups":["x"],"o":{"a":[1]}}`,
		`{"exp":1.5,"nbf":0,"scope":"a b  c"}`, `{"a":1,"a":2}`, `[]`, `{}`, `{"exp":"x"}`, `{"aud":3}`, `{} {}`, `{"e":"\ud800"}`, "{}\f", "{}\v", "{}\u00a0",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, err := parseClaims(payload)
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatalf("parseClaims took %q, which encoding/json refuses: %v", payload, err)
		}
		if len(c.All) != len(m) {
			t.Fatalf("parseClaims(%q) has %d claims; encoding/json %d", payload, len(c.All), len(m))
		}
		for _, v := range c.All {
			if _, ok := m[v.Key]; !ok {
				t.Fatalf("claim %q is not in %q", v.Key, payload)
			}
			if utf8.ValidString(string(payload)) && !utf8.ValidString(v.Value) {
				t.Fatalf("claim %q of valid UTF-8 renders as invalid UTF-8 %q", v.Key, v.Value)
			}
		}
	})
}

// FuzzSplitToken: any header value is refused or split into a header naming an accepted
// algorithm and a kid.
func FuzzSplitToken(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.c2ln")
	f.Add("eyJhbGciOiJub25lIiwia2lkIjoiayJ9.e30.")
	f.Add("a.b.c.d")
	f.Add("..")
	f.Fuzz(func(t *testing.T, raw string) {
		h, _, err := splitToken(raw)
		if err != nil {
			return
		}
		if _, ok := algorithms[h.Alg]; !ok || h.Kid == "" || h.Crit != nil {
			t.Fatalf("splitToken(%q) took header %+v", raw, h)
		}
	})
}

// FuzzParseJWKS: any JWKS document is refused or read into public keys with kids.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"k","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0"}]}`))
	f.Add([]byte(`{"keys":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		set, err := parseJWKS(body)
		if err != nil {
			return
		}
		for kid, k := range set {
			if kid == "" || k.kid != kid || k.raw == nil {
				t.Fatalf("parseJWKS(%q) kept %q: %+v", body, kid, k)
			}
		}
	})
}
