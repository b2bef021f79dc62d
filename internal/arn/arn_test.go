package arn

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want ARN
		ok   bool
	}{
		{"arn:aws:lambda:us-east-1:123456789012:function:f:live", ARN{"aws", "lambda", "us-east-1", "123456789012", "function:f:live"}, true},
		{"arn:aws:iam::123456789012:user/alice", ARN{"aws", "iam", "", "123456789012", "user/alice"}, true},
		{"arn:aws:s3:::bucket/key", ARN{"aws", "s3", "", "", "bucket/key"}, true},
		{"arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod/GET/", ARN{"aws-cn", "execute-api", "cn-north-1", "123456789012", "abc/prod/GET/"}, true},
		{"arn:aws:s3:::", ARN{}, false},
		{"arn::s3:::b", ARN{}, false},
		{"arn:aws::::b", ARN{}, false},
		{"arn:aws:s3:b", ARN{}, false},
		{"urn:aws:s3:::b", ARN{}, false},
		{"", ARN{}, false},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && got.String() != tt.in {
			t.Errorf("Parse(%q).String() = %q", tt.in, got.String())
		}
		if IsARN(tt.in) != tt.ok {
			t.Errorf("IsARN(%q) = %v; want %v", tt.in, !tt.ok, tt.ok)
		}
	}
}

func TestParseExecuteAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Method
		ok   bool
	}{
		{"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/42", Method{"abc123", "prod", "GET", "/pets/42"}, true},
		{"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/", Method{"abc123", "prod", "GET", "/"}, true},
		{"arn:aws:execute-api:us-east-1:123456789012:abc123/*/*", Method{"abc123", "*", "*", ""}, true},
		{"arn:aws:execute-api:us-east-1:123456789012:abc123/prod", Method{"abc123", "prod", "", ""}, true},
		{"arn:aws:execute-api:us-east-1:123456789012:abc123", Method{"abc123", "", "", ""}, true},
		{"arn:aws:execute-api:us-east-1:123456789012:/prod/GET/", Method{}, false},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", Method{}, false},
	}
	for _, tt := range tests {
		_, got, err := ParseExecuteAPI(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseExecuteAPI(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if got := ExecuteAPI("us-east-1", "123456789012", "abc123", "prod", "GET", "/pets/42"); got != tests[0].in {
		t.Errorf("ExecuteAPI = %q; want %q", got, tests[0].in)
	}
}

func TestBuilders(t *testing.T) {
	t.Parallel()
	if got, want := Lambda("eu-west-1", "123456789012", "f:live"), "arn:aws:lambda:eu-west-1:123456789012:function:f:live"; got != want {
		t.Errorf("Lambda = %q; want %q", got, want)
	}
	if got, want := IAMRoot("123456789012"), "arn:aws:iam::123456789012:root"; got != want {
		t.Errorf("IAMRoot = %q; want %q", got, want)
	}
	for s, want := range map[string]bool{"123456789012": true, "12345678901": false, "1234567890123": false, "12345678901a": false, "": false} {
		if IsAccountID(s) != want {
			t.Errorf("IsAccountID(%q) = %v; want %v", s, !want, want)
		}
	}
}

// FuzzParse: Parse never panics, what it accepts prints back as itself, and
// ParseExecuteAPI's parts rebuild its resource.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"arn:aws:lambda:us-east-1:123456789012:function:f:live",
		"arn:aws:iam::123456789012:root",
		"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/42",
		"arn:aws:execute-api:us-east-1:123456789012:abc123/*",
		"arn:::::", "arn", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		if a.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, a.String())
		}
		if _, m, err := ParseExecuteAPI(s); err == nil {
			rebuilt := m.APIID
			if m.Stage != "" || strings.Count(a.Resource, "/") > 0 {
				rebuilt += "/" + m.Stage
			}
			if m.Verb != "" || strings.Count(a.Resource, "/") > 1 {
				rebuilt += "/" + m.Verb
			}
			rebuilt += m.Path
			if rebuilt != a.Resource {
				t.Fatalf("ParseExecuteAPI(%q) = %+v; rebuilt %q, want %q", s, m, rebuilt, a.Resource)
			}
		}
	})
}
