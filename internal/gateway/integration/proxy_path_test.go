package integration

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/route"
)

// proxyRoutes are the resources of the path-escape tests and the integration URI each
// method proxies to, with the prefix its backend path must keep.
var proxyRoutes = []struct{ resource, uri, prefix string }{
	{"/files/{proxy+}", "http://backend/public/{proxy}", "/public/"},
	{"/pets/{id}", "http://backend/store/{id}/info", "/store/"},
	{"/raw/{name}", "http://backend/pre{name}", "/"}, // a placeholder inside a segment
}

// backendPath routes the client's raw path like the gateway and returns the request-target
// the backend would receive, with the prefix it must start with; ok is false when no route
// matched.
func backendPath(t testing.TB, r *route.Router[int], rawPath string) (target, prefix string, ok bool, err error) {
	i, _, ps, res := r.Match("GET", rawPath, nil)
	if res != route.Found {
		return "", "", false, nil
	}
	u, cerr := compileURI(proxyRoutes[i].uri, nil)
	if cerr != nil {
		t.Fatal(cerr)
	}
	inv := &invoke.Invocation{PathParams: ps}
	p, err := u.appendMappedPath(nil, inv, nil)
	return requestTarget(p, ""), proxyRoutes[i].prefix, true, err
}

func newProxyRouter(t testing.TB) *route.Router[int] {
	r := route.New[int]()
	for i, pr := range proxyRoutes {
		if err := r.Add(pr.resource, "GET", i); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// TestProxyPathDotSegments: the known attack strings in a {proxy+} or {param} value never
// reach the backend; dots that are not a whole segment do.
func TestProxyPathDotSegments(t *testing.T) {
	t.Parallel()
	r := newProxyRouter(t)
	tests := []struct {
		rawPath string
		want    string // "" when refused
	}{
		{"/files/a/b.txt", "/public/a/b.txt"},
		{"/files/a%2fb", "/public/a/b"},
		{"/files/a%20b", "/public/a%20b"},
		{"/files/...", "/public/..."},
		{"/files/a..b/.c/d.", "/public/a..b/.c/d."},
		{"/files/%252fx", "/public/%252fx"}, // a literal "%2f" stays a name
		{"/pets/..a", "/store/..a/info"},
		{"/raw/..", "/pre.."},
		{"/files/../secret", ""},
		{"/files/a/../../secret", ""},
		{"/files/./x", ""},
		{"/files/%2e%2e/secret", ""},
		{"/files/%2E%2E/secret", ""},
		{"/files/%2E./secret", ""},
		{"/files/.%2e/secret", ""},
		{"/files/..%2fsecret", ""},
		{"/files/..%2Fsecret", ""},
		{"/files/a%2f..%2f..%2fsecret", ""},
		{"/files/%2e%2e%2f%2e%2e%2fsecret", ""},
		{"/files/..%5csecret", ""},
		{"/files/..%5Csecret", ""},
		{"/files/..\\secret", ""},
		{"/files/%252e%252e/secret", ""},
		{"/files/%252e%252e%252fsecret", ""},
		{"/files/%25252e%25252E%25252Fsecret", ""},
		{"/files/..;/secret", ""},
		{"/files/.;x/secret", ""},
		{"/files/x/%2e%2e", ""},
		{"/pets/%2e%2e", ""},
		{"/pets/%2e", ""},
		{"/pets/..%2f..%2fsecret", ""},
		{"/raw/%2f..", ""},
	}
	for _, tt := range tests {
		got, _, ok, err := backendPath(t, r, tt.rawPath)
		if !ok {
			t.Fatalf("route %q: no match", tt.rawPath)
		}
		switch {
		case tt.want == "" && !errors.Is(err, errDotSegment):
			t.Errorf("appendMappedPath(%q) = %q, %v; want errDotSegment", tt.rawPath, got, err)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("appendMappedPath(%q) = %q, %v; want %q", tt.rawPath, got, err, tt.want)
		}
	}
	if e, ok := invoke.AsError(errDotSegment); !ok || e.Type != "DEFAULT_4XX" || e.Message != "Bad Request" {
		t.Errorf("errDotSegment = %v; want DEFAULT_4XX Bad Request", errDotSegment)
	}
}

func FuzzProxyPathStaysUnderPrefix(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "%2e%2e/x", "%2E./x", ".%2e%2fx", "a%2f..%2f..%2fx", "..%5cx",
		"%252e%252e%252fx", "..;/x", "%2e", "...", "a%00b", "%zz/..", "\\..\\x", "%%32%65%%32%65/x"} {
		f.Add("/files/" + s)
		f.Add("/pets/" + s)
		f.Add("/raw/" + s)
	}
	r := newProxyRouter(f)
	f.Fuzz(func(t *testing.T, rawPath string) {
		target, prefix, ok, err := backendPath(t, r, rawPath)
		if !ok {
			return
		}
		if err != nil {
			if !errors.Is(err, errDotSegment) {
				t.Fatalf("appendMappedPath(%q) = %v; want nil or errDotSegment", rawPath, err)
			}
			return
		}
		for _, read := range []struct {
			name string
			p    string
		}{
			{"as sent", target},
			{"RFC 3986 normalized", removeDotSegmentsRFC(decodeUnreservedAndSlash(target))},
			{"fully decoded", removeDotSegmentsRFC(strings.ReplaceAll(decodeAll(target), "\\", "/"))},
		} {
			if !strings.HasPrefix(read.p, prefix) {
				t.Fatalf("client path %q reaches the backend as %q, read %s as %q: outside %q", rawPath, target, read.name, read.p, prefix)
			}
		}
	})
}

// decodeUnreservedAndSlash decodes the percent-encodings a normalizing backend decodes before
// removing dot segments: RFC 3986's unreserved set (§6.2.2.2), and %2F.
func decodeUnreservedAndSlash(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) && ishex(p[i+1]) && ishex(p[i+2]) {
			c := unhex(p[i+1])<<4 | unhex(p[i+2])
			if c == '/' || c == '-' || c == '.' || c == '_' || c == '~' ||
				'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// decodeAll percent-decodes p until nothing changes, as a backend that decodes repeatedly
// would read it.
func decodeAll(p string) string {
	b := []byte(p)
	for {
		n := unescapeInPlace(b)
		if n == len(b) {
			return string(b)
		}
		b = b[:n]
	}
}

// removeDotSegmentsRFC is RFC 3986 §5.2.4's algorithm, written as the RFC states it, as the
// reference the property checks against.
func removeDotSegmentsRFC(in string) string {
	var out strings.Builder
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			trimLastSegment(&out)
		case in == "/..":
			in = "/"
			trimLastSegment(&out)
		case in == "." || in == "..":
			in = ""
		default:
			i := strings.IndexByte(in[1:], '/')
			if i < 0 {
				out.WriteString(in)
				in = ""
			} else {
				out.WriteString(in[:i+1])
				in = in[i+1:]
			}
		}
	}
	return out.String()
}

