package iampolicy

import (
	"errors"
	"strings"
	"testing"
)

const (
	account   = "123456789012"
	methodARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/42"
)

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse(%s) = %v", doc, err)
	}
	return p
}

func invoke(resource string) *Request {
	return &Request{Action: "execute-api:Invoke", Resource: resource}
}

type evalCase struct {
	name string
	req  *Request
	want Decision
}

func runEval(t *testing.T, doc string, cases []evalCase) {
	t.Helper()
	p := mustParse(t, doc)
	for _, tt := range cases {
		if got := p.Evaluate(tt.req); got != tt.want {
			t.Errorf("%s: Evaluate(%+v) = %v; want %v", tt.name, *tt.req, got, tt.want)
		}
	}
}

// A Lambda authorizer's output policy (the API Gateway developer guide's blueprint): one
// Allow with a method ARN wildcard, evaluated for each method ARN while cached.
func TestEvaluateAuthorizerPolicy(t *testing.T) {
	t.Parallel()
	runEval(t, `{
		"Version": "2012-10-17",
		"Statement": [{
			"Action": "execute-api:Invoke",
			"Effect": "Allow",
			"Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/*"
		}]
	}`, []evalCase{
		{"matching method", invoke(methodARN), Allow},
		{"action case-insensitive", &Request{Action: "EXECUTE-API:invoke", Resource: methodARN}, Allow},
		{"collection itself", invoke("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets"), ImplicitDeny},
		{"other verb", invoke("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/pets/42"), ImplicitDeny},
		{"other API", invoke("arn:aws:execute-api:us-east-1:123456789012:xyz789/prod/GET/pets/42"), ImplicitDeny},
		{"resource case-sensitive", invoke("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/Pets/42"), ImplicitDeny},
		{"other action", &Request{Action: "execute-api:InvalidateCache", Resource: methodARN}, ImplicitDeny},
	})
}

// The blueprint's Deny output and a Deny beside an Allow: an explicit deny wins.
func TestEvaluateDenyWins(t *testing.T) {
	t.Parallel()
	runEval(t, `{
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "Action": "execute-api:*", "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/*"},
			{"Effect": "Deny", "Action": ["execute-api:Invoke"], "Resource": ["arn:aws:execute-api:us-east-1:123456789012:abc123/*/DELETE/*"]}
		]
	}`, []evalCase{
		{"allowed", invoke(methodARN), Allow},
		{"denied", invoke("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/DELETE/pets/42"), ExplicitDeny},
		{"not covered", invoke("arn:aws:execute-api:us-east-1:123456789012:other/prod/GET/"), ImplicitDeny},
	})
}

func TestEvaluateStatementObjectAndVersions(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		`{"version":"2012-10-17","statement":[{"effect":"allow","action":"*","resource":"*"}]}`,
	} {
		if got := mustParse(t, doc).Evaluate(invoke(methodARN)); got != Allow {
			t.Errorf("Parse(%s).Evaluate = %v; want Allow", doc, got)
		}
	}
}

func TestEvaluateNotActionNotResource(t *testing.T) {
	t.Parallel()
	runEval(t, `{
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "NotAction": "execute-api:InvalidateCache", "Resource": "*"},
			{"Effect": "Deny", "Action": "execute-api:Invoke", "NotResource": ["arn:aws:execute-api:*:*:abc123/prod/*", "arn:aws:execute-api:*:*:abc123/test/*"]}
		]
	}`, []evalCase{
		{"prod", invoke(methodARN), Allow},
		{"dev denied by NotResource", invoke("arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/pets"), ExplicitDeny},
		{"not an allowed action", &Request{Action: "execute-api:InvalidateCache", Resource: methodARN}, ImplicitDeny},
		{"other action, any resource", &Request{Action: "execute-api:ManageConnections", Resource: "arn:aws:execute-api:us-east-1:1:x/dev/POST/@connections"}, Allow},
	})
}

