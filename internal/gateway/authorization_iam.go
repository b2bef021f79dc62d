package gateway

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/iampolicy"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// executeAPIService is the SigV4 service of the data plane: the credential scope's fourth
// element, and the action prefix of execute-api:Invoke.
const executeAPIService = "execute-api"

// The execute-api actions IAM policies are evaluated on: calling a method, and invalidating
// its cache entry with Cache-Control: max-age=0 (responsecache.go).
const (
	actionInvoke          = "execute-api:Invoke"
	actionInvalidateCache = "execute-api:InvalidateCache"
)

// dataPlaneSkew is how far a data-plane request's signed time may be from the gateway's
// clock: API Gateway allows 15 minutes ("Signature expired: 20240101T000000Z is now earlier
// than 20240101T001600Z (20240101T003100Z - 15 min.)"), where AWS's APIs allow 5.
const dataPlaneSkew = 15 * time.Minute

// AWS's answers to AWS_IAM requests that do not get through, with the gateway response
// type each is sent as: repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden
// lists "The security token included in the request is invalid." with x-amzn-ErrorType
// AccessDeniedException (ACCESS_DENIED), "Signature expired" with
// InvalidSignatureException (INVALID_SIGNATURE), and "Missing Authentication Token" with
// MissingAuthenticationTokenException.
var (
	errIAMMissingToken = invoke.Errorf(apigateway.ResponseMissingAuthenticationToken, "Missing Authentication Token")
	errIAMInvalidToken = invoke.Errorf(apigateway.ResponseAccessDenied, "The security token included in the request is invalid.")
)

// iamAuthorization compiles an AWS_IAM method's stage: SigV4 verified against the IAM
// users' access keys (the identity index, iamindex.go) and the root's, then the caller's
// inline policies evaluated on execute-api:Invoke for the request's ARN. Without a resource
// policy on the API the verdict is final here: Allow passes, any deny answers 403
// ACCESS_DENIED. With one, the verdict is left in inv.IAMDecision for the resource policy
// stage to combine by AWS's table; an explicit deny still answers 403 here.
func (s *Server) iamAuthorization(ref methodRef) (invoke.Middleware, error) {
	v := &sigv4.Verifier{
		Credentials: func(id string) (string, bool) {
			if ident := s.iam.Load().lookup(id); ident != nil {
				return ident.secret, true
			}
			return "", false
		},
		Now:     s.now,
		MaxSkew: dataPlaneSkew,
		Service: executeAPIService,
		Region:  s.scope.Region,
		Keys:    &s.iamKeys,
	}
	final := ref.snap == nil || ref.snap.Policy == ""
	return func(next invoke.Handler) invoke.Handler {
		return invoke.HandlerFunc(func(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
			ident, err := s.authenticateIAM(v, inv)
			if err != nil {
				return nil, err
			}
			d := s.evaluateIAM(ident, inv, actionInvoke)
			inv.IAMDecision = d
			switch {
			case d == invoke.DecisionAllow:
			case d == invoke.DecisionExplicitDeny:
				return nil, s.iamDenied(ident.arn, inv, " with an explicit deny")
			case final:
				return nil, s.iamDenied(ident.arn, inv, " because no identity-based policy allows the execute-api:Invoke action")
			}
			return next.Invoke(ctx, inv)
		})
	}, nil
}

// authenticateIAM verifies the request's signature and fills inv.Identity with who signed.
func (s *Server) authenticateIAM(v *sigv4.Verifier, inv *invoke.Invocation) (*iamIdentity, error) {
	r := &inv.Request
	req := sigv4.Request{
		Method:        r.Method,
		Host:          r.Host,
		Path:          r.WirePath,
		RawQuery:      r.RawQuery,
		Header:        r.Header,
		ContentLength: r.ContentLength,
	}
	res, err := v.VerifyRequest(&req, r.Body)
	if err != nil {
		return nil, iamVerifyError(err)
	}
	ident := s.iam.Load().lookup(res.AccessKeyID)
	if ident == nil {
		// The key went away between the verification and now.
		return nil, errIAMInvalidToken
	}
	if res.SecurityToken != "" {
		// Every key here is long-term (an IAM user's or the root's): none comes with a
		// session token, and AWS refuses a long-term key presented with one as it refuses
		// an unknown key.
		return nil, errIAMInvalidToken
	}
	inv.Identity = invoke.Identity{
		AccountID: s.scope.AccountID,
		Caller:    ident.id,
		User:      ident.id,
		UserARN:   ident.arn,
		AccessKey: res.AccessKeyID,
	}
	return ident, nil
}

