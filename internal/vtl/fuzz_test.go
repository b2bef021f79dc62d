package vtl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// goldenTemplates returns every template in testdata, to seed the fuzzers.
func goldenTemplates(f *testing.F) []*goldenCase {
	paths, _ := filepath.Glob("testdata/*.txtar")
	var cases []*goldenCase
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		files := txtar.Parse(data).Files
		cases = append(cases, goldenCases(files)...)
	}
	return cases
}

// FuzzParse: Parse never panics and fails only with a *ParseError at a position inside
// the template.
func FuzzParse(f *testing.F) {
	for _, c := range goldenTemplates(f) {
		f.Add(c.template)
	}
	f.Add("#if(")
	f.Add("${a.b(")
	f.Add(`"#set($x = "$x")"`)
	f.Fuzz(func(t *testing.T, src string) {
		_, err := Parse(src)
		if err == nil {
			return
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("Parse(%q) = %v; want a *ParseError", src, err)
		}
		if pe.Line < 1 || pe.Column < 1 || pe.Line > strings.Count(src, "\n")+1 {
			t.Fatalf("Parse(%q) = %v; position outside the template", src, err)
		}
	})
}

// FuzzExecute: executing any template that parses, with JSON globals, never panics (a
// recovered panic shows up as an internal error), stays within its limits and fails only
// with the package's error types.
func FuzzExecute(f *testing.F) {
	for _, c := range goldenTemplates(f) {
		f.Add(c.template, c.globals)
	}
	f.Fuzz(func(t *testing.T, src, globalsJSON string) {
		tmpl, err := Parse(src)
		if err != nil {
			return
		}
		globals := map[string]any{"testobj": &testObject{}}
		if v, err := ParseJSON([]byte(globalsJSON)); err == nil {
			if m, ok := v.(*Map); ok {
				for _, k := range m.Keys() {
					globals[k], _ = m.Get(k)
				}
			}
		}
		lim := Limits{MaxOutput: 1 << 16, MaxSteps: 20000, MaxLoop: 100}
		out, err := tmpl.Execute([]byte("prefix"), globals, lim)
		if err != nil {
			var le *LimitError
			var ee *ExecError
			if !errors.As(err, &le) && !errors.As(err, &ee) {
				t.Fatalf("Execute(%q) = %v; want a *LimitError or *ExecError", src, err)
			}
			if string(out) != "prefix" {
				t.Fatalf("Execute(%q) failed but returned %q; want dst unchanged", src, out)
			}
			return
		}
		if !strings.HasPrefix(string(out), "prefix") {
			t.Fatalf("Execute(%q) = %q; want dst kept as a prefix", src, out)
		}
		if len(out)-len("prefix") > lim.MaxOutput {
			t.Fatalf("Execute(%q) wrote %d bytes; want at most %d", src, len(out)-6, lim.MaxOutput)
		}
	})
}

// FuzzParseJSON: ParseJSON never panics, and what it accepts round-trips through AppendJSON.
func FuzzParseJSON(f *testing.F) {
	f.Add(`{"a":[1,2.5,"x\u00e9\ud83d\ude00",null,true,{"b":{}}]}`)
	f.Add(`[1e400, -0, 12345678901234567890]`)
	f.Add(`"\ud800"`)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseJSON([]byte(s))
		if err != nil {
			return
		}
		j := AppendJSON(nil, v)
		v2, err := ParseJSON(j)
		if err != nil {
			t.Fatalf("ParseJSON(AppendJSON(ParseJSON(%q))) = %v; AppendJSON gave %s", s, err, j)
		}
		if j2 := AppendJSON(nil, v2); string(j2) != string(j) {
			t.Fatalf("round trip of %q: %s then %s", s, j, j2)
		}
		_ = AppendString(nil, v)
	})
}
