package lambda

import "testing"

// TestPermissions: the resource policy evaluated by iampolicy, beyond AddPermission's own
// statements (TestAllowsAPIGateway).
func TestPermissions(t *testing.T) {
	t.Parallel()
	const src = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/hello"
	apigw := NewPrincipal("apigateway.amazonaws.com")
	allow := Statement{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: apigw}
	with := func(st Statement, cond map[string]map[string]string) Statement { st.Condition = cond; return st }
	tests := []struct {
		name   string
		policy []Statement
		want   bool
	}{
		{"condition key in any case", []Statement{with(allow, map[string]map[string]string{"ArnLike": {"aws:sourcearn": "arn:aws:execute-api:eu-west-1:123456789012:abc123/*"}})}, true},
		{"ArnEquals with a wildcard", []Statement{with(allow, map[string]map[string]string{"ArnEquals": {"AWS:SourceArn": "arn:aws:execute-api:*:123456789012:abc123/*/GET/hello"}})}, true},
		{"a * does not span the ARN's parts", []Statement{with(allow, map[string]map[string]string{"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:*:abc123/*"}})}, false},
		{"action wildcard", []Statement{{Effect: "Allow", Action: "lambda:Invoke*", Principal: apigw}}, true},
		{"explicit deny wins", []Statement{allow, {Effect: "Deny", Action: "lambda:*", Principal: NewPrincipal("*")}}, false},
		{"qualified resource counts for $LATEST", []Statement{{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: apigw, Resource: "arn:aws:lambda:eu-west-1:123456789012:function:f:live"}}, true},
		{"an unreadable statement allows nothing", []Statement{with(allow, map[string]map[string]string{"NoSuchOperator": {"k": "v"}})}, false},
		{"an unreadable statement leaves the others", []Statement{with(allow, map[string]map[string]string{"NoSuchOperator": {"k": "v"}}), allow}, true},
		{"a condition on a key API Gateway does not send", []Statement{with(allow, map[string]map[string]string{"StringEquals": {"aws:PrincipalOrgID": "o-1"}})}, false},
	}
	for _, tt := range tests {
		f := &Function{Policy: tt.policy}
		if got := f.Permissions().AllowsAPIGateway(src, "123456789012"); got != tt.want {
			t.Errorf("%s: AllowsAPIGateway(%q) = %v; want %v", tt.name, src, got, tt.want)
		}
	}
}
