// Package iampolicy parses IAM policy documents and evaluates requests against them with
// IAM's rules: wildcards in actions and resources, NotAction/NotResource, Principal and
// NotPrincipal, the condition operators, and explicit deny over allow over implicit deny.
// One engine serves identity policies (an IAM user's), resource policies (a REST API's, a
// Lambda function's) and the policies Lambda authorizers return. A leaf library: it knows
// nothing of gateways, and no hostile policy makes it panic or work more than linearly.
package iampolicy

import "errors"

// Decision is an evaluation's verdict. Its values are invoke.Decision's.
type Decision uint8

const (
	// ImplicitDeny: no statement allowed the request (and none denied it).
	ImplicitDeny Decision = iota + 1
	// Allow: an Allow statement matched and no Deny did.
	Allow
	// ExplicitDeny: a Deny statement matched.
	ExplicitDeny
)

// Policy is a parsed policy document, immutable and safe for concurrent use.
type Policy struct{}

// Parse parses a policy document (JSON, Version 2012-10-17 or 2008-10-17; statements as an
// object or an array; values as a string or an array of strings). The error lists every
// problem found.
func Parse(doc []byte) (*Policy, error) {
	return nil, errors.New("iampolicy: not implemented yet")
}

// Principal is who makes a request, for the Principal and NotPrincipal elements of
// resource policies. The zero value is an anonymous caller: only "*" principals match it.
type Principal struct {
	// ARN is the caller's ARN: "arn:aws:iam::123456789012:user/alice", or the account's root
	// "arn:aws:iam::123456789012:root".
	ARN string
	// AccountID is the caller's account; an account id or its root ARN in a policy matches
	// every caller of that account.
	AccountID string
	// Service is a service principal ("apigateway.amazonaws.com") when a service calls.
	Service string
}

// Request is what is evaluated: one action on one resource by one principal, with the
// values of the condition keys.
type Request struct {
	Action   string // "execute-api:Invoke"; matched case-insensitively, as IAM does
	Resource string // an ARN; matched case-sensitively
	// Principal is the caller. A statement without Principal or NotPrincipal (an identity
	// policy's) applies to any caller.
	Principal Principal
	// Conditions are the request's condition key values by lower-case key:
	// "aws:sourceip", "aws:sourcevpce", "aws:principalaccount", "aws:username",
	// "aws:currenttime" (RFC 3339), ... A key absent here is missing from the request
	// (IAM's rule: only ...IfExists operators and Null match a missing key).
	Conditions map[string][]string
}

// Evaluate returns the policy's verdict on r.
func (p *Policy) Evaluate(r *Request) Decision {
	return ImplicitDeny
}
