package lambda

import (
	"strings"
	"testing"
)

// FuzzParseFunctionRef: whatever parses names a valid function, and re-joining its parts in
// the ARN form parses back to the same reference.
func FuzzParseFunctionRef(f *testing.F) {
	for _, s := range []string{"hello", "hello:$LATEST", "123456789012:function:hello:7", "arn:aws:lambda:us-east-1:123456789012:function:hello:prod", "a:b:c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, ok := ParseFunctionRef(s)
		if !ok {
			return
		}
		if !ValidFunctionName(ref.Name) || strings.Contains(ref.Qualifier, ":") {
			t.Fatalf("ParseFunctionRef(%q) = %+v; want a valid name and qualifier", s, ref)
		}
		arn := "arn:aws:lambda:r-1:" + strings.Repeat("1", 12) + ":function:" + ref.Name
		if ref.Qualifier != "" {
			arn += ":" + ref.Qualifier
		}
		back, ok := ParseFunctionRef(arn)
		if !ok || back.Name != ref.Name || back.Qualifier != ref.Qualifier {
			t.Fatalf("ParseFunctionRef(%q) = %+v, %v; want name %q qualifier %q", arn, back, ok, ref.Name, ref.Qualifier)
		}
	})
}

// FuzzWildcardMatch: a pattern matches itself when it has no wildcard, "*" matches all, and
// matching never panics.
func FuzzWildcardMatch(f *testing.F) {
	f.Add("arn:aws:execute-api:*:*:abc/*/GET/*", "arn:aws:execute-api:us-east-1:1:abc/prod/GET/x")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		WildcardMatch(pattern, s)
		if !strings.ContainsAny(s, "*?") && !WildcardMatch(s, s) {
			t.Fatalf("WildcardMatch(%q, itself) = false", s)
		}
		if !WildcardMatch("*", s) {
			t.Fatalf("WildcardMatch(*, %q) = false", s)
		}
		if !strings.ContainsAny(s, "*?") && !WildcardMatch("*"+s+"*", "x"+s+"y") {
			t.Fatalf("WildcardMatch(*%s*, x%sy) = false", s, s)
		}
	})
}
