package mgmt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store/memory"

	"golang.org/x/tools/txtar"
)

// The management plane's conformance fixtures live in testdata/conformance/mgmt/*.txtar at the
// repository root. Each is a txtar archive: a comment saying what AWS does and where that is
// recorded, then one or more steps, run in order against one fresh management server:
//
//	-- request --    an HTTP/1.1 request as sent on the wire (method, path, headers, a blank
//	                 line, the body); a name may follow, e.g. "-- request create --"
//	-- response --   the status line, the headers to check (Name: value exactly, Name: *
//	                 present, !Name absent), a blank line and the body to check
//
// Each request section is followed by its response section. Variables: "${name}" anywhere in
// a request or in a response's strings is replaced by the value bound to name. In an expected
// JSON body, a string that is exactly "${name}" binds name to the value found there when name
// is not bound yet (so the id CreateRestApi answers can be used by the next request) and must
// equal it afterwards; "${*}" matches any value, and "${absent}" says the key must be absent.
// "$${" is a literal "${".
// Built in: ${account} (123456789012) and ${region} (us-east-1).
//
// Bodies are compared as JSON when the expected body is JSON: an expected object lists the
// keys it pins and the answer may have more (a response section named "response exact" asks
// for exactly those keys, at every depth); arrays must have the same length and match
// element by element. A body of a single "*" is not checked; an empty expected body asks for
// an empty answer. Anything else is compared as text after variables are replaced.
//
//	-- deviation --  optional: where gatehouse knowingly differs from AWS, and why
//
// Every answer is also checked against botocore's service model (conformance_model_test.go).
const mgmtConformanceDir = "../../testdata/conformance/mgmt"

func TestMgmtConformance(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(mgmtConformanceDir, "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s: %v", mgmtConformanceDir, err)
	}
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".txtar"), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			ar := txtar.Parse(data)
			comment, sections := string(ar.Comment), ar.Files
			if strings.TrimSpace(comment) == "" {
				t.Error("fixture has no comment saying what AWS does and where that is recorded")
			}
			runMgmtFixture(t, sections)
		})
	}
}

// mgmtFixture is the state of one fixture's run: its server and the variables bound so far.
type mgmtFixture struct {
	t    *testing.T
	url  string
	vars map[string]string
	// modelProblems are the answers' disagreements with the service model so far
	// (conformance_model_test.go).
	modelProblems []string
}

func runMgmtFixture(t *testing.T, sections []txtar.File) {
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(New(Config{Store: st, Scope: model.Scope{AccountID: testAccount, Region: "us-east-1"}}))
	t.Cleanup(srv.Close)
	f := &mgmtFixture{t: t, url: srv.URL, vars: map[string]string{"account": testAccount, "region": "us-east-1"}}
	defer f.reportModelProblems()

	steps := 0
	for i := 0; i < len(sections); i++ {
		s := sections[i]
		switch {
		case s.Name == "deviation":
			continue
		case s.Name == "request" || strings.HasPrefix(s.Name, "request "):
		default:
			t.Fatalf("section %q: want a request, a response after it, or deviation", s.Name)
		}
		if i+1 >= len(sections) || !strings.HasPrefix(sections[i+1].Name, "response") {
			t.Fatalf("section %q has no response section after it", s.Name)
		}
		steps++
		resp := sections[i+1]
		i++
		step := fmt.Sprintf("step %d (%s)", steps, s.Name)
		status, header, body := f.send(step, string(s.Data))
		f.check(step, resp, status, header, body)
		f.checkModel(step, string(s.Data), status, header, body)
		if t.Failed() {
			return // later steps depend on this one
		}
	}
	if steps == 0 {
		t.Fatal("fixture has no request section")
	}
}

// varRef is a "${name}" reference.
var varRef = regexp.MustCompile(`\$\{([A-Za-z0-9_.*-]+)\}`)

