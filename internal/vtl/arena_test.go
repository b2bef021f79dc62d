package vtl

import (
	"bytes"
	"testing"
)

// FuzzArena: a document parsed into a reused Arena reads the same as one parsed fresh, and
// reusing the Arena for another document leaves a copy taken before the reset intact.
func FuzzArena(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5, "x", {"b": null}], "c": true}`, `[]`, `"s"`, `{"k": "v", "k": "w"}`, `[{"a":1},{"a":2}]`, `123456789`, `-1.5e300`} {
		f.Add([]byte(s), []byte(`{"other": ["document", 1, 2, 3]}`))
	}
	f.Fuzz(func(t *testing.T, doc, other []byte) {
		want, werr := ParseJSON(doc)
		var a Arena
		if _, err := a.Parse(other); err == nil {
			a.Reset()
		}
		got, gerr := a.Parse(doc)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("ParseJSON error %v, Arena.Parse error %v", werr, gerr)
		}
		if werr != nil {
			return
		}
		wantJSON, gotJSON := AppendJSON(nil, want), AppendJSON(nil, got)
		if !bytes.Equal(wantJSON, gotJSON) {
			t.Fatalf("Arena.Parse = %s; ParseJSON = %s", gotJSON, wantJSON)
		}
		if string(AppendString(nil, got)) != string(AppendString(nil, want)) {
			t.Fatalf("printed differently: %s vs %s", AppendString(nil, got), AppendString(nil, want))
		}
		kept := string(gotJSON)
		a.Reset()
		a.Parse(other)
		if kept != string(wantJSON) {
			t.Fatalf("a copy taken before Reset changed: %s", kept)
		}
	})
}
