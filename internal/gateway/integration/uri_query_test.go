package integration

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

func TestMappedQuery(t *testing.T) {
	t.Parallel()
	inv := &invoke.Invocation{PathParams: []invoke.Param{{Name: "pathVariable", Value: "foobar"}, {Name: "own", Value: "o"}}}
	mapped := []invoke.Param{{Name: "pathVar", Value: "foobar"}, {Name: "qsVar", Value: "bar"}, {Name: "odd", Value: "a&b=c d+"}}
	tests := []struct{ uri, want string }{
		// The recorded case: test_apigateway_http.snapshot.json.
		{"http://h/?testVar={pathVar}&testQs={qsVar}", "testVar=foobar&testQs=bar"},
		{"http://h/x?fixed=1", "fixed=1"},
		{"http://h/x", ""},
		{"http://h/x?a={odd}", "a=a%26b%3Dc+d%2B"}, // a value stays one value
		{"http://h/x?a={own}", "a=o"},              // the method's own, when not mapped
		{"http://h/x?a={missing}&b=1", "a=&b=1"},
		{"http://h/x?{qsVar}={pathVar}", "bar=foobar"},
	}
	for _, tt := range tests {
		u, err := compileURI(tt.uri, nil)
		if err != nil {
			t.Fatalf("compileURI(%q) = %v", tt.uri, err)
		}
		if got := u.mappedQuery(inv, mapped); got != tt.want {
			t.Errorf("compileURI(%q).mappedQuery = %q; want %q", tt.uri, got, tt.want)
		}
	}
	// Braces that make no placeholder are sent as written (the management API accepts them).
	for _, q := range []string{"a={b", "a={}", "a=}{"} {
		u, err := compileURI("http://h/x?"+q, nil)
		if err != nil {
			t.Fatalf("compileURI(%q) = %v", q, err)
		}
		if got := u.mappedQuery(inv, mapped); got != q {
			t.Errorf("compileURI(%q).mappedQuery = %q; want it as written", q, got)
		}
	}
}

func TestMappedQueryWithoutPlaceholderDoesNotAllocate(t *testing.T) {
	u, err := compileURI("http://h/x?fixed=1&b=2", nil)
	if err != nil {
		t.Fatal(err)
	}
	inv := &invoke.Invocation{}
	if n := testing.AllocsPerRun(100, func() { _ = u.mappedQuery(inv, nil) }); n != 0 {
		t.Errorf("mappedQuery allocates %v times; want 0", n)
	}
}

// FuzzParseQueryTemplate: whatever the query and the values, a parsed template renders
// without placeholders left, with exactly its literal parameters: a value never adds a
// parameter or a separator.
func FuzzParseQueryTemplate(f *testing.F) {
	for _, s := range []string{"a={x}&b={y}", "fixed=1", "", "{x}", "a={x", "a={}", "{a}{b}=c&&d", "%zz={x}"} {
		f.Add(s, "v&w=x y")
	}
	f.Fuzz(func(t *testing.T, q, value string) {
		if strings.Contains(q, "#") {
			return // a fragment is no part of the query
		}
		tpl, err := parseURITemplate("http://h/?"+q, "http://h/?"+q)
		if err != nil {
			t.Fatalf("a URI with query %q does not compile: %v", q, err)
		}
		query, parts := tpl.query, tpl.queryParts
		if query != q {
			t.Fatalf("URI query %q compiled as %q", q, query)
		}
		if parts == nil {
			// Sent as written: only when no placeholder parses out of it.
			if ps, err := parsePlaceholders(q); err == nil {
				for _, p := range ps {
					if p.name != "" {
						t.Fatalf("queryPlaceholders(%q): placeholder %q not filled", q, p.name)
					}
				}
			}
			return
		}
		var lits strings.Builder
		for _, p := range parts {
			lits.WriteString(p.lit)
		}
		got := string(appendQueryTemplate(nil, parts, func(string) (string, bool) { return value, true }))
		if n, want := strings.Count(got, "&"), strings.Count(lits.String(), "&"); n != want {
			t.Fatalf("query %q with value %q renders %q: %d '&', want %d", q, value, got, n, want)
		}
		if n, want := strings.Count(got, "="), strings.Count(lits.String(), "="); n != want {
			t.Fatalf("query %q with value %q renders %q: %d '=', want %d", q, value, got, n, want)
		}
		if empty := string(appendQueryTemplate(nil, parts, func(string) (string, bool) { return "", false })); empty != lits.String() {
			t.Fatalf("query %q without values renders %q; want %q", q, empty, lits.String())
		}
	})
}