// iamVerifyError maps a verification failure to the gateway response AWS answers it with.
// The cause goes to the logs (the canonical request and string to sign are the operator's
// to compare with the client's; neither holds a secret or a key derived from one).
func iamVerifyError(err error) error {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return invoke.Internal.Because(err)
	}
	switch se.Code {
	case sigv4.CodeMissingAuthenticationToken:
		return errIAMMissingToken
	case sigv4.CodeUnrecognizedClient:
		return &invoke.Error{Type: apigateway.ResponseAccessDenied, Message: errIAMInvalidToken.Message, Err: se}
	}
	// InvalidSignatureException: mismatch, skew, scope. IncompleteSignatureException (a
	// malformed Authorization header) has no gateway response type of its own: AWS's
	// message is kept, sent as INVALID_SIGNATURE.
	return &invoke.Error{Type: apigateway.ResponseInvalidSignature, Message: se.Message, Err: se}
}

// evaluateIAM is the caller's own policies' verdict on action (actionInvoke,
// actionInvalidateCache) for the request's method ARN: the root is allowed; a user's inline
// policies are evaluated together (any explicit deny wins, then any allow); a user without
// policies, or one whose policy does not parse, is implicitly denied.
func (s *Server) evaluateIAM(ident *iamIdentity, inv *invoke.Invocation, action string) invoke.Decision {
	if ident.root {
		return invoke.DecisionAllow
	}
	if ident.policyErr != nil || len(ident.policies) == 0 {
		return invoke.DecisionImplicitDeny
	}
	req := iampolicy.Request{
		Action:    action,
		Resource:  requestARN(s.scope.Region, inv),
		Principal: iampolicy.Principal{ARN: ident.arn, AccountID: s.scope.AccountID},
		Conditions: map[string][]string{
			"aws:sourceip":         {inv.SourceIP},
			"aws:username":         {ident.userName},
			"aws:userid":           {ident.id},
			"aws:principalaccount": {s.scope.AccountID},
			"aws:principalarn":     {ident.arn},
			"aws:principaltype":    {"User"},
			"aws:currenttime":      {inv.RequestTime.UTC().Format(time.RFC3339)},
			"aws:epochtime":        {strconv.FormatInt(inv.RequestTime.Unix(), 10)},
		},
	}
	d := invoke.DecisionImplicitDeny
	for _, p := range ident.policies {
		switch p.Evaluate(&req) {
		case iampolicy.ExplicitDeny:
			return invoke.DecisionExplicitDeny
		case iampolicy.Allow:
			d = invoke.DecisionAllow
		}
	}
	return d
}

// requestARN is the execute-api ARN of the request: its method and its path below the
// stage, as IAM policies and resource policies see it
// (arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}/{path}).
func requestARN(region string, inv *invoke.Invocation) string {
	return arn.ExecuteAPI(region, inv.AccountID, inv.APIID, inv.Stage, inv.HTTPMethod, inv.Request.Path)
}

// iamDenied is AWS's ACCESS_DENIED for a caller its policies do not allow, sent as
// {"Message":"User: arn:aws:iam::123456789012:user/alice is not authorized to perform:
// execute-api:Invoke on resource: arn:aws:execute-api:...:abc123/prod/GET/pets with an
// explicit deny"} (repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden and
// .../api-gateway-iam-sigv4-mismatch give the explicit and implicit wordings).
func (s *Server) iamDenied(callerARN string, inv *invoke.Invocation, why string) *invoke.Error {
	return &invoke.Error{
		Type:       apigateway.ResponseAccessDenied,
		Message:    "User: " + callerARN + " is not authorized to perform: execute-api:Invoke on resource: " + requestARN(s.scope.Region, inv) + why,
		MessageKey: "Message",
	}
}
