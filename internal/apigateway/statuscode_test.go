package apigateway

import "testing"

func TestStatusCode(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]bool{99: false, 100: true, 200: true, 599: true, 600: false, -200: false} {
		if got := IsStatusCode(n); got != want {
			t.Errorf("IsStatusCode(%d) = %v; want %v", n, got, want)
		}
	}
	for code, want := range map[string]bool{
		"100": true, "200": true, "599": true,
		"099": false, "600": false, "20": false, "2000": false, "": false, "+20": false, "2a0": false, " 200": false,
	} {
		if got := ValidStatusCode(code); got != want {
			t.Errorf("ValidStatusCode(%q) = %v; want %v", code, got, want)
		}
	}
}
