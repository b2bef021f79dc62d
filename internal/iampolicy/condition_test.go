package iampolicy

import (
	"fmt"
	"testing"
)

type condCase struct {
	conds map[string][]string
	want  bool
}

// TestConditions: Condition(element) evaluated for request values = holds; want w. The
// statement is an Allow, so a holding condition is Allow and a failing one ImplicitDeny.
func TestConditions(t *testing.T) {
	t.Parallel()
	kv := func(pairs ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i < len(pairs); i += 2 {
			m[pairs[i]] = append(m[pairs[i]], pairs[i+1])
		}
		return m
	}
	tests := []struct {
		condition string
		cases     []condCase
	}{
		{`{"StringEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}}`, []condCase{
			{kv("aws:sourcevpce", "vpce-1"), true},
			{kv("aws:sourcevpce", "vpce-2"), true},
			{kv("aws:sourcevpce", "VPCE-1"), false},
			{nil, false},
		}},
		// Several keys in one operator, and several operators: all must hold.
		{`{"StringEquals": {"aws:SourceVpce": "vpce-1", "aws:PrincipalAccount": "123456789012"}, "Bool": {"aws:SecureTransport": true}}`, []condCase{
			{kv("aws:sourcevpce", "vpce-1", "aws:principalaccount", account, "aws:securetransport", "true"), true},
			{kv("aws:sourcevpce", "vpce-1", "aws:principalaccount", account, "aws:securetransport", "false"), false},
			{kv("aws:sourcevpce", "vpce-1", "aws:securetransport", "true"), false},
		}},
		{`{"StringNotEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}}`, []condCase{
			{kv("aws:sourcevpce", "vpce-1"), false},
			{kv("aws:sourcevpce", "vpce-2"), false},
			{kv("aws:sourcevpce", "vpce-3"), true},
			{nil, true}, // a negated operator holds for a missing key
		}},
		{`{"StringEqualsIgnoreCase": {"aws:username": "Alice"}}`, []condCase{{kv("aws:username", "aLiCe"), true}, {kv("aws:username", "bob"), false}}},
		{`{"StringNotEqualsIgnoreCase": {"aws:username": "Alice"}}`, []condCase{{kv("aws:username", "ALICE"), false}, {kv("aws:username", "bob"), true}}},
		{`{"StringLike": {"aws:Referer": ["https://example.com/*", "https://?.example.org/*"]}}`, []condCase{
			{kv("aws:referer", "https://example.com/page"), true},
			{kv("aws:referer", "https://a.example.org/x"), true},
			{kv("aws:referer", "https://ab.example.org/x"), false},
			{nil, false},
		}},
		{`{"StringNotLike": {"aws:Referer": "https://example.com/*"}}`, []condCase{{kv("aws:referer", "https://example.com/a"), false}, {kv("aws:referer", "https://evil.test/"), true}, {nil, true}}},
		{`{"NumericLessThan": {"s3:max-keys": 10}}`, []condCase{{kv("s3:max-keys", "9"), true}, {kv("s3:max-keys", "10"), false}, {kv("s3:max-keys", "ten"), false}, {nil, false}}},
		{`{"NumericLessThanEquals": {"n": "10"}}`, []condCase{{kv("n", "10"), true}, {kv("n", "10.5"), false}}},
		{`{"NumericGreaterThan": {"n": 1.5}}`, []condCase{{kv("n", "2"), true}, {kv("n", "1.5"), false}}},
		{`{"NumericGreaterThanEquals": {"n": 1.5}}`, []condCase{{kv("n", "1.5"), true}, {kv("n", "1"), false}}},
		{`{"NumericEquals": {"n": [1, 2]}}`, []condCase{{kv("n", "2.0"), true}, {kv("n", "3"), false}}},
		{`{"NumericNotEquals": {"n": [1, 2]}}`, []condCase{{kv("n", "2"), false}, {kv("n", "3"), true}, {nil, true}}},
		{`{"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}, "DateLessThan": {"aws:CurrentTime": "2026-12-31T23:59:59Z"}}`, []condCase{
			{kv("aws:currenttime", "2026-06-01T12:00:00Z"), true},
			{kv("aws:currenttime", "2026-06-01T12:00:00+02:00"), true},
			{kv("aws:currenttime", "2027-01-01T00:00:00Z"), false},
			{kv("aws:currenttime", "1780000000"), true}, // epoch seconds: 2026-05-28
			{kv("aws:currenttime", "garbage"), false},
			{nil, false},
		}},
		{`{"DateLessThanEquals": {"aws:EpochTime": 1780000000}}`, []condCase{{kv("aws:epochtime", "1780000000"), true}, {kv("aws:epochtime", "1780000001"), false}}},
		{`{"DateGreaterThanEquals": {"aws:CurrentTime": "2026-01-01"}}`, []condCase{{kv("aws:currenttime", "2026-01-01T00:00:00Z"), true}, {kv("aws:currenttime", "2025-12-31T23:59:59Z"), false}}},
		{`{"DateEquals": {"d": "2026-01-01T00:00:00Z"}}`, []condCase{{kv("d", "2026-01-01T01:00:00+01:00"), true}, {kv("d", "1767225600"), true}, {kv("d", "1767225601"), false}}},
		{`{"DateNotEquals": {"d": "2026-01-01T00:00:00Z"}}`, []condCase{{kv("d", "2026-01-01T00:00:00Z"), false}, {kv("d", "2026-01-02T00:00:00Z"), true}}},
		{`{"Bool": {"aws:SecureTransport": "false"}}`, []condCase{{kv("aws:securetransport", "false"), true}, {kv("aws:securetransport", "FALSE"), true}, {kv("aws:securetransport", "true"), false}, {nil, false}}},
		{`{"IpAddress": {"aws:SourceIp": ["203.0.113.5", "2001:db8:1234::/48"]}}`, []condCase{
			{kv("aws:sourceip", "203.0.113.5"), true},
			{kv("aws:sourceip", "203.0.113.6"), false},
			{kv("aws:sourceip", "2001:db8:1234:5::1"), true},
			{kv("aws:sourceip", "2001:db8:1235::1"), false},
			{kv("aws:sourceip", "not-an-ip"), false},
			{nil, false},
		}},
		{`{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}`, []condCase{{kv("aws:sourceip", "10.1.2.3"), false}, {kv("aws:sourceip", "11.1.2.3"), true}, {nil, true}}},
		{`{"ArnLike": {"aws:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/*"}}`, []condCase{
			{kv("aws:sourcearn", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets"), true},
			{kv("aws:sourcearn", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/pets"), false},
			{nil, false},
		}},
		{`{"ArnEquals": {"aws:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/*"}}`, []condCase{{kv("aws:sourcearn", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/x"), true}}},
		{`{"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic"}}`, []condCase{{kv("aws:sourcearn", "arn:aws:sns:eu-west-1:123456789012:topic"), false}, {kv("aws:sourcearn", "arn:aws:sns:eu-west-1:123456789012:other"), true}, {nil, true}}},
		{`{"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::bucket/*"}}`, []condCase{{kv("aws:sourcearn", "arn:aws:s3:::bucket/k"), false}, {kv("aws:sourcearn", "arn:aws:s3:::other/k"), true}}},
		{`{"Null": {"aws:TokenIssueTime": "true"}}`, []condCase{{nil, true}, {kv("aws:tokenissuetime", "x"), false}}},
		{`{"Null": {"aws:TokenIssueTime": false}}`, []condCase{{nil, false}, {kv("aws:tokenissuetime", "x"), true}}},
		{`{"StringEqualsIfExists": {"ec2:InstanceType": ["t2.micro", "t2.small"]}}`, []condCase{{nil, true}, {kv("ec2:instancetype", "t2.micro"), true}, {kv("ec2:instancetype", "m5.large"), false}}},
		{`{"NumericLessThanIfExists": {"n": 5}}`, []condCase{{nil, true}, {kv("n", "4"), true}, {kv("n", "6"), false}}},
		{`{"StringNotEqualsIfExists": {"k": "a"}}`, []condCase{{nil, true}, {kv("k", "a"), false}, {kv("k", "b"), true}}},
		// Set qualifiers on a multivalued key (aws:TagKeys, the IAM user guide's examples).
		{`{"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}`, []condCase{
			{kv("aws:tagkeys", "environment", "aws:tagkeys", "cost-center"), true},
			{kv("aws:tagkeys", "environment"), true},
			{kv("aws:tagkeys", "environment", "aws:tagkeys", "owner"), false},
			{nil, true}, // ForAllValues holds for a missing key
		}},
		{`{"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}`, []condCase{
			{kv("aws:tagkeys", "owner", "aws:tagkeys", "cost-center"), true},
			{kv("aws:tagkeys", "owner"), false},
			{nil, false},
		}},
		{`{"ForAllValues:StringNotEquals": {"aws:TagKeys": "secret"}}`, []condCase{{kv("aws:tagkeys", "a", "aws:tagkeys", "b"), true}, {kv("aws:tagkeys", "a", "aws:tagkeys", "secret"), false}, {nil, true}}},
		{`{"ForAnyValue:StringNotEquals": {"aws:TagKeys": "secret"}}`, []condCase{{kv("aws:tagkeys", "secret", "aws:tagkeys", "b"), true}, {kv("aws:tagkeys", "secret"), false}, {nil, false}}},
		{`{"ForAnyValue:StringLike": {"aws:TagKeys": "team-*"}}`, []condCase{{kv("aws:tagkeys", "x", "aws:tagkeys", "team-a"), true}, {kv("aws:tagkeys", "x"), false}}},
		// Without a set qualifier a multivalued key: a positive operator wants one match, a
		// negated one no match.
		{`{"StringEquals": {"k": "a"}}`, []condCase{{kv("k", "b", "k", "a"), true}, {kv("k", "b", "k", "c"), false}}},
		{`{"StringNotEquals": {"k": "a"}}`, []condCase{{kv("k", "b", "k", "a"), false}, {kv("k", "b", "k", "c"), true}}},
		// A key without values is missing.
		{`{"StringEquals": {"k": ""}}`, []condCase{{map[string][]string{"k": {}}, false}, {kv("k", ""), true}}},
		// Operator names and keys without regard to case.
		{`{"stringequals": {"AWS:SOURCEVPCE": "vpce-1"}}`, []condCase{{kv("aws:sourcevpce", "vpce-1"), true}}},
	}
	for _, tt := range tests {
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + tt.condition + `}}`
		p := mustParse(t, doc)
		for _, c := range tt.cases {
			r := invoke(methodARN)
			r.Conditions = c.conds
			want := ImplicitDeny
			if c.want {
				want = Allow
			}
			if got := p.Evaluate(r); got != want {
				t.Errorf("Condition %s with %v = %v; want %v", tt.condition, c.conds, got, want)
			}
		}
	}
}

func TestPolicyVariables(t *testing.T) {
	t.Parallel()
	user := func(name string) map[string][]string {
		if name == "" {
			return nil
		}
		return map[string][]string{"aws:username": {name}}
	}
	tests := []struct {
		doc      string
		resource string
		conds    map[string][]string
		want     Decision
	}{
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}`, "arn:aws:s3:::bucket/home/alice/f", user("alice"), Allow},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}`, "arn:aws:s3:::bucket/home/bob/f", user("alice"), ImplicitDeny},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}`, "arn:aws:s3:::bucket/home/alice/f", nil, ImplicitDeny},
		// A value with a wildcard in it is not substituted into a pattern.
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}`, "arn:aws:s3:::bucket/home/alice/f", user("*"), ImplicitDeny},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username, 'guest'}/*"}}`, "arn:aws:s3:::bucket/home/guest/f", nil, Allow},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${$}{literal}"}}`, "arn:aws:s3:::bucket/${literal}", nil, Allow},
		// A missing variable makes the statement not apply, NotResource too.
		{`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:GetObject","NotResource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}`, "arn:aws:s3:::bucket/other", nil, ImplicitDeny},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:GetObject","NotResource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}`, "arn:aws:s3:::bucket/other", user("alice"), ExplicitDeny},
		// In 2008-10-17 (and without a Version) ${...} is literal text.
		{`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:username}"}}`, "arn:aws:s3:::bucket/${aws:username}", user("alice"), Allow},
		{`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:username}"}}`, "arn:aws:s3:::bucket/alice", user("alice"), ImplicitDeny},
		// In condition values.
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}}`, "arn:aws:s3:::bucket", map[string][]string{"aws:username": {"alice"}, "s3:prefix": {"home/alice/docs"}}, Allow},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"${aws:username}"}}}}`, "arn:aws:s3:::bucket", map[string][]string{"aws:username": {"a*"}, "s3:prefix": {"a*"}}, Allow},
		// A condition whose variable cannot be resolved fails, a negated one too.
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringNotEquals":{"s3:prefix":"${aws:username}"}}}}`, "arn:aws:s3:::bucket", map[string][]string{"s3:prefix": {"x"}}, ImplicitDeny},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringNotEquals":{"s3:prefix":"${aws:username}"}}}}`, "arn:aws:s3:::bucket", map[string][]string{"s3:prefix": {"x"}, "aws:username": {"y"}}, Allow},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"${ AWS:UserName , 'it''s' }"}}}}`, "arn:aws:s3:::bucket", map[string][]string{"s3:prefix": {"it's"}}, Allow},
	}
	for _, tt := range tests {
		p := mustParse(t, tt.doc)
		r := &Request{Action: "s3:" + map[bool]string{true: "ListBucket", false: "GetObject"}[tt.resource == "arn:aws:s3:::bucket"], Resource: tt.resource, Conditions: tt.conds}
		if got := p.Evaluate(r); got != tt.want {
			t.Errorf("Parse(%s).Evaluate(%s, %v) = %v; want %v", tt.doc, tt.resource, tt.conds, got, tt.want)
		}
	}
}

// TestConditionsDoNotAllocate: string, IP and numeric conditions, the resource policies'
// kinds, allocate nothing either.
func TestConditionsDoNotAllocate(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
		 "Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]},"StringLike":{"aws:UserAgent":"curl/*"},"NumericLessThan":{"n":5},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}},
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}`)
	r := invoke(methodARN)
	r.Conditions = map[string][]string{"aws:sourceip": {"192.0.2.9"}, "aws:useragent": {"curl/8.0"}, "n": {"4"}, "aws:currenttime": {"2026-05-01T10:00:00Z"}, "aws:sourcevpce": {"vpce-1"}}
	if n := testing.AllocsPerRun(100, func() {
		if got := p.Evaluate(r); got != Allow {
			t.Fatalf("Evaluate = %v; want Allow", got)
		}
	}); n != 0 {
		t.Fatalf("Evaluate allocates %v times per call; want 0", n)
	}
}

func BenchmarkEvaluateConditions(b *testing.B) {
	p := mustParse(b, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","198.51.100.0/24"]}}}]}`)
	r := invoke(methodARN)
	r.Conditions = map[string][]string{"aws:sourceip": {"192.0.2.9"}}
	b.ReportAllocs()
	for b.Loop() {
		if p.Evaluate(r) != Allow {
			b.Fatal("not allowed")
		}
	}
}

func ExampleParse() {
	p, err := Parse([]byte(`{
		"Version": "2012-10-17",
		"Statement": [{
			"Effect": "Allow",
			"Action": "execute-api:Invoke",
			"Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/*"
		}]
	}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Evaluate(&Request{Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/1"}))
	fmt.Println(p.Evaluate(&Request{Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/DELETE/pets/1"}))
	// Output:
	// Allow
	// ImplicitDeny
}
