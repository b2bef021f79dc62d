package integration

import "testing"

func TestRawGreedy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		resource, raw, want string
		ok                  bool
	}{
		// Recorded from AWS: test_apigateway_lambda.snapshot.json.
		{"/{proxy+}", "/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com", "proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com", true},
		{"/{proxy+}", "/proxy-value//double-slash", "proxy-value//double-slash", true},
		{"/{proxy+}", "//proxy-value", "proxy-value", true},
		{"/{proxy+}", "/proxy-value/", "proxy-value", true},
		{"/files/{proxy+}", "/files/a%20b/c", "a%20b/c", true},
		{"/a/{id}/{rest+}", "/a/x%2Fy/p/q", "p/q", true},
		{"/files/{id}", "/files/a", "", false},
		{"/files/{proxy+}", "/files", "", false},
	}
	for _, tt := range tests {
		got, ok := rawGreedy(tt.resource, tt.raw)
		if got != tt.want || ok != tt.ok {
			t.Errorf("rawGreedy(%q, %q) = %q, %v; want %q, %v", tt.resource, tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}
