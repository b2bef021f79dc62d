package gateway

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// methodRef names one method of one deployed stage, for the authorization stages.
type methodRef struct {
	snap         *apigateway.RestAPIDocument // the deployment's snapshot
	sd           *apigateway.StageDocument   // as the variant sees it (canary.go)
	canary       bool                        // the stage's canary variant
	resourcePath string                      // "/pets/{id}"
	verb         string                      // the method's httpMethod: GET, ..., ANY
	m            *apigateway.Method
}

// authorization compiles a method's access control: who may call (authn, by the method's
// authorizationType: the one switch on it) and the API's resource policy (policy), which
// combines its verdict with authn's by AWS's evaluation table. Either is nil when it has
// nothing to do.
func (s *Server) authorization(ref methodRef) (authn, policy invoke.Middleware, err error) {
	switch ref.m.AuthorizationType {
	case "", apigateway.AuthorizationNone:
	case apigateway.AuthorizationAWSIAM:
		authn, err = s.iamAuthorization(ref) // authorization_iam.go
	case apigateway.AuthorizationCustom:
		authn, err = s.lambdaAuthorizer(ref) // authorizer_lambda.go
	case apigateway.AuthorizationCognitoUserPools:
		authn, err = s.cognitoAuthorizer(ref) // authorizer_cognito.go
	default:
		return nil, nil, fmt.Errorf("unknown authorizationType %q", ref.m.AuthorizationType)
	}
	if err != nil {
		return nil, nil, err
	}
	pre, policy, err := s.resourcePolicy(ref) // resourcepolicy.go
	if pre != nil {
		// A Lambda authorizer's method: the policy's explicit deny is checked before the
		// authorizer runs ("pre-auth"), then the whole table after it.
		authn = then(pre, authn)
	}
	if authn != nil || policy != nil {
		authn = then(s.methodARNLimit(), authn)
	}
	return authn, policy, err
}

// maxMethodARNBytes is the longest execute-api ARN of a request to a method with
// authorization or under a resource policy: AWS's REST API quotas ("Length, in
// characters, of the method's ARN ... 1600 bytes. Path parameter values, whose size is
// determined at run time, can cause the ARN length to exceed the limit. When this
// happens, the API client receives a 414 Request URI too long response"; the limit
// applies to every private API, which needs a resource policy).
const maxMethodARNBytes = 1600

// errMethodARNTooLong is that 414. AWS's body is not recorded: the words are its
// documentation's, in the default body's shape.
var errMethodARNTooLong = &invoke.Error{Type: apigateway.ResponseDefault4XX, Status: http.StatusRequestURITooLong, Message: "Request URI too long"}

// methodARNLimit refuses a request whose execute-api ARN (requestARN) would be longer than
// maxMethodARNBytes, before any authorizer or policy sees it. The length is summed, not
// built.
func (s *Server) methodARNLimit() invoke.Middleware {
	fixed := len("arn:aws:execute-api:") + len(s.scope.Region) + len(":") + len(":") + len("/") + len("/")
	return func(next invoke.Handler) invoke.Handler {
		return invoke.HandlerFunc(func(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
			if fixed+len(inv.AccountID)+len(inv.APIID)+len(inv.Stage)+len(inv.HTTPMethod)+len(inv.Request.Path) > maxMethodARNBytes {
				return nil, errMethodARNTooLong
			}
			return next.Invoke(ctx, inv)
		})
	}
}

// then is the middleware that runs a, then b (b may be nil).
func then(a, b invoke.Middleware) invoke.Middleware {
	if b == nil {
		return a
	}
	return func(next invoke.Handler) invoke.Handler { return a(b(next)) }
}

// denyAll answers every request with err.
func denyAll(err *invoke.Error) invoke.Middleware {
	return func(invoke.Handler) invoke.Handler {
		return invoke.HandlerFunc(func(context.Context, *invoke.Invocation) (*invoke.Response, error) {
			return nil, err
		})
	}
}
