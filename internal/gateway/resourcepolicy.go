package gateway

import (
	"slices"
	"sync"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/policy"
	"github.com/gatehouse/gatehouse/internal/iampolicy"
)

// resourcePolicy compiles the API's resource policy (the deployment's snapshot's, so that a
// policy update takes effect on the next deployment) for one method: pre runs before the
// method's authentication (a Lambda authorizer's explicit-deny check; nil otherwise) and
// post after it, combining the policy's verdict with authentication's by AWS's evaluation
// table (internal/gateway/policy). Both are nil for an API without a policy that is not
// private; a private API without one denies every request.
func (s *Server) resourcePolicy(ref methodRef) (pre, post invoke.Middleware, err error) {
	private := isPrivate(ref.snap)
	if ref.snap.Policy == "" && !private {
		return nil, nil, nil
	}
	var ev policy.Evaluator
	if ref.snap.Policy != "" {
		p, err := s.policies.parse(ref.snap.Policy, policy.API{Region: s.scope.Region, AccountID: s.scope.AccountID, ID: ref.sd.RestAPIID})
		if err != nil {
			return nil, nil, err
		}
		ev = p
	}
	var authn policy.Authn
	switch ref.m.AuthorizationType {
	case apigateway.AuthorizationAWSIAM:
		authn = policy.AuthnIAM
	case apigateway.AuthorizationCustom:
		authn = policy.AuthnLambda
	case apigateway.AuthorizationCognitoUserPools:
		authn = policy.AuthnCognito
	}
	st := policy.New(ev, policy.API{Region: s.scope.Region, AccountID: s.scope.AccountID, ID: ref.sd.RestAPIID}, authn)
	return st.Pre(), st.Middleware(), nil
}

// isPrivate reports whether the API's endpoint type is PRIVATE: it is served only on VPC
// endpoint listeners (Server.Handler).
func isPrivate(snap *apigateway.RestAPIDocument) bool {
	return snap.EndpointConfiguration != nil && slices.Contains(snap.EndpointConfiguration.Types, "PRIVATE")
}

// policyCache keeps the last policy parsed, so that a stage's methods (and the stages of
// one deployment) parse it once.
type policyCache struct {
	mu   sync.Mutex
	text string
	api  policy.API
	p    *iampolicy.Policy
	err  error
}

func (c *policyCache) parse(text string, api policy.API) (*iampolicy.Policy, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.text != text || c.api != api || (c.p == nil && c.err == nil) {
		c.p, c.err = policy.Parse(text, api)
		c.text, c.api = text, api
	}
	return c.p, c.err
}
