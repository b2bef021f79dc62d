package gateway

import (
	"path"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/route"
)

func TestRemoveDotSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"/prod/files/a", "/prod/files/a", true},
		{"", "", true},
		{"/", "/", true},
		{"/prod/files/a/../b", "/prod/files/b", true},
		{"/prod/files/./b", "/prod/files/b", true},
		{"/prod/files/a/.", "/prod/files/a/", true},
		{"/prod/files/a/..", "/prod/files/", true},
		{"/prod/..", "/", true},
		{"/.", "/", true},
		{"/prod/a/b/../../c", "/prod/c", true},
		{"/prod//../x", "/prod/x", true}, // ".." removes the empty segment
		{"/prod/.../x", "/prod/.../x", true},
		{"/prod/.a/..b/c.", "/prod/.a/..b/c.", true},
		{"/prod/%2e%2e/x", "/prod/%2e%2e/x", true}, // encoded: left to the parameter check
		{"/..", "/..", false},
		{"/../prod/x", "/../prod/x", false},
		{"/prod/../../x", "/prod/../../x", false},
	}
	for _, tt := range tests {
		got, ok := removeDotSegments(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("removeDotSegments(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRemoveDotSegmentsDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { _, _ = removeDotSegments("/prod/files/a.b/c..d/.e/f") })
	if allocs != 0 {
		t.Errorf("removeDotSegments of a clean path allocates %v times; want 0", allocs)
	}
}

func FuzzRemoveDotSegments(f *testing.F) {
	for _, s := range []string{"/a/../b", "/a/./b", "/..", "/a/.", "//..", "/a/b/../../..", "/.../..", "/%2e%2e/x", "/a//b/../c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, ok := removeDotSegments(p)
		if !ok {
			if got != p {
				t.Fatalf("removeDotSegments(%q) refused and returned %q; want the input", p, got)
			}
			return
		}
		if hasLiteralDotSegment(got) {
			t.Fatalf("removeDotSegments(%q) = %q still has a dot segment", p, got)
		}
		if strings.HasPrefix(p, "/") && !strings.HasPrefix(got, "/") {
			t.Fatalf("removeDotSegments(%q) = %q lost the leading slash", p, got)
		}
		if !hasLiteralDotSegment(p) && got != p {
			t.Fatalf("removeDotSegments(%q) = %q changed a path without dot segments", p, got)
		}
		// path.Clean agrees once empty segments, which it also merges, are out of the way.
		if strings.HasPrefix(p, "/") && !strings.Contains(p, "//") {
			if c := path.Clean(p); path.Clean(got) != c {
				t.Fatalf("removeDotSegments(%q) = %q; path.Clean says %q", p, got, c)
			}
		}
	})
}

func TestLocate(t *testing.T) {
	t.Parallel()
	s := New(Config{Domain: "execute-api.example"})
	tests := []struct {
		host, path                      string
		apiID, stage, rest, contextPath string
		ok                              bool
	}{
		{"abc123.execute-api.example", "/prod/pets/1", "abc123", "prod", "/pets/1", "/prod/pets/1", true},
		{"ABC123.Execute-API.example:8443", "/prod", "abc123", "prod", "", "/prod", true},
		{"\xffA.execute-api.example", "/prod", "\xffa", "prod", "", "/prod", true}, // not U+FFFD
		{"abc123.execute-api.example", "/pr%6Fd/x", "abc123", "prod", "/x", "/pr%6Fd/x", true},
		{"abc123.execute-api.example", "/", "abc123", "", "", "/", false},
		{"localhost", "/restapis/abc123/prod/_user_request_/pets/1", "abc123", "prod", "/pets/1", "/prod/pets/1", true},
		{"localhost", "/restapis/abc123/prod/_user_request_", "abc123", "prod", "", "/prod/", true},
		{"localhost", "/restapis/abc123/prod/_user_request_/", "abc123", "prod", "/", "/prod/", true},
		{"localhost", "/restapis/abc123/prod/other/x", "", "", "", "/restapis/abc123/prod/other/x", false},
		{"localhost", "/restapis//prod/_user_request_/x", "", "", "", "/restapis//prod/_user_request_/x", false},
		{"a.b.execute-api.example", "/prod/x", "", "", "", "/prod/x", false},
		{"execute-api.example", "/prod/x", "", "", "", "/prod/x", false},
	}
	for _, tt := range tests {
		apiID, stage, rest, cp, ok := s.locate(tt.host, tt.path)
		if ok != tt.ok || ok && (apiID != tt.apiID || stage != tt.stage || rest != tt.rest) || cp != tt.contextPath {
			t.Errorf("locate(%q, %q) = %q, %q, %q, %q, %v; want %q, %q, %q, %q, %v", tt.host, tt.path,
				apiID, stage, rest, cp, ok, tt.apiID, tt.stage, tt.rest, tt.contextPath, tt.ok)
		}
	}
}

// FuzzLocate: locating never panics, and what it finds is read from the input: the API id
// from the Host (host-based) or the path, the stage from the path's first segments, and the
// rest is the path's tail, so that nothing a client sends is invented or dropped.
func FuzzLocate(f *testing.F) {
	for _, seed := range [][2]string{
		{"abc123.execute-api.localhost", "/prod/pets/1"},
		{"abc123.execute-api.localhost:8080", "/prod"},
		{"localhost", "/restapis/abc123/prod/_user_request_/x/y"},
		{"localhost", "/restapis/abc123/prod/_user_request_"},
		{"[::1]:80", "/restapis/a/b/_user_request_/"},
		{"A.execute-api.localhost", "/%70rod/x%2Fy"},
		{"x.execute-api.localhost.", "//"},
	} {
		f.Add(seed[0], seed[1])
	}
	s := New(Config{})
	f.Fuzz(func(t *testing.T, host, p string) {
		apiID, stage, rest, cp, ok := s.locate(host, p)
		if !ok {
			if cp != p {
				t.Fatalf("locate(%q, %q) failed with context path %q; want the path", host, p, cp)
			}
			return
		}
		if apiID == "" || stage == "" {
			t.Fatalf("locate(%q, %q) = %q, %q: empty api id or stage", host, p, apiID, stage)
		}
		if !strings.HasSuffix(p, rest) || rest != "" && rest[0] != '/' {
			t.Fatalf("locate(%q, %q) rest = %q; want a tail of the path starting with /", host, p, rest)
		}
		if id, hostBased := s.apiFromHost(host); hostBased {
			if apiID != id || !strings.HasPrefix(asciiLower(hostOnly(host)), apiID+".") {
				t.Fatalf("locate(%q, %q) api id = %q; want the Host's first label", host, p, apiID)
			}
			// Slashes before the stage are dropped, as AWS drops them ("//prod/x" is stage
			// prod with $context.path "/prod/x").
			q := "/" + strings.TrimLeft(p, "/")
			if !strings.HasPrefix(p, "/") {
				q = p
			}
			seg := strings.TrimPrefix(q, "/")
			seg = seg[:len(seg)-len(rest)]
			if route.Unescape(seg) != stage || cp != q {
				t.Fatalf("locate(%q, %q) = stage %q, context path %q; want the decoded first segment %q and the path", host, p, stage, cp, seg)
			}
			return
		}
		suffix := "/_user_request_"
		if rest != "" {
			suffix += rest
		}
		if want := "/restapis/" + apiID + "/" + stage + suffix; p != want {
			t.Fatalf("locate(%q, %q) = %q, %q, %q; they reassemble to %q", host, p, apiID, stage, rest, want)
		}
		if strings.ContainsRune(apiID+stage, '/') {
			t.Fatalf("locate(%q, %q) = %q, %q: a slash inside the api id or stage", host, p, apiID, stage)
		}
		if want := "/" + stage + rest; cp != want && cp != want+"/" {
			t.Fatalf("locate(%q, %q) context path = %q; want %q", host, p, cp, want)
		}
	})
}
