package mapping

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// TestContextMaps: $context and its groups are Java maps: keySet, get, containsKey,
// entrySet, values, size, isEmpty and printing, in the proxy event's requestContext order.
func TestContextMaps(t *testing.T) {
	t.Parallel()
	const identity = `{cognitoIdentityPoolId=null, accountId=null, cognitoIdentityId=null, caller=null, ` +
		`sourceIp=192.0.2.1, principalOrgId=null, accessKey=null, cognitoAuthenticationType=null, ` +
		`cognitoAuthenticationProvider=null, userArn=null, userAgent=test-agent, user=null}`
	for _, tt := range []struct{ name, tmpl, want string }{
		{"identity keySet", `$context.identity.keySet()`,
			`[cognitoIdentityPoolId, accountId, cognitoIdentityId, caller, sourceIp, principalOrgId, accessKey, cognitoAuthenticationType, cognitoAuthenticationProvider, userArn, userAgent, user]`},
		{"identity printed", `$context.identity`, identity},
		{"identity loop", `#foreach($key in $context.identity.keySet())#if($context.identity.get($key) != "")$key=$context.identity.get($key);#end#end`,
			`sourceIp=192.0.2.1;userAgent=test-agent;`},
		{"identity methods", `$context.identity.size() $context.identity.isEmpty() $context.identity.containsKey('caller') $context.identity.containsKey('nope')`,
			`12 false true false`},
		{"identity entrySet", `#foreach($e in $context.identity.entrySet())#if($e.key == 'sourceIp')$e.value#end#end`, `192.0.2.1`},
		{"identity values", `#foreach($v in $context.identity.values())#if($v)[$v]#end#end`, `[192.0.2.1][test-agent]`},
		{"identity put stays", `$context.identity.put('x', 'y')$context.identity.x $context.identity.size()`, `y 13`},
		{"identity set stays", `#set($context.identity.sourceIp = 'z')$context.identity.sourceIp $context.identity.get('sourceIp')`, `z z`},
		{"context keySet", `$context.keySet()`,
			`[resourceId, resourcePath, httpMethod, extendedRequestId, requestTime, path, accountId, protocol, stage, domainPrefix, requestTimeEpoch, requestId, identity, domainName, deploymentId, apiId]`},
		{"context printed", `$context`,
			`{resourceId=null, resourcePath=/pets/{id}, httpMethod=GET, extendedRequestId=, requestTime=14/Nov/2023:22:13:20 +0000, path=/dev/pets/7, accountId=000000000000, protocol=, stage=dev, domainPrefix=, requestTimeEpoch=1700000000123, requestId=c0ffee00-0000-4000-8000-000000000001, identity=` + identity + `, domainName=, deploymentId=, apiId=abcdef1234}`},
		{"context get", `#foreach($k in $context.keySet())#if($k == 'stage')$context.get($k)#end#end`, `dev`},
		{"authorizer empty", `[#foreach($k in $context.authorizer.keySet())$k#end]$context.authorizer.size() $context.authorizer.isEmpty() $context.authorizer`, `[]0 true {}`},
		{"authorizer put stays", `$context.authorizer.put('a', 1)$context.authorizer.keySet() $context.authorizer.a`, `[a] 1`},
		{"error empty outside", `$context.error.keySet()`, `[]`},
		{"request override", `$context.requestOverride.keySet()`, `[header, querystring, path]`},
		{"response override", `#set($context.responseOverride.status = 404)$context.responseOverride.keySet()`, `[header, status]`},
		{"properties unchanged", `$context.identity.sourceIp $context.stage $context.identity.getUserAgent()`, `192.0.2.1 dev test-agent`},
	} {
		tmpl, err := Parse(tt.tmpl)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		out, err := tmpl.Render(newInvocation(), nil, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if string(out) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, out, tt.want)
		}
	}
}

// TestContextErrorMap: while the invocation carries an error, $context.error is a map of it.
func TestContextErrorMap(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse(`$context.error`)
	if err != nil {
		t.Fatal(err)
	}
	inv := newInvocation()
	inv.Err = &invoke.Error{Message: "Missing Authentication Token", Type: "MISSING_AUTHENTICATION_TOKEN"}
	out, err := tmpl.Render(inv, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{message=Missing Authentication Token, messageString="Missing Authentication Token", responseType=MISSING_AUTHENTICATION_TOKEN, validationErrorString=}`
	if string(out) != want {
		t.Errorf("got %s\nwant %s", out, want)
	}
}
