package iampolicy

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		fold       bool
		want       bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"*", "anything:at/all", false, true},
		{"abc", "abc", false, true},
		{"abc", "abC", false, false},
		{"abc", "abC", true, true},
		{"execute-api:*", "Execute-API:Invoke", true, true},
		{"execute-api:inv?ke", "execute-api:Invoke", true, true},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"a*c", "ac", false, true},
		{"a*c", "abbbc", false, true},
		{"a*c", "abbbd", false, false},
		{"*c", "abc", false, true},
		{"a*", "abc", false, true},
		{"a*b*c", "aXbYc", false, true},
		{"a*b*c", "aXcYb", false, false},
		{"ab*ba", "aba", false, false}, // head and tail must not overlap
		{"ab*ba", "abba", false, true},
		{"**", "x", false, true},
		{"*?", "", false, false},
		{"*?", "x", false, true},
		{"*a?b*", "xxaxxbacb", false, true},
		{"arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/*", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/42", false, true},
		{"arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/*", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets", false, false},
		{"arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/*", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/pets/1", false, false},
		{"arn:aws:execute-api:*", "arn:aws:execute-api:eu-west-1:1:x/y", false, true},
		{"*", "*0", false, true},
		{"?", "é", false, false}, // ? is one byte
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s, tt.fold); got != tt.want {
			t.Errorf("Match(%q, %q, %v) = %v; want %v", tt.pattern, tt.s, tt.fold, got, tt.want)
		}
	}
}

func TestMatchARN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"arn:aws:execute-api:us-east-1:123456789012:abc123/*", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/", true},
		{"arn:aws:execute-api:*:123456789012:abc123/*", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/", true},
		// A * in one part does not reach into the next.
		{"arn:aws:execute-api:*:abc123/*", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/", false},
		{"arn:aws:*:*:*:*", "arn:aws:s3:::bucket", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b", true},
		{"arn:aws:s3:::bucket/*", "not-an-arn", false},
		{"*", "not-an-arn", true},
		{"arn:aws:iam::123456789012:user/Alice", "arn:aws:iam::123456789012:user/alice", false},
	}
	for _, tt := range tests {
		if got := MatchARN(tt.pattern, tt.s); got != tt.want {
			t.Errorf("MatchARN(%q, %q) = %v; want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// TestMatchLinear: patterns built to make backtracking matchers explode finish quickly
// (the work is bounded by len(s) times the longest segment).
func TestMatchLinear(t *testing.T) {
	t.Parallel()
	s := strings.Repeat("a", 100000)
	p := strings.Repeat("*a", 5000) + "*b"
	if Match(p, s, false) || Match(p, s, true) {
		t.Fatal("matched a b that is not there")
	}
	if !Match(strings.Repeat("*a", 5000)+"*", s, false) {
		t.Fatal("did not match")
	}
	if Match("*"+strings.Repeat("?", 50)+"b*", s, false) {
		t.Fatal("matched a b that is not there")
	}
}

func BenchmarkMatch(b *testing.B) {
	p := "arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/*"
	s := "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/42"
	b.ReportAllocs()
	for b.Loop() {
		if !Match(p, s, false) {
			b.Fatal("no match")
		}
	}
}