// subst replaces the bound variables in s; an unbound one fails the test. "$${" stands for a
// literal "${" (AWS's own "${stageVariables.x}" in a fixture).
func (f *mgmtFixture) subst(step, s string) string {
	s = strings.ReplaceAll(s, "$${", "\x00")
	return strings.ReplaceAll(f.substVars(step, s), "\x00", "${")
}

func (f *mgmtFixture) substVars(step, s string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := f.vars[name]
		if !ok {
			f.t.Fatalf("%s: variable %s is not bound", step, m)
		}
		return v
	})
}

// send makes the step's request on a real socket and returns the answer.
func (f *mgmtFixture) send(step, raw string) (int, http.Header, []byte) {
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	head, body, _ := strings.Cut(raw, "\n\n")
	head, body = f.subst(step, head), f.subst(step, strings.TrimSuffix(body, "\n"))
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head + "\n\n")))
	if err != nil {
		f.t.Fatalf("%s: request: %v", step, err)
	}
	out, err := http.NewRequestWithContext(f.t.Context(), req.Method, f.url+req.RequestURI, strings.NewReader(body))
	if err != nil {
		f.t.Fatalf("%s: request: %v", step, err)
	}
	out.Header = req.Header
	if body == "" {
		out.Body, out.ContentLength = http.NoBody, 0
	}
	resp, err := testClient.Do(out)
	if err != nil {
		f.t.Fatalf("%s: %v", step, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s: reading the answer: %v", step, err)
	}
	return resp.StatusCode, resp.Header, b
}

// check compares an answer with the response section.
func (f *mgmtFixture) check(step string, want txtar.File, status int, header http.Header, body []byte) {
	t := f.t
	raw := strings.ReplaceAll(string(want.Data), "\r\n", "\n")
	wantHead, wantBody, _ := strings.Cut(raw, "\n\n")
	wantBody = strings.TrimSpace(wantBody)
	lines := strings.Split(strings.TrimSpace(wantHead), "\n")
	fields := strings.Fields(lines[0])
	if len(fields) < 2 {
		t.Fatalf("%s: bad status line %q", step, lines[0])
	}
	wantStatus, err := strconv.Atoi(fields[1])
	if err != nil {
		t.Fatalf("%s: bad status line %q", step, lines[0])
	}
	if status != wantStatus {
		t.Errorf("%s: status = %d; want %d (body %s)", step, status, wantStatus, body)
	}
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if name, ok := strings.CutPrefix(l, "!"); ok {
			if v := header.Values(name); len(v) > 0 {
				t.Errorf("%s: header %s = %q; want it absent", step, name, v)
			}
			continue
		}
		name, val, _ := strings.Cut(l, ":")
		val = f.subst(step, strings.TrimSpace(val))
		got := header.Get(name)
		switch {
		case val == "*" && len(header.Values(name)) == 0:
			t.Errorf("%s: header %s missing", step, name)
		case val != "*" && got != val:
			t.Errorf("%s: header %s = %q; want %q", step, name, got, val)
		}
	}
	switch {
	case wantBody == "*":
	case wantBody == "":
		if len(bytes.TrimSpace(body)) != 0 {
			t.Errorf("%s: body = %s; want none", step, body)
		}
	default:
		var w any
		if err := json.Unmarshal([]byte(wantBody), &w); err != nil {
			if got, exp := string(body), f.subst(step, wantBody); got != exp {
				t.Errorf("%s: body = %q; want %q", step, got, exp)
			}
			return
		}
		var g any
		if err := json.Unmarshal(body, &g); err != nil {
			t.Errorf("%s: body %q is not JSON: %v", step, body, err)
			return
		}
		m := &jsonMatch{f: f, step: step, exact: strings.HasSuffix(want.Name, " exact") || want.Name == "response exact"}
		m.match("$", g, w)
		if len(m.problems) > 0 {
			t.Errorf("%s: body %s\n%s", step, body, strings.Join(m.problems, "\n"))
		}
	}
}

