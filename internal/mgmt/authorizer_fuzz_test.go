package mgmt

import (
	"strings"
	"testing"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
)

// FuzzAuthorizerProblems: the authorizer checks never panic, and an authorizer they accept
// is one the data plane can use: a Lambda type names an invocation URI, a TOKEN a single
// header, a REQUEST only sources it can read, and the TTL is in range.
func FuzzAuthorizerProblems(f *testing.F) {
	f.Add("TOKEN", testAuthorizerURI, "method.request.header.Authorization", "^Bearer .+$", 300)
	f.Add("REQUEST", testAuthorizerURI, "method.request.querystring.a, stageVariables.b", "", 0)
	f.Add("REQUEST", testAuthorizerURI, "", "", 0)
	f.Add("COGNITO_USER_POOLS", "", "method.request.header.Authorization", "", 3600)
	f.Add("TOKEN", "arn:aws:apigateway:region:lambda:path/2015-03-31/functions/x/invocations", ",", "(", -1)
	f.Fuzz(func(t *testing.T, typ, uri, source, expr string, ttl int) {
		a := &model.Authorizer{Name: "n", Type: typ, AuthorizerURI: uri, IdentitySource: source, IdentityValidationExpression: expr,
			AuthorizerResultTTLInSeconds: &ttl, ProviderARNs: []string{testUserPool}}
		if problems := authorizerProblems(a); len(problems) > 0 {
			return
		}
		if ttl < 0 || ttl > maxAuthorizerTTL {
			t.Fatalf("accepted ttl %d", ttl)
		}
		switch typ {
		case model.AuthorizerToken:
			if !lambdaInvocationURI.MatchString(uri) || !tokenSource.MatchString(source) {
				t.Fatalf("accepted TOKEN uri %q source %q", uri, source)
			}
		case model.AuthorizerRequest:
			if strings.TrimSpace(source) == "" && ttl > 0 {
				t.Fatalf("accepted REQUEST without sources while caching (ttl %d)", ttl)
			}
			for _, s := range strings.Split(source, ",") {
				if s = strings.TrimSpace(s); source != "" && !requestSource.MatchString(s) {
					t.Fatalf("accepted REQUEST source %q", s)
				}
			}
		case model.AuthorizerCognitoUserPools:
		default:
			t.Fatalf("accepted type %q", typ)
		}
	})
}
