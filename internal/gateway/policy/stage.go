package policy

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/iampolicy"
)

// Authn is the kind of authentication a method has: it picks the caller's side of the
// evaluation table.
type Authn uint8

const (
	// AuthnNone: authorizationType NONE; the caller's side is "neither allow nor deny".
	AuthnNone Authn = iota
	// AuthnIAM: AWS_IAM; the caller's side is the caller's own IAM policies'
	// (Invocation.IAMDecision), and a caller of another account needs both sides to allow.
	AuthnIAM
	// AuthnLambda: a Lambda (TOKEN or REQUEST) authorizer; the caller's side is Allow once
	// it admitted the request (Invocation.Authorizer), and the policy's explicit deny is
	// checked before it runs too (Stage.Pre).
	AuthnLambda
	// AuthnCognito: a COGNITO_USER_POOLS authorizer; Allow once it admitted the request.
	AuthnCognito
)

// Combine is AWS's evaluation table (the package comment): the caller's side (an IAM
// policy's or an authorizer's verdict; DecisionNone counts as neither), the resource
// policy's, and whether the caller is of the API's account (Table A) or not (Table B).
func Combine(caller, resource invoke.Decision, sameAccount bool) invoke.Decision {
	switch {
	case caller == invoke.DecisionExplicitDeny || resource == invoke.DecisionExplicitDeny:
		return invoke.DecisionExplicitDeny
	case sameAccount && (caller == invoke.DecisionAllow || resource == invoke.DecisionAllow):
		return invoke.DecisionAllow
	case caller == invoke.DecisionAllow && resource == invoke.DecisionAllow:
		return invoke.DecisionAllow
	}
	return invoke.DecisionImplicitDeny
}

// Stage is one method's resource policy check, compiled once per stage.
type Stage struct {
	policy    Evaluator // nil denies every request (a private API without a policy)
	arnPrefix string    // arn:aws:execute-api:{region}:{account}:{apiId}
	account   string    // the API's account
	authn     Authn
	scratch   sync.Pool // *scratch
}

// New returns the stage for a method of api whose authorization is authn. A nil policy
// denies every request, as AWS does for a private API without one.
func New(p Evaluator, api API, authn Authn) *Stage {
	s := &Stage{policy: p, arnPrefix: api.arnPrefix(), account: api.AccountID, authn: authn}
	s.scratch.New = func() any {
		return &scratch{cond: make(map[string][]string, numKeys), buf: make([]byte, 0, 512)}
	}
	return s
}

// Pre is the check before a Lambda authorizer runs: an explicit deny of the anonymous caller
// answers 403 without calling the function (the "pre-auth" evaluation). Nil for other
// authorization types.
func (s *Stage) Pre() invoke.Middleware {
	if s.authn != AuthnLambda {
		return nil
	}
	return func(next invoke.Handler) invoke.Handler {
		return invoke.HandlerFunc(func(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
			if d, res := s.evaluate(inv, true); d == invoke.DecisionExplicitDeny {
				return nil, denied(inv, res, d)
			}
			return next.Invoke(ctx, inv)
		})
	}
}

// Middleware is the check after authentication: the policy's verdict combined with the
// caller's by AWS's table; anything but Allow answers 403 ACCESS_DENIED.
func (s *Stage) Middleware() invoke.Middleware {
	return func(next invoke.Handler) invoke.Handler {
		return invoke.HandlerFunc(func(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
			d, res := s.evaluate(inv, false)
			if d != invoke.DecisionAllow {
				return nil, denied(inv, res, d)
			}
			return next.Invoke(ctx, inv)
		})
	}
}

// Decide returns the table's verdict on inv and the request's resource ARN.
func (s *Stage) Decide(inv *invoke.Invocation) (invoke.Decision, string) {
	return s.evaluate(inv, false)
}

// evaluate returns the verdict on inv (with pre, the resource policy's alone for the
// anonymous caller) and, when it is not Allow, the request's resource ARN for the message.
func (s *Stage) evaluate(inv *invoke.Invocation, pre bool) (invoke.Decision, string) {
	sc := s.scratch.Get().(*scratch)
	defer s.scratch.Put(sc)
	sc.fill(s, inv, pre)

	resource := invoke.DecisionImplicitDeny
	if s.policy != nil {
		resource = fromIAM(s.policy.Evaluate(&sc.req))
	}
	var d invoke.Decision
	switch {
	case pre:
		d = resource
	case s.authn == AuthnIAM:
		same := inv.Identity.AccountID == "" || inv.Identity.AccountID == s.account
		d = Combine(inv.IAMDecision, resource, same)
	case s.authn == AuthnLambda || s.authn == AuthnCognito:
		caller := invoke.DecisionImplicitDeny
		if inv.Authorizer != nil {
			caller = invoke.DecisionAllow
		}
		d = Combine(caller, resource, true)
	default:
		d = Combine(invoke.DecisionImplicitDeny, resource, true)
	}
	if d == invoke.DecisionAllow {
		return d, ""
	}
	return d, strings.Clone(sc.req.Resource)
}