func TestEvaluatePrincipal(t *testing.T) {
	t.Parallel()
	alice := Principal{ARN: "arn:aws:iam::123456789012:user/alice", AccountID: account}
	bob := Principal{ARN: "arn:aws:iam::123456789012:user/bob", AccountID: account}
	other := Principal{ARN: "arn:aws:iam::999999999999:user/alice", AccountID: "999999999999"}
	session := Principal{ARN: "arn:aws:sts::123456789012:assumed-role/deployer/ci", AccountID: account}
	apigw := Principal{Service: "apigateway.amazonaws.com"}
	req := func(p Principal) *Request { r := invoke(methodARN); r.Principal = p; return r }
	tests := []struct {
		principal string
		cases     []evalCase
	}{
		{`"*"`, []evalCase{{"anonymous", req(Principal{}), Allow}, {"user", req(alice), Allow}, {"service", req(apigw), Allow}}},
		{`{"AWS": "*"}`, []evalCase{{"anonymous", req(Principal{}), Allow}, {"user", req(alice), Allow}}},
		{`{"AWS": "123456789012"}`, []evalCase{{"user of account", req(alice), Allow}, {"other account", req(other), ImplicitDeny}, {"anonymous", req(Principal{}), ImplicitDeny}}},
		{`{"AWS": "arn:aws:iam::123456789012:root"}`, []evalCase{{"user of account", req(bob), Allow}, {"other account", req(other), ImplicitDeny}, {"account from ARN only", req(Principal{ARN: bob.ARN}), Allow}}},
		{`{"AWS": "arn:aws:iam::123456789012:user/alice"}`, []evalCase{{"alice", req(alice), Allow}, {"bob", req(bob), ImplicitDeny}, {"other account's alice", req(other), ImplicitDeny}}},
		{`{"AWS": ["arn:aws:iam::123456789012:user/bob", "999999999999"]}`, []evalCase{{"bob", req(bob), Allow}, {"other account", req(other), Allow}, {"alice", req(alice), ImplicitDeny}}},
		{`{"AWS": "arn:aws:iam::123456789012:role/path/deployer"}`, []evalCase{{"session of the role", req(session), Allow}, {"user", req(alice), ImplicitDeny}}},
		{`{"Service": "apigateway.amazonaws.com"}`, []evalCase{{"service", req(apigw), Allow}, {"other service", req(Principal{Service: "s3.amazonaws.com"}), ImplicitDeny}, {"user", req(alice), ImplicitDeny}}},
	}
	for _, tt := range tests {
		t.Run(tt.principal, func(t *testing.T) {
			t.Parallel()
			runEval(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":`+tt.principal+`,"Action":"execute-api:Invoke","Resource":"*"}]}`, tt.cases)
		})
	}
	// NotPrincipal with Deny: everyone but alice is denied.
	runEval(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
		{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"*","Resource":"*"}]}`,
		[]evalCase{{"alice", req(alice), Allow}, {"bob", req(bob), ExplicitDeny}, {"anonymous", req(Principal{}), ExplicitDeny}})
}

// API Gateway's resource policy examples (the developer guide's
// apigateway-resource-policies-examples): execute-api:/ shorthand resources.
func TestEvaluateResourcePolicyExamples(t *testing.T) {
	t.Parallel()
	withCond := func(resource string, conds map[string][]string) *Request {
		r := invoke(resource)
		r.Conditions = conds
		return r
	}
	t.Run("cross-account", func(t *testing.T) {
		t.Parallel()
		runEval(t, `{
			"Version": "2012-10-17",
			"Statement": [{
				"Effect": "Allow",
				"Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},
				"Action": "execute-api:Invoke",
				"Resource": ["execute-api:/stage/GET/pets"]
			}]
		}`, []evalCase{
			{"other account's user", &Request{Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/stage/GET/pets", Principal: Principal{ARN: "arn:aws:iam::111122223333:user/u", AccountID: "111122223333"}}, Allow},
			{"own account", &Request{Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/stage/GET/pets", Principal: Principal{AccountID: account}}, ImplicitDeny},
			{"other method", &Request{Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/stage/POST/pets", Principal: Principal{AccountID: "111122223333"}}, ImplicitDeny},
		})
	})
	t.Run("source IP", func(t *testing.T) {
		t.Parallel()
		doc := `{
			"Version": "2012-10-17",
			"Statement": [
				{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
				{"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
				 "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "198.51.100.0/24", "2001:db8::/32"]}}}
			]
		}`
		runEval(t, doc, []evalCase{
			{"allowed range", withCond(methodARN, map[string][]string{"aws:sourceip": {"192.0.2.7"}}), Allow},
			{"second range", withCond(methodARN, map[string][]string{"aws:sourceip": {"198.51.100.200"}}), Allow},
			{"IPv6 range", withCond(methodARN, map[string][]string{"aws:sourceip": {"2001:db8::1"}}), Allow},
			{"IPv4-mapped IPv6", withCond(methodARN, map[string][]string{"aws:sourceip": {"::ffff:192.0.2.7"}}), Allow},
			{"outside", withCond(methodARN, map[string][]string{"aws:sourceip": {"203.0.113.1"}}), ExplicitDeny},
			// NotIpAddress on a missing key holds: the Deny applies.
			{"no source IP", withCond(methodARN, nil), ExplicitDeny},
			{"not an execute-api ARN", withCond("arn:aws:lambda:us-east-1:123456789012:function:f", map[string][]string{"aws:sourceip": {"192.0.2.7"}}), ImplicitDeny},
		})
	})
	t.Run("deny by source VPC endpoint", func(t *testing.T) {
		t.Parallel()
		runEval(t, `{
			"Version": "2012-10-17",
			"Statement": [
				{"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
				 "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}},
				{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
			]
		}`, []evalCase{
			{"from the endpoint", withCond(methodARN, map[string][]string{"aws:sourcevpce": {"vpce-1a2b3c4d"}}), Allow},
			{"other endpoint", withCond(methodARN, map[string][]string{"aws:sourcevpce": {"vpce-99999999"}}), ExplicitDeny},
			{"not through an endpoint", withCond(methodARN, nil), ExplicitDeny},
		})
	})
	t.Run("allow from VPC", func(t *testing.T) {
		t.Parallel()
		runEval(t, `{
			"Version": "2012-10-17",
			"Statement": [
				{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*/GET/*",
				 "Condition": {"StringEquals": {"aws:SourceVpc": ["vpc-1a2b3c4d", "vpc-5e6f7a8b"]}}}
			]
		}`, []evalCase{
			{"first VPC", withCond(methodARN, map[string][]string{"aws:sourcevpc": {"vpc-1a2b3c4d"}}), Allow},
			{"second VPC", withCond(methodARN, map[string][]string{"aws:sourcevpc": {"vpc-5e6f7a8b"}}), Allow},
			{"other VPC", withCond(methodARN, map[string][]string{"aws:sourcevpc": {"vpc-00000000"}}), ImplicitDeny},
			{"no VPC", withCond(methodARN, nil), ImplicitDeny},
			{"POST", withCond("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/pets", map[string][]string{"aws:sourcevpc": {"vpc-1a2b3c4d"}}), ImplicitDeny},
		})
	})
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		want []string // substrings of the problems, in order
	}{
		{`not json`, []string{"not a JSON document"}},
		{`{} {}`, []string{"data after the top-level value"}},
		{`[]`, []string{"a JSON object, not an array"}},
		{`{"Version":"2012-10-17"}`, []string{"missing Statement"}},
		{`{"Version":"2020-01-01","Statement":[]}`, []string{`Version: "2020-01-01" is not a policy language version`}},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Colour":"red"}]}`, []string{`Statement[0]: unknown element "Colour"`}},
		{`{"Statement":[{"Effect":"Maybe","Action":"*","NotAction":"*","Resource":"*"}, 7, {"Effect":"Deny","Resource":5}]}`, []string{
			`Statement[0].Effect: must be "Allow" or "Deny", not "Maybe"`,
			`Statement[0]: both Action and NotAction`,
			`Statement[1]: a statement is a JSON object, not a number`,
			`Statement[2]: missing Action (or NotAction)`,
			`Statement[2].Resource: must be a string or an array of strings, not a number`,
		}},
		{`{"Statement":{"Effect":"Allow","Action":["Invoke",""],"Resource":["pets","*"]}}`, []string{
			`Statement.Action[0]: action "Invoke" is not "*" or service:action`,
			`Statement.Action[1]: action "" is not`,
			`Statement.Resource[0]: resource "pets" is not an ARN or "*"`,
		}},
		{`{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, []string{`Statement.Action: must not be an empty array`}},
		{`{"Statement":{"Effect":"Allow","Principal":"someone","Action":"*","Resource":"*"}}`, []string{`Statement.Principal: a principal given as a string must be "*"`}},
		{`{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob","Service":"*","Nobody":"x"},"Action":"*","Resource":"*"}}`, []string{
			`Statement.Principal: unknown element "Nobody"`,
			`Statement.Principal.AWS[0]: principal "bob" is not "*", an account id or an ARN`,
			`Statement.Principal.Service[0]: invalid service principal "*"`,
		}},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLikes":{"a":"b"},"ForSomeValues:StringLike":{"a":"b"},"NumericLessThan":{"n":"ten"},"IpAddress":{"aws:SourceIp":"1.2.3.4/99"},"DateLessThan":{"aws:CurrentTime":"yesterday"},"Bool":{"aws:SecureTransport":"yes"},"NullIfExists":{"k":"true"},"StringEquals":{"k":{"x":1}}}}}`, []string{
			`Statement.Condition.Bool.aws:SecureTransport[0]: "yes" is not true or false`,
			`Statement.Condition.DateLessThan.aws:CurrentTime[0]: "yesterday" is not a date`,
			`Statement.Condition.ForSomeValues:StringLike: unknown set qualifier "ForSomeValues"`,
			`Statement.Condition.IpAddress.aws:SourceIp[0]: "1.2.3.4/99" is not an IP address or CIDR block`,
			`Statement.Condition.NullIfExists: Null takes no set qualifier and no IfExists`,
			`Statement.Condition.NumericLessThan.n[0]: "ten" is not a number`,
			`Statement.Condition.StringEquals.k: a condition value is a string, number or boolean, not an object`,
			`Statement.Condition.StringLikes: unknown condition operator "StringLikes"`,
		}},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}}`, []string{`Statement.Resource[0]: policy variable without a closing }`}},
	}
	for _, tt := range tests {
		p, err := Parse([]byte(tt.doc))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%s) = %v, %v; want a *ParseError", tt.doc, p, err)
			continue
		}
		if len(pe.Problems) != len(tt.want) {
			t.Errorf("Parse(%s) problems = %q; want %d like %q", tt.doc, pe.Problems, len(tt.want), tt.want)
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(pe.Problems[i], w) {
				t.Errorf("Parse(%s) problem %d = %q; want it to contain %q", tt.doc, i, pe.Problems[i], w)
			}
		}
	}
}

func TestParseTooManyProblems(t *testing.T) {
	t.Parallel()
	doc := `{"Statement":[` + strings.Repeat(`{"Effect":"x"},`, 500) + `{}]}`
	_, err := Parse([]byte(doc))
	var pe *ParseError
	if !errors.As(err, &pe) || len(pe.Problems) != maxProblems+1 {
		t.Fatalf("Parse(500 bad statements) = %v; want %d problems", err, maxProblems+1)
	}
}

func TestNilPolicy(t *testing.T) {
	t.Parallel()
	var p *Policy
	if got := p.Evaluate(invoke(methodARN)); got != ImplicitDeny {
		t.Fatalf("nil.Evaluate = %v; want ImplicitDeny", got)
	}
}

// BenchmarkEvaluate: a cached authorizer policy re-evaluated for a method ARN, the data
// plane's per-request work. It must not allocate.
func BenchmarkEvaluate(b *testing.B) {
	p := mustParse(b, `{
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": [
				"arn:aws:execute-api:us-east-1:123456789012:abc123/*/POST/orders",
				"arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/*"]},
			{"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/*/DELETE/*"}
		]
	}`)
	r := invoke(methodARN)
	b.ReportAllocs()
	for b.Loop() {
		if p.Evaluate(r) != Allow {
			b.Fatal("not allowed")
		}
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/a"]},"Action":"execute-api:*","Resource":"arn:aws:execute-api:*:*:abc123/*/GET/*"},
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/DELETE/*"}]}`)
	r := &Request{Action: "execute-api:Invoke", Resource: methodARN, Principal: Principal{ARN: "arn:aws:iam::123456789012:user/b"}}
	if n := testing.AllocsPerRun(100, func() {
		if p.Evaluate(r) != Allow {
			t.Fatal("not allowed")
		}
	}); n != 0 {
		t.Fatalf("Evaluate allocates %v times per call; want 0", n)
	}
}
