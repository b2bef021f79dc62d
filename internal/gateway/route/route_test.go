package route

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// testRoutes is a deployment's resource methods; each value names its resource and method.
var testRoutes = []struct{ path, method string }{
	{"/", "GET"},
	{"/pets", "GET"},
	{"/pets", "POST"},
	{"/pets/{id}", "GET"},
	{"/pets/{id}", "ANY"},
	{"/pets/mine", "GET"},
	{"/pets/{id}/toys/{toy}", "GET"},
	{"/files/{proxy+}", "ANY"},
	{"/files/readme", "GET"},
	{"/a/b/c", "GET"},
	{"/{x}/b/d", "GET"},
	{"/{x}", "PUT"},
	{"/only-post", "POST"},
	{"/sp ace", "GET"},
	{"/empty", "GET"},
	{"/empty/{id}", "DELETE"},
}

func newTestRouter(t testing.TB) *Router[string] {
	r := New[string]()
	for _, rt := range testRoutes {
		if err := r.Add(rt.path, rt.method, rt.method+" "+rt.path); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestMatch(t *testing.T) {
	t.Parallel()
	r := newTestRouter(t)
	tests := []struct {
		method, path string
		want         string // "" when not Found
		res          Result
		params       string // "name=value,..."
	}{
		{"GET", "/", "GET /", Found, ""},
		{"GET", "", "GET /", Found, ""},
		{"POST", "/", "", NoMethod, ""},
		{"GET", "/pets", "GET /pets", Found, ""},
		{"GET", "/pets/", "GET /pets", Found, ""}, // one trailing slash is ignored
		{"POST", "/pets", "POST /pets", Found, ""},
		{"DELETE", "/pets", "", NoMethod, ""},
		{"GET", "/pets/mine", "GET /pets/mine", Found, ""},         // literal beats {param}
		{"POST", "/pets/mine", "ANY /pets/{id}", Found, "id=mine"}, // the literal lacks POST: falls through
		{"GET", "/pets/7", "GET /pets/{id}", Found, "id=7"},
		{"DELETE", "/pets/7", "ANY /pets/{id}", Found, "id=7"}, // ANY as the fallback
		{"PROPFIND", "/pets/7", "", NoMethod, "id=7"},          // ANY covers the seven methods only
		{"GET", "/pets/a%20b", "GET /pets/{id}", Found, "id=a b"},
		{"GET", "/pets/a%2Fb", "GET /pets/{id}", Found, "id=a/b"}, // an encoded slash stays in its segment
		{"GET", "/pets/%zz", "GET /pets/{id}", Found, "id=%zz"},   // invalid escapes are kept
		{"GET", "/pets/1/toys/ball", "GET /pets/{id}/toys/{toy}", Found, "id=1,toy=ball"},
		{"GET", "/pets/1/toys", "", NotFound, ""},
		{"GET", "/files/readme", "GET /files/readme", Found, ""}, // literal beats greedy
		{"PUT", "/files/readme", "ANY /files/{proxy+}", Found, "proxy=readme"},
		{"OPTIONS", "/files/readme", "ANY /files/{proxy+}", Found, "proxy=readme"},
		{"GET", "/files/a/b/c.txt", "ANY /files/{proxy+}", Found, "proxy=a/b/c.txt"},
		{"GET", "/files/a%20b/c", "ANY /files/{proxy+}", Found, "proxy=a b/c"},
		{"GET", "/files/", "", NoMethod, "x=files"}, // greedy needs one segment; {x} takes it
		{"GET", "/files", "", NoMethod, "x=files"},
		{"GET", "/pets//", "", NotFound, ""},
		{"GET", "/files/a//", "ANY /files/{proxy+}", Found, "proxy=a/"},
		{"GET", "/a/b/d", "GET /{x}/b/d", Found, "x=a"}, // backtracks from the literal branch
		{"GET", "/a/b/c", "GET /a/b/c", Found, ""},
		{"PUT", "/zzz", "PUT /{x}", Found, "x=zzz"},
		{"GET", "/sp%20ace", "GET /sp ace", Found, ""},
		{"POST", "/only-post", "POST /only-post", Found, ""},
		{"GET", "/nope/nope/nope", "", NotFound, ""},
		{"GET", "//pets", "GET /pets", Found, ""}, // leading slashes are one
		{"GET", "///pets/7", "GET /pets/{id}", Found, "id=7"},
		{"GET", "//", "GET /", Found, ""},
		{"GET", "/pets//7", "", NotFound, ""},                              // an inner empty segment matches no {param}
		{"GET", "/files/a//b", "ANY /files/{proxy+}", Found, "proxy=a//b"}, // a greedy keeps it
		{"GET", "/empty/", "GET /empty", Found, ""},
		{"GET", "/empty/1", "", NoMethod, "id=1"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			got, _, ps, res := r.Match(tt.method, tt.path, nil)
			if res != tt.res || got != tt.want {
				t.Fatalf("Match(%s %q) = %q, %v; want %q, %v", tt.method, tt.path, got, res, tt.want, tt.res)
			}
			if res == Found {
				if gp := formatParams(ps); gp != tt.params {
					t.Errorf("Match(%s %q) params = %q; want %q", tt.method, tt.path, gp, tt.params)
				}
			}
		})
	}
}

func formatParams(ps []invoke.Param) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, p.Name+"="+p.Value)
	}
	return strings.Join(parts, ",")
}

func TestAddRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ first, path, method string }{
		{"", "pets", "GET"},
		{"", "/pets", "FETCH"},
		{"", "/{proxy+}/x", "GET"},
		{"", "/a//b", "GET"},
		{"", "/{}", "GET"},
		{"", "/{a", "GET"},
		{"", "/a{b}", "GET"},
		{"/{id}", "/{name}/x", "GET"},
		{"/{p+}", "/{q+}", "GET"},
		{"/pets", "/pets", "GET"},
	}
	for _, tt := range tests {
		r := New[int]()
		if tt.first != "" {
			if err := r.Add(tt.first, "GET", 1); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Add(tt.path, tt.method, 2); err == nil {
			t.Errorf("Add(%q, %q) after %q = nil; want an error", tt.path, tt.method, tt.first)
		}
	}
}

// TestMatchMethodFallsThrough pins the rule of localstack/localstack#9207 (AWS's behaviour,
// confirmed there): a resource that lacks the method does not stop the search; a less
// specific one that defines it answers. ANY defines every method, OPTIONS included.
func TestMatchMethodFallsThrough(t *testing.T) {
	t.Parallel()
	r := New[string]()
	for _, rt := range []struct{ path, method string }{
		{"/zap", "POST"}, {"/zip", "ANY"}, {"/{proxy+}", "OPTIONS"}, {"/zop/{id}", "GET"},
	} {
		if err := r.Add(rt.path, rt.method, rt.method+" "+rt.path); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		method, path, want string
		res                Result
	}{
		{"OPTIONS", "/zap", "OPTIONS /{proxy+}", Found},
		{"POST", "/zap", "POST /zap", Found},
		{"OPTIONS", "/zip", "ANY /zip", Found}, // ANY on the literal answers OPTIONS
		{"OPTIONS", "/zop/1", "OPTIONS /{proxy+}", Found},
		{"GET", "/zap", "", NoMethod}, // nothing defines GET there
		{"GET", "/zop/1", "GET /zop/{id}", Found},
	}
	for _, tt := range tests {
		got, _, _, res := r.Match(tt.method, tt.path, nil)
		if got != tt.want || res != tt.res {
			t.Errorf("Match(%s %s) = %q, %v; want %q, %v", tt.method, tt.path, got, res, tt.want, tt.res)
		}
	}
}

func TestMatchResourcePath(t *testing.T) {
	t.Parallel()
	r := newTestRouter(t)
	_, rp, _, res := r.Match("GET", "/files/x/y", nil)
	if res != Found || rp != "/files/{proxy+}" {
		t.Fatalf("Match(GET /files/x/y) resource path = %q, %v; want /files/{proxy+}, Found", rp, res)
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	r := newTestRouter(t)
	ps := make([]invoke.Param, 0, 8)
	allocs := testing.AllocsPerRun(100, func() {
		_, _, ps, _ = r.Match("GET", "/pets/1/toys/ball", ps[:0])
	})
	if allocs != 0 {
		t.Errorf("Match allocates %v times per call; want 0", allocs)
	}
}

// reassemble substitutes params into the resource path template.
func reassemble(template string, ps []invoke.Param) string {
	out := template
	for _, p := range ps {
		out = strings.Replace(out, "{"+p.Name+"+}", p.Value, 1)
		out = strings.Replace(out, "{"+p.Name+"}", p.Value, 1)
	}
	return out
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"/", "/pets/7", "/pets/a%2Fb", "/files/a/b", "/a/b/d", "/pets/%zz/toys/%41", "//", "/files//x", "/pets/mine/"} {
		f.Add("GET", s)
	}
	r := newTestRouter(f)
	f.Fuzz(func(t *testing.T, method, path string) {
		v, rp, ps, res := r.Match(method, path, nil)
		if res != Found {
			return
		}
		if !strings.HasSuffix(v, " "+rp) {
			t.Fatalf("Match(%q) = %q with resource path %q", path, v, rp)
		}
		// The parameters put back in the template give the decoded request path.
		rest := strings.TrimLeft(path, "/")
		rest = strings.TrimSuffix(rest, "/")
		want := "/" + UnescapePath(rest)
		if got := reassemble(rp, ps); got != want {
			t.Fatalf("Match(%q): %q with %v reassembles to %q; want %q", path, rp, ps, got, want)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	r := newTestRouter(b)
	ps := make([]invoke.Param, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		_, _, ps, _ = r.Match("GET", "/pets/1/toys/ball", ps[:0])
	}
}

// BenchmarkMatchFallThrough: a literal that lacks the method, answered by a less specific
// resource (the OPTIONS preflight of a CORS API with an OPTIONS /{proxy+}).
func BenchmarkMatchFallThrough(b *testing.B) {
	r := newTestRouter(b)
	ps := make([]invoke.Param, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		_, _, ps, _ = r.Match("PUT", "/files/readme", ps[:0])
	}
}
