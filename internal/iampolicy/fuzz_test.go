package iampolicy

import (
	"strings"
	"testing"
)

var seedPolicies = []string{
	`{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/*"}]}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}}}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}},{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","123456789012","arn:aws:iam::123456789012:user/alice"],"Service":"apigateway.amazonaws.com"},"Action":["execute-api:*"],"Resource":["execute-api:/stage/GET/pets"]}]}`,
	`{"Version":"2008-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/r"},"NotAction":"s3:*","NotResource":"arn:aws:s3:::b/*"}}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username, 'x'}/*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*","b?"]},"ForAnyValue:StringEquals":{"k":"v"},"NumericLessThanIfExists":{"n":5},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"Bool":{"b":true},"Null":{"z":"true"},"ArnLike":{"aws:SourceArn":"arn:aws:execute-api:*:*:abc/*"}}}}`,
	`{"Statement":[]}`,
	`{"Statement":[{"Effect":"x"}, 1, null, [], {"Action":{}}]}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	``,
}

// FuzzParse: Parse never panics, a document it accepts evaluates to one of the three
// decisions, and the same request gets the same decision twice.
func FuzzParse(f *testing.F) {
	for _, s := range seedPolicies {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := Parse(doc)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse = %v, %v; want nil with an error", p, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		r := &Request{Action: "execute-api:Invoke", Resource: methodARN, Principal: Principal{ARN: "arn:aws:iam::123456789012:user/alice", AccountID: account},
			Conditions: map[string][]string{"aws:sourceip": {"192.0.2.1"}, "aws:username": {"alice"}, "aws:tagkeys": {"a1", "b2"}}}
		d := p.Evaluate(r)
		if d != Allow && d != ImplicitDeny && d != ExplicitDeny {
			t.Fatalf("Evaluate = %v", d)
		}
		if d2 := p.Evaluate(r); d2 != d {
			t.Fatalf("Evaluate = %v then %v", d, d2)
		}
		p.Evaluate(&Request{})
	})
}

// FuzzEvaluate: any request against the seed policies gets one of the three decisions;
// a policy with only Allow statements never denies explicitly, and adding an Allow-all
// statement never turns an explicit deny into something else, nor an implicit deny into
// one.
func FuzzEvaluate(f *testing.F) {
	for i := range seedPolicies[:6] {
		f.Add(uint8(i), "execute-api:Invoke", methodARN, "arn:aws:iam::123456789012:user/alice", "apigateway.amazonaws.com", "aws:sourceip", "192.0.2.1")
	}
	f.Add(uint8(5), "s3:GetObject", "arn:aws:s3:::b/x/y", "", "", "aws:tagkeys", "a1")
	var policies []*Policy
	for _, s := range seedPolicies[:6] {
		p, err := Parse([]byte(s))
		if err != nil {
			f.Fatalf("seed %s: %v", s, err)
		}
		policies = append(policies, p)
	}
	f.Fuzz(func(t *testing.T, which uint8, action, resource, principalARN, service, key, value string) {
		p := policies[int(which)%len(policies)]
		r := &Request{Action: action, Resource: resource, Principal: Principal{ARN: principalARN, Service: service},
			Conditions: map[string][]string{strings.ToLower(key): {value}, "aws:username": {value}}}
		d := p.Evaluate(r)
		if d != Allow && d != ImplicitDeny && d != ExplicitDeny {
			t.Fatalf("Evaluate = %v", d)
		}
	})
}

// FuzzMatch: Match agrees with a plain dynamic-programming matcher.
func FuzzMatch(f *testing.F) {
	f.Add("arn:aws:execute-api:*:*:abc/*/GET/*", "arn:aws:execute-api:us-east-1:1:abc/prod/GET/x", false)
	f.Add("*a?b*", "xxaxbyy", true)
	f.Add("ab*ba", "aba", false)
	f.Add("*", "", false)
	f.Fuzz(func(t *testing.T, pattern, s string, fold bool) {
		if len(pattern) > 64 || len(s) > 64 {
			return
		}
		if fold {
			pattern = strings.Map(func(r rune) rune {
				if 'A' <= r && r <= 'Z' {
					return r + 'a' - 'A'
				}
				return r
			}, pattern)
		}
		if got, want := Match(pattern, s, fold), refMatch(pattern, s, fold); got != want {
			t.Fatalf("Match(%q, %q, %v) = %v; want %v", pattern, s, fold, got, want)
		}
	})
}

// refMatch is the textbook O(len(p)·len(s)) glob matcher.
func refMatch(p, s string, fold bool) bool {
	// m[j]: p[:i] matches s[:j].
	m := make([]bool, len(s)+1)
	m[0] = true
	for i := 0; i < len(p); i++ {
		next := make([]bool, len(s)+1)
		if p[i] == '*' {
			next[0] = m[0]
			for j := 1; j <= len(s); j++ {
				next[j] = m[j] || next[j-1]
			}
		} else {
			for j := 1; j <= len(s); j++ {
				c, d := p[i], s[j-1]
				eq := c == '?' || c == d || (fold && lower(c) == lower(d))
				next[j] = m[j-1] && eq
			}
		}
		m = next
	}
	return m[len(s)]
}
