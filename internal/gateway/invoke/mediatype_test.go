package invoke

import "testing"

func TestNegotiate(t *testing.T) {
	t.Parallel()
	both := map[string]int{"application/json": 1, "application/xml": 2, "text/plain": 3}
	noJSON := map[string]int{"application/xml": 2, "text/plain": 3}
	tests := []struct {
		accept string
		byType map[string]int
		want   string
	}{
		{"", both, "application/json"},
		{"text/plain", both, "text/plain"},
		{"image/png, Application/XML;q=0.5 ,text/plain", both, "application/xml"}, // first listed that has one, any case, q ignored
		{"image/png", both, "application/json"},
		{"*/*", both, "application/json"}, // no wildcard expansion
		{"image/png", noJSON, "application/xml"},
		{"", noJSON, "application/xml"},
		{" text/plain ; charset=utf-8", noJSON, "text/plain"},
	}
	for _, tt := range tests {
		v, mt, ok := Negotiate(tt.accept, tt.byType, "application/xml")
		if !ok || mt != tt.want || v != tt.byType[tt.want] {
			t.Errorf("Negotiate(%q) = %d, %q, %v; want %d, %q", tt.accept, v, mt, ok, tt.byType[tt.want], tt.want)
		}
	}
	if _, mt, ok := Negotiate[int]("text/plain", nil, ""); ok || mt != "" {
		t.Errorf("Negotiate over no types = %q, %v; want none", mt, ok)
	}
}

func TestFirstMediaType(t *testing.T) {
	t.Parallel()
	for accept, want := range map[string]string{
		"":                             "",
		"image/PNG;q=0.9, text/html":   "image/png",
		" application/json ,image/png": "application/json",
		",image/png":                   "",
	} {
		if got := FirstMediaType(accept); got != want {
			t.Errorf("FirstMediaType(%q) = %q; want %q", accept, got, want)
		}
	}
}

func FuzzNegotiate(f *testing.F) {
	f.Add("text/plain, application/xml;q=0.9")
	f.Add(",;,")
	byType := map[string]int{"application/json": 1, "text/plain": 2}
	f.Fuzz(func(t *testing.T, accept string) {
		v, mt, ok := Negotiate(accept, byType, "text/plain")
		if !ok || byType[mt] != v {
			t.Fatalf("Negotiate(%q) = %d, %q, %v: not one of the types", accept, v, mt, ok)
		}
	})
}
