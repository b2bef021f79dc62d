package integration

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

func TestCompileURI(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"host": "backend.example:8080", "ver": "v2"}
	params := map[string]string{"id": "a b%", "proxy": "x/y z"}
	lookup := func(n string) (string, bool) { v, ok := params[n]; return v, ok }
	tests := []struct {
		uri, path, query string
	}{
		{"http://${stageVariables.host}/${stageVariables.ver}/pets/{id}", "/v2/pets/a%20b%25", ""},
		{"https://h/{proxy}?fixed=1", "/x/y%20z", "fixed=1"},
		{"http://h", "/", ""},
		{"http://h/a/{missing}/b", "/a//b", ""},
		{"http://h/{proxy+}", "/x/y%20z", ""},
	}
	for _, tt := range tests {
		u, err := compileURI(tt.uri, vars)
		if err != nil {
			t.Fatalf("compileURI(%q) = %v", tt.uri, err)
		}
		got, err := u.appendPath(nil, lookup)
		if string(got) != tt.path || u.query != tt.query || err != nil {
			t.Errorf("compileURI(%q) path, query = %q, %q, %v; want %q, %q", tt.uri, got, u.query, err, tt.path, tt.query)
		}
	}
	// An error the stage's variables cause is a StageValueError (the method answers 500 on
	// that stage); one the URI causes whatever the stage is not.
	for _, bad := range []struct {
		uri        string
		stageValue bool
	}{
		{"ftp://h/x", false}, {"h/x", false}, {"http:///x", false}, {"http://h/{x", false}, {"http://h/{}", false},
		{"http://${stageVariables.unset}/pets/{id}", true},
		{"http://${stageVariables.bad}/pets", true},
		{"http://h/${stageVariables.brace}/x", true},
	} {
		_, err := compileURI(bad.uri, map[string]string{"bad": "a:b:c", "brace": "{"})
		if sve := (*StageValueError)(nil); err == nil || errors.As(err, &sve) != bad.stageValue {
			t.Errorf("compileURI(%q) = %v; want an error, StageValueError %v", bad.uri, err, bad.stageValue)
		}
	}
}

func FuzzCompileURI(f *testing.F) {
	f.Add("http://h/{a}/b?c=d", "v")
	f.Add("https://${stageVariables.x}/{proxy}", "a/b c")
	f.Fuzz(func(t *testing.T, uri, value string) {
		u, err := compileURI(uri, map[string]string{"x": "host"})
		if err != nil {
			return
		}
		b, _ := u.appendPath(nil, func(string) (string, bool) { return value, true })
		if p := string(b); !strings.HasPrefix(p, "/") {
			t.Fatalf("path %q of %q does not start with /", p, uri)
		}
	})
}

func TestSelectResponse(t *testing.T) {
	t.Parallel()
	rs, err := compileResponses(map[string]*apigateway.IntegrationResponse{
		"200": {StatusCode: "200"},
		"400": {StatusCode: "400", SelectionPattern: `4\d{2}`},
		"502": {StatusCode: "502", SelectionPattern: "50"},
	}, nil, nil, invoke.RemappedMapped)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ backend, want int }{{200, 200}, {404, 400}, {500, 200}, {50, 502}, {301, 200}} {
		r, err := rs.selectResponse(tt.backend)
		if err != nil || r.status != tt.want {
			t.Errorf("selectResponse(%d) = %v, %v; want %d", tt.backend, r, err, tt.want)
		}
	}
	none, _ := compileResponses(map[string]*apigateway.IntegrationResponse{"400": {StatusCode: "400", SelectionPattern: "4.."}}, nil, nil, invoke.RemappedMapped)
	if _, err := none.selectResponse(200); err == nil {
		t.Errorf("selectResponse without a default = nil error; want API_CONFIGURATION_ERROR")
	}
}

func TestTemplateChoice(t *testing.T) {
	t.Parallel()
	ts, _ := compileTemplates(map[string]string{"application/json": "j", "text/html": "h", "application/xml": "x"})
	for _, tt := range []struct{ accept, want string }{
		{"", "application/json"},
		{"text/html", "text/html"},
		{"image/png, application/xml;q=0.9", "application/xml"},
		{"Text/HTML; charset=utf-8", "text/html"},
		{"image/png", "application/json"},
	} {
		if _, ct := ts.forResponse(tt.accept); ct != tt.want {
			t.Errorf("forResponse(%q) = %q; want %q", tt.accept, ct, tt.want)
		}
	}
	only, _ := compileTemplates(map[string]string{"text/plain": "p", "application/xml": "x"})
	if _, ct := only.forResponse("image/png"); ct != "application/xml" {
		t.Errorf("forResponse without json = %q; want the first by name", ct)
	}
}

func TestParseMockStatus(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		text string
		want int
		ok   bool
	}{
		{`{"statusCode": 200}`, 200, true},
		{`{"statusCode":418, "x": 1}`, 418, true},
		{`{"statusCode": "200"}`, 200, true}, // a quoted number is read as the number
		{`{}`, 0, false},
		{`#set($x = 1)`, 0, false},
		{`{"statusCode": 99}`, 0, false},
		// Not JSON: AWS reads unquoted and single-quoted keys (the CDK's {statusCode: 200}).
		{`{statusCode: 200}`, 200, true},
		{` { statusCode : 204 } `, 204, true},
		{`{'statusCode': 404}`, 404, true},
		{`{other: {a: 1, b: [2, 3]}, note: 'x, y: z', statusCode: 201,}`, 201, true},
		{`{statusCode: '200'}`, 0, false},
		{`{statusCode: 2oo}`, 0, false},
		{`{statusCode: 99}`, 0, false},
		{`{'statusCode: 200}`, 0, false},
		{`{[statusCode]: 200}`, 0, false},
		{`{statusCode}`, 0, false},
		{`{code: 200}`, 0, false},
		{`statusCode: 200`, 0, false},
		{`{statusCode: 200`, 0, false},
	} {
		got, err := parseMockStatus([]byte(tt.text))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseMockStatus(%q) = %d, %v; want %d, ok=%v", tt.text, got, err, tt.want, tt.ok)
		}
	}
}

// FuzzParseMockStatus holds the MOCK status reader to: no panic, and a status it accepts is
// one HTTP can send.
func FuzzParseMockStatus(f *testing.F) {
	for _, s := range []string{`{"statusCode": 200}`, `{statusCode: 200}`, `{'statusCode': 404, a: [1, {b: 'c'}]}`, `{"a": "\\"}`, `{`, `{'}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseMockStatus([]byte(s))
		if err == nil && (n < 100 || n > 599) {
			t.Fatalf("parseMockStatus(%q) = %d", s, n)
		}
	})
}
