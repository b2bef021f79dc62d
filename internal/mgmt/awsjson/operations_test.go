package awsjson

import (
	"net/url"
	"testing"
)

// TestOperationAt: a bare path names the plain operation even where a query variant shares
// it; a pattern with the model's query part names the variant.
func TestOperationAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, want string
	}{
		{"POST /apikeys", "CreateApiKey"},
		{"POST /apikeys?mode=import", "ImportApiKeys"},
		{"POST /restapis", "CreateRestApi"},
		{"POST /restapis?mode=import", "ImportRestApi"},
		{"GET /apikeys/{api_Key}", "GetApiKey"},
		{"POST /apikeys?mode=merge", ""},
		{"POST /nothing", ""},
	}
	for _, tc := range tests {
		got := ""
		if op := OperationAt(tc.pattern); op != nil {
			got = op.Name
		}
		if got != tc.want {
			t.Errorf("OperationAt(%q) = %q; want %q", tc.pattern, got, tc.want)
		}
	}
}

// TestQueryVariant: the query a request carries picks the variant of a shared path.
func TestQueryVariant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, query, want string
	}{
		{"POST /apikeys", "mode=import&format=csv", "ImportApiKeys"},
		{"POST /apikeys", "", ""},
		{"POST /apikeys", "mode=other", ""},
		{"POST /restapis", "mode=import", "ImportRestApi"},
		{"GET /apikeys", "mode=import", ""},
	}
	for _, tc := range tests {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if op := QueryVariant(OperationAt(tc.base), q); op != nil {
			got = op.Name
		}
		if got != tc.want {
			t.Errorf("QueryVariant(%s, %q) = %q; want %q", tc.base, tc.query, got, tc.want)
		}
	}
}
