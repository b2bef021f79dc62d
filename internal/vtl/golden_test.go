package vtl

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the output sections of testdata/*.txtar")

// A golden file is a txtar archive of cases. Each case is a group of sections:
//
//	-- NAME.template --   the template
//	-- NAME.globals --    optional: globals as a JSON object (decoded with ParseJSON)
//	-- NAME.limits --     optional: Limits as JSON
//	-- NAME.output --     the expected output, or
//	-- NAME.error --      a substring of the expected error
//
// One final newline of every section is not part of it (txtar adds it), so a template
// or output that ends in a newline ends in a blank line.
func section(data []byte) string {
	return strings.TrimSuffix(string(data), "\n")
}

type goldenCase struct {
	name, template, globals, limits string
	output, errSubstr               *string
	outputIndex                     int // index in the file list of the output section
}

func goldenCases(files []txtar.File) []*goldenCase {
	var cases []*goldenCase
	byName := map[string]*goldenCase{}
	for i, f := range files {
		dot := strings.LastIndexByte(f.Name, '.')
		if dot < 0 {
			continue
		}
		name, kind := f.Name[:dot], f.Name[dot+1:]
		c := byName[name]
		if c == nil {
			c = &goldenCase{name: name, outputIndex: -1}
			byName[name] = c
			cases = append(cases, c)
		}
		s := section(f.Data)
		switch kind {
		case "template":
			c.template = s
		case "globals":
			c.globals = s
		case "limits":
			c.limits = s
		case "output":
			c.output = &s
			c.outputIndex = i
		case "error":
			c.errSubstr = &s
		}
	}
	return cases
}

// runCase parses and renders a golden case: output or the error's text.
func runCase(t testing.TB, c *goldenCase) (string, error) {
	tmpl, err := Parse(c.template)
	if err != nil {
		return "", err
	}
	var globals map[string]any
	if c.globals != "" {
		v, err := ParseJSON([]byte(c.globals))
		if err != nil {
			t.Fatalf("%s: globals: %v", c.name, err)
		}
		m, ok := v.(*Map)
		if !ok {
			t.Fatalf("%s: globals are not a JSON object", c.name)
		}
		globals = map[string]any{}
		for _, k := range m.Keys() {
			globals[k], _ = m.Get(k)
		}
	}
	if globals == nil {
		globals = map[string]any{}
	}
	globals["testobj"] = &testObject{}
	var lim Limits
	if c.limits != "" {
		if err := json.Unmarshal([]byte(c.limits), &lim); err != nil {
			t.Fatalf("%s: limits: %v", c.name, err)
		}
	}
	out, err := tmpl.Execute(nil, globals, lim)
	return string(out), err
}

// testObject is a host Object: properties name and count, methods echo and fail.
type testObject struct{}

func (*testObject) Property(name string) (any, bool) {
	switch name {
	case "name":
		return "obj", true
	case "count":
		return 3, true // a Go int, normalized to int64
	}
	return nil, false
}

func (*testObject) Call(method string, args []any) (any, error) {
	switch method {
	case "echo":
		return NewList(args...), nil
	case "fail":
		return nil, errors.New("host failure")
	}
	return nil, nil
}

func (*testObject) String() string { return "testobj" }

func TestGolden(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ar := txtar.Parse(data)
		files := ar.Files
		changed := false
		for _, c := range goldenCases(files) {
			got, err := runCase(t, c)
			switch {
			case c.errSubstr != nil:
				if err == nil || !strings.Contains(err.Error(), *c.errSubstr) {
					t.Errorf("%s: %s: Execute = %q, %v; want error containing %q", path, c.name, got, err, *c.errSubstr)
				}
			case err != nil:
				t.Errorf("%s: %s: Execute = %v; want output %q", path, c.name, err, deref(c.output))
			case c.output == nil || got != *c.output:
				if *update {
					if c.outputIndex >= 0 {
						files[c.outputIndex].Data = []byte(got + "\n")
					} else {
						files = append(files, txtar.File{Name: c.name + ".output", Data: []byte(got + "\n")})
					}
					changed = true
					continue
				}
				t.Errorf("%s: %s:\ntemplate:\n%s\ngot:\n%q\nwant:\n%q", path, c.name, c.template, got, deref(c.output))
			}
		}
		if changed {
			if err := os.WriteFile(path, txtar.Format(&txtar.Archive{Comment: ar.Comment, Files: files}), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}