// denied is AWS's 403 for a request the policy does not let through:
// {"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource:
// arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets with an explicit deny"},
// without " with an explicit deny" for an implicit one; the caller is the IAM user's (or
// root's) ARN for AWS_IAM. Recorded in AWS's knowledge center ("How do I troubleshoot HTTP
// 403 Forbidden errors when using a Lambda authorizer", the resource policy examples, which
// show the capitalized "Message").
func denied(inv *invoke.Invocation, resource string, d invoke.Decision) *invoke.Error {
	caller := "anonymous"
	if inv.Identity.UserARN != "" {
		caller = inv.Identity.UserARN
	}
	msg := "User: " + caller + " is not authorized to perform: " + Action + " on resource: " + resource
	if d == invoke.DecisionExplicitDeny {
		msg += " with an explicit deny"
	}
	return &invoke.Error{Type: apigateway.ResponseAccessDenied, Message: msg, MessageKey: "Message"}
}

func fromIAM(d iampolicy.Decision) invoke.Decision {
	switch d {
	case iampolicy.Allow:
		return invoke.DecisionAllow
	case iampolicy.ExplicitDeny:
		return invoke.DecisionExplicitDeny
	}
	return invoke.DecisionImplicitDeny
}

// The condition keys the stage sets, lower-case as iampolicy.Request.Conditions holds them.
// Keys without a value for a request (no VPC endpoint, an anonymous caller) are missing.
const (
	keySourceIP = iota
	keySourceVPCE
	keySourceVPC
	keyPrincipalAccount
	keyPrincipalARN
	keyUsername
	keyUserID
	keyCurrentTime
	keyEpochTime
	keyUserAgent
	keyReferer
	numKeys
)

var keyNames = [numKeys]string{
	keySourceIP:         "aws:sourceip",
	keySourceVPCE:       "aws:sourcevpce",
	keySourceVPC:        "aws:sourcevpc",
	keyPrincipalAccount: "aws:principalaccount",
	keyPrincipalARN:     "aws:principalarn",
	keyUsername:         "aws:username",
	keyUserID:           "aws:userid",
	keyCurrentTime:      "aws:currenttime",
	keyEpochTime:        "aws:epochtime",
	keyUserAgent:        "aws:useragent",
	keyReferer:          "aws:referer",
}

// scratch is one evaluation's request, pooled so that building it allocates nothing: the
// conditions map keeps its buckets across requests, each value is a one-element slice of
// vals, and the resource ARN and the times are written into buf and viewed as strings that
// live only while the policy is evaluated (iampolicy keeps nothing of a Request).
type scratch struct {
	req  iampolicy.Request
	cond map[string][]string
	vals [numKeys][1]string
	buf  []byte
}

func (sc *scratch) set(k int, v string) {
	if v == "" {
		return
	}
	sc.vals[k][0] = v
	sc.cond[keyNames[k]] = sc.vals[k][:]
}

// fill builds the request for inv; pre leaves out the caller, whom authentication has not
// established yet.
func (sc *scratch) fill(s *Stage, inv *invoke.Invocation, pre bool) {
	clear(sc.cond)
	sc.vals = [numKeys][1]string{}
	b := sc.buf[:0]
	b = append(b, s.arnPrefix...)
	b = append(b, '/')
	b = append(b, inv.Stage...)
	b = append(b, '/')
	b = append(b, inv.HTTPMethod...)
	if !strings.HasPrefix(inv.Request.Path, "/") {
		b = append(b, '/')
	}
	b = append(b, inv.Request.Path...)
	arnEnd := len(b)
	t := inv.RequestTime.UTC()
	// aws:CurrentTime is ISO 8601 in UTC, aws:EpochTime the seconds since the epoch.
	b = t.AppendFormat(b, "2006-01-02T15:04:05Z")
	timeEnd := len(b)
	b = strconv.AppendInt(b, t.Unix(), 10)
	sc.buf = b // grown, if it had to, before any string views it

	sc.req = iampolicy.Request{Action: Action, Resource: view(b[:arnEnd]), Conditions: sc.cond}
	if !inv.RequestTime.IsZero() {
		sc.set(keyCurrentTime, view(b[arnEnd:timeEnd]))
		sc.set(keyEpochTime, view(b[timeEnd:]))
	}
	sc.set(keySourceIP, inv.SourceIP)
	sc.set(keySourceVPCE, inv.SourceVPCE)
	sc.set(keySourceVPC, inv.SourceVPC)
	sc.set(keyUserAgent, inv.UserAgent)
	if v, ok := inv.Request.HeaderValue("Referer"); ok {
		sc.set(keyReferer, v)
	}
	if pre || inv.Identity.UserARN == "" {
		return
	}
	id := &inv.Identity
	sc.req.Principal = iampolicy.Principal{ARN: id.UserARN, AccountID: id.AccountID}
	sc.set(keyPrincipalAccount, id.AccountID)
	sc.set(keyPrincipalARN, id.UserARN)
	sc.set(keyUserID, id.User)
	// aws:username is an IAM user's name: the last segment of arn:aws:iam::{account}:user/{path/}name.
	if _, res, ok := strings.Cut(id.UserARN, ":user/"); ok {
		sc.set(keyUsername, res[strings.LastIndexByte(res, '/')+1:])
	}
}

// view is b as a string without copying; the caller keeps b unchanged while it is used.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
