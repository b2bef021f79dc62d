package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadConfigLambdaRuntimes: --lambda-runtime repeats, the environment and the file give
// comma-separated entries, and every malformed entry is reported.
func TestLoadConfigLambdaRuntimes(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "gatehouse.json")
	if err := os.WriteFile(file, []byte(`{"lambda-runtime": "python3.13=/opt/py313/bin/python3"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args    []string
		env     map[string]string
		want    map[string]string
		wantErr []string
	}{
		{want: nil},
		{args: []string{"--lambda-runtime", "python3.12=/usr/bin/python3.11", "--lambda-runtime", "nodejs22.x=node"},
			env:  map[string]string{"GATEHOUSE_LAMBDA_RUNTIME": "python3.12=/ignored"},
			want: map[string]string{"python3.12": "/usr/bin/python3.11", "nodejs22.x": "node"}},
		{env: map[string]string{"GATEHOUSE_LAMBDA_RUNTIME": "python3.9=/a, python3.10 = /b"},
			want: map[string]string{"python3.9": "/a", "python3.10": "/b"}},
		{args: []string{"--config", file}, want: map[string]string{"python3.13": "/opt/py313/bin/python3"}},
		{args: []string{
			"--lambda-runtime", "python3.12",
			"--lambda-runtime", "java21=/usr/bin/java",
			"--lambda-runtime", "python3.12=",
			"--lambda-runtime", "python3.11=/a",
			"--lambda-runtime", "python3.11=/b",
		}, wantErr: []string{
			`lambda-runtime: "python3.12" is not RUNTIME=INTERPRETER`,
			`lambda-runtime: "java21" is not a runtime that runs with an interpreter`,
			`lambda-runtime: "python3.12=" is not RUNTIME=INTERPRETER`,
			"lambda-runtime: python3.11 given twice",
		}},
	}
	for _, tt := range tests {
		cfg, ok := loadConfigCase(t, tt.args, tt.env, tt.wantErr)
		if !ok {
			continue
		}
		if got := cfg.LambdaRuntimes.Map(); !maps.Equal(got, tt.want) {
			t.Errorf("loadConfig(%q, %v) lambda runtimes = %v; want %v", tt.args, tt.env, got, tt.want)
		}
	}
}

// FuzzParseRuntimeEntry: any entry either parses to a managed runtime and a non-empty,
// trimmed interpreter, or is refused; it never panics.
func FuzzParseRuntimeEntry(f *testing.F) {
	for _, s := range []string{"python3.12=/usr/bin/python3.11", "nodejs22.x=node", "=", "python3.12", " python3.9 = /a=b ", "java21=x", "python3.12=\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, e string) {
		rt, p, err := parseRuntimeEntry(e)
		if err != nil {
			if rt != "" || p != "" {
				t.Fatalf("parseRuntimeEntry(%q) = %q, %q, %v; want nothing with an error", e, rt, p, err)
			}
			return
		}
		if p == "" || strings.TrimSpace(p) != p || strings.ContainsAny(p, "\x00\n") || !strings.Contains(e, "=") {
			t.Fatalf("parseRuntimeEntry(%q) = %q, %q; want a trimmed, non-empty interpreter", e, rt, p)
		}
		if l := (runtimeList{pairList{e}}); len(l.problems()) != 0 || l.Map()[rt] != p {
			t.Fatalf("runtimeList{%q}: problems %v, map %v; want none and %s=%s", e, l.problems(), l.Map(), rt, p)
		}
	})
}