func trimLastSegment(b *strings.Builder) {
	s := b.String()
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		i = 0
	}
	b.Reset()
	b.WriteString(s[:i])
}

func TestHasDotSegment(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]bool{
		"/a/b.txt": false, "/a%20b/c.d": false, "/%41%42/x": false, "/a/%2e%2ex": false, "/...": false,
		"/a/..": true, "/./a": true, "/a/%2E%2e": true, "/a%2f..": true, "/a%5C..%5cb": true,
		"/%252e%252E": true, "/%25252e.": true, "/..;v=1/x": true, "/..%3bx": true,
		"/%%32%65%%32%65/x": true, "/%2%65%2%65": true, "/a/.%": false, "/a/.%2": false,
	} {
		if got := hasDotSegment([]byte(p)); got != want {
			t.Errorf("hasDotSegment(%q) = %v; want %v", p, got, want)
		}
	}
}

func TestHasDotSegmentDoesNotAllocate(t *testing.T) {
	p := []byte("/public/a%20b/c.txt/%2e%2ex")
	if allocs := testing.AllocsPerRun(100, func() { _ = hasDotSegment(p) }); allocs != 0 {
		t.Errorf("hasDotSegment(%q) allocates %v times; want 0", p, allocs)
	}
}

// FuzzHasDotSegment holds hasDotSegment, with its shortcut for paths without structural
// escapes, to the plain reading: decode until nothing changes, split at '/' and '\', drop
// each segment's ";parameters", look for "." and "..".
func FuzzHasDotSegment(f *testing.F) {
	for _, s := range []string{"/a/..", "/a%20b", "/%%32%65", "/%2%65%2%65", "/..;x", "/a%5c.", "/%25252e", "/.%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		want := false
		for _, seg := range strings.FieldsFunc(decodeAll(p), func(r rune) bool { return r == '/' || r == '\\' }) {
			seg, _, _ = strings.Cut(seg, ";")
			want = want || seg == "." || seg == ".."
		}
		// FieldsFunc drops empty fields; a ";x" segment cut to "" is no dot segment either.
		if got := hasDotSegment([]byte(p)); got != want {
			t.Fatalf("hasDotSegment(%q) = %v; want %v", p, got, want)
		}
	})
}
