package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The script tests trust fields and lookup to read answers; check them on a known document.
func TestLookup(t *testing.T) {
	t.Parallel()
	var doc any
	if err := json.Unmarshal([]byte(`{"id":"a1","items":[{"path":"/"},{"path":"/x"}],
		"requestParameters":{"integration.request.path.proxy":"method.request.path.proxy"},
		"methodResponses":{"200":{"statusCode":"200"}},"n":29000,"empty":null}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   string
		want   any
		wantOK bool
	}{
		{"id", "a1", true},
		{"items.#", float64(2), true},
		{"items.1.path", "/x", true},
		{"items.2.path", nil, false},
		{"requestParameters[integration.request.path.proxy]", "method.request.path.proxy", true},
		{"methodResponses.200.statusCode", "200", true},
		{"n", float64(29000), true},
		{"missing", nil, false},
		{"missing.#", float64(0), true},
		{"empty.#", float64(0), true},
		{"id.deeper", nil, false},
	}
	for _, tt := range tests {
		got, ok, err := lookup(doc, tt.path)
		if err != nil || ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("lookup(doc, %q) = %v, %v, %v; want %v, %v, nil", tt.path, got, ok, err, tt.want, tt.wantOK)
		}
	}

	v := vars{"api": "a1"}
	want := fields{"id": "<api>", "n": 29000, "items.#": 2, "empty": present, "missing": absent, "items.0.path": "/"}
	if m := want.mismatches(doc, v.expand); len(m) != 1 || !strings.HasPrefix(m[0], "empty = null; want a value") {
		t.Errorf("mismatches = %q; want only that empty has no value", m)
	}
	wrong := fields{"id": "b2", "n": "29000", "missing": present, "items": absent}
	if m := wrong.mismatches(doc, v.expand); len(m) != 4 {
		t.Errorf("mismatches of 4 wrong fields = %q; want 4", m)
	}
}