// jsonMatch compares an answer's JSON with the expected JSON, binding variables as it goes.
type jsonMatch struct {
	f        *mgmtFixture
	step     string
	exact    bool
	problems []string
}

func (m *jsonMatch) fail(path, format string, args ...any) {
	m.problems = append(m.problems, path+": "+fmt.Sprintf(format, args...))
}

func (m *jsonMatch) match(path string, got, want any) {
	if s, ok := want.(string); ok {
		if ref := varRef.FindStringSubmatch(s); ref != nil && ref[0] == s {
			name := ref[1]
			if name == "*" {
				return
			}
			if v, bound := m.f.vars[name]; bound {
				want = v
			} else {
				gs, ok := got.(string)
				if !ok {
					m.fail(path, "got %v; want a string to bind to %s", got, s)
					return
				}
				m.f.vars[name] = gs
				return
			}
		} else {
			want = m.f.subst(m.step, s)
		}
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			m.fail(path, "got %v; want an object", got)
			return
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, present := g[k]
			if w[k] == "${absent}" {
				if present {
					m.fail(path+"."+k, "got %v; want the key absent", gv)
				}
				continue
			}
			if !present {
				m.fail(path+"."+k, "missing")
				continue
			}
			m.match(path+"."+k, gv, w[k])
		}
		if m.exact {
			for k, gv := range g {
				if _, listed := w[k]; !listed {
					m.fail(path+"."+k, "got %v; want no such key", gv)
				}
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			m.fail(path, "got %v; want %v", got, want)
			return
		}
		for i := range w {
			m.match(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])
		}
	default:
		if fmt.Sprint(got) != fmt.Sprint(want) || (got == nil) != (want == nil) {
			m.fail(path, "got %#v; want %#v", got, want)
		}
	}
}

// TestMgmtConformanceMatcher shows that the fixtures' JSON comparison can fail: each case is
// an answer that must not match its expectation, and one that must.
func TestMgmtConformanceMatcher(t *testing.T) {
	cases := []struct {
		got, want string
		exact     bool
		ok        bool
	}{
		{`{"a":"x","b":1}`, `{"a":"x"}`, false, true},
		{`{"a":"x","b":1}`, `{"a":"x"}`, true, false},
		{`{"a":"x"}`, `{"a":"y"}`, false, false},
		{`{"a":"x"}`, `{"a":"${absent}"}`, false, false},
		{`{"b":"x"}`, `{"a":"${absent}"}`, false, true},
		{`{"a":[1,2]}`, `{"a":[1]}`, false, false},
		{`{"a":null}`, `{"a":"<nil>"}`, false, false},
		{`{"a":"v","b":"v"}`, `{"a":"${x}","b":"${x}"}`, false, true},
		{`{"a":"v","b":"w"}`, `{"a":"${x}","b":"${x}"}`, false, false},
		{`{"a":{"c":1,"d":2}}`, `{"a":{"c":1}}`, true, false},
		{`{"a":1}`, `{"a":"${*}"}`, false, true},
		{`{"a":"${stageVariables.v}"}`, `{"a":"$${stageVariables.v}"}`, false, true},
		{`{"a":"x"}`, `{"a":"$${stageVariables.v}"}`, false, false},
	}
	for _, c := range cases {
		var g, w any
		if err := json.Unmarshal([]byte(c.got), &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(c.want), &w); err != nil {
			t.Fatal(err)
		}
		m := &jsonMatch{f: &mgmtFixture{t: t, vars: map[string]string{}}, step: "case", exact: c.exact}
		m.match("$", g, w)
		if ok := len(m.problems) == 0; ok != c.ok {
			t.Errorf("match(%s, %s, exact=%v) = %v (%v); want %v", c.got, c.want, c.exact, ok, m.problems, c.ok)
		}
	}
}
