package gateway

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// methodRef names one method of one deployed stage, for the authorization stages.
type methodRef struct {
	snap         *apigateway.RestAPIDocument // the deployment's snapshot
	sd           *apigateway.StageDocument
	resourcePath string // "/pets/{id}"
	verb         string // the method's httpMethod: GET, ..., ANY
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
	return authn, policy, err
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
