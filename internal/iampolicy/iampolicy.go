// Package iampolicy parses IAM policy documents and evaluates requests against them with
// IAM's rules: wildcards in actions and resources, NotAction/NotResource, Principal and
// NotPrincipal, the condition operators, and explicit deny over allow over implicit deny.
// One engine serves identity policies (an IAM user's), resource policies (a REST API's, a
// Lambda function's) and the policies Lambda authorizers return. A leaf library: it knows
// nothing of gateways, and no hostile policy makes it panic or work more than linearly.
package iampolicy

import (
	"strconv"
	"strings"
)

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

func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// Policy is a parsed policy document, immutable and safe for concurrent use.
type Policy struct {
	// Version is the document's Version ("2012-10-17", "2008-10-17"), empty when it has
	// none (IAM then reads it as 2008-10-17: no policy variables).
	Version string
	// ID is the document's Id element, empty when it has none.
	ID         string
	statements []statement
}

// statement is one compiled statement.
type statement struct {
	sid  string
	deny bool
	// actions are lower-case patterns; notAction inverts them.
	actions   []string
	notAction bool
	// resources are patterns; notResource inverts them.
	resources   []resourcePattern
	notResource bool
	// principal is nil when the statement names none (an identity policy's statement,
	// which applies to any caller).
	principal    *principals
	notPrincipal bool
	conditions   []condition
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

// Evaluate returns the policy's verdict on r: ExplicitDeny when a Deny statement applies,
// else Allow when an Allow statement does, else ImplicitDeny. A nil policy denies
// implicitly.
func (p *Policy) Evaluate(r *Request) Decision {
	if p == nil {
		return ImplicitDeny
	}
	d := ImplicitDeny
	for i := range p.statements {
		s := &p.statements[i]
		if !s.deny && d == Allow {
			continue // already allowed: only a Deny can change the verdict
		}
		if !s.applies(r) {
			continue
		}
		if s.deny {
			return ExplicitDeny
		}
		d = Allow
	}
	return d
}

// Statements is the number of statements in the policy.
func (p *Policy) Statements() int { return len(p.statements) }

// applies reports whether every element of the statement matches r.
func (s *statement) applies(r *Request) bool {
	if s.principal != nil && s.principal.match(&r.Principal) == s.notPrincipal {
		return false
	}
	if s.matchAction(r.Action) == s.notAction {
		return false
	}
	if m, ok := s.matchResource(r); !ok || m == s.notResource {
		return false // a policy variable without a value: the statement does not apply
	}
	for i := range s.conditions {
		if !s.conditions[i].eval(r) {
			return false
		}
	}
	return true
}

func (s *statement) matchAction(action string) bool {
	for _, a := range s.actions {
		if a == "*" || Match(a, action, true) {
			return true
		}
	}
	return false
}

// matchResource reports whether a Resource value matches r; ok is false when a value's
// policy variable has no value in r.
func (s *statement) matchResource(r *Request) (match, ok bool) {
	for i := range s.resources {
		m, ok := s.resources[i].match(r)
		if !ok {
			return false, false
		}
		if m {
			return true, true
		}
	}
	return false, true
}

// resourcePattern is one Resource value.
type resourcePattern struct {
	text string
	// apiShorthand: the value was API Gateway's "execute-api:/{stage}/{verb}/{path}"
	// shorthand of a REST API resource policy, text is what follows "execute-api:" and
	// is matched against what follows the API id in an execute-api ARN of any API (the
	// policy is attached to one).
	apiShorthand bool
	// vars: text has policy variables (${aws:username}) to substitute first.
	vars bool
}

func (rp *resourcePattern) match(r *Request) (match, ok bool) {
	text := rp.text
	if rp.vars {
		if text, ok = substitute(text, r, true); !ok {
			return false, false
		}
	}
	if text == "*" {
		return true, true
	}
	if !rp.apiShorthand {
		return Match(text, r.Resource, false), true
	}
	res, isAPI := executeAPIPath(r.Resource)
	return isAPI && Match(text, res, false), true
}

// executeAPIPath returns what follows the API id in an execute-api ARN
// ("/prod/GET/pets" of arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets).
func executeAPIPath(s string) (string, bool) {
	parts, ok := arnParts(s)
	if !ok || parts[2] != "execute-api" {
		return "", false
	}
	res := parts[5]
	i := strings.IndexByte(res, '/')
	if i < 0 {
		return "", false
	}
	return res[i:], true
}

// arnParts splits an ARN into its six colon-separated parts without allocating; the last
// part keeps its colons.
func arnParts(s string) (parts [6]string, ok bool) {
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return parts, false
		}
		parts[i], s = s[:j], s[j+1:]
	}
	parts[5] = s
	return parts, parts[0] == "arn"
}

// principals is a compiled Principal or NotPrincipal element.
type principals struct {
	any      bool     // "*" or {"AWS": "*"}
	accounts []string // account ids: {"AWS": "123456789012"} or its root ARN
	arns     []string // user, role and other principal ARNs, compared exactly
	services []string // {"Service": ...}, compared without regard to case
	others   []string // Federated and CanonicalUser values, compared with the caller's ARN
}

func (ps *principals) match(p *Principal) bool {
	if ps.any {
		return true
	}
	if p.Service != "" {
		for _, s := range ps.services {
			if strings.EqualFold(s, p.Service) {
				return true
			}
		}
	}
	if acct := principalAccount(p); acct != "" {
		for _, a := range ps.accounts {
			if a == acct {
				return true
			}
		}
	}
	if p.ARN != "" {
		for _, a := range ps.arns {
			if a == p.ARN || sessionOf(p.ARN, a) {
				return true
			}
		}
		for _, a := range ps.others {
			if a == p.ARN {
				return true
			}
		}
	}
	return false
}

// principalAccount is the caller's account: AccountID, or the account of its ARN.
func principalAccount(p *Principal) string {
	if p.AccountID != "" {
		return p.AccountID
	}
	if parts, ok := arnParts(p.ARN); ok {
		return parts[4]
	}
	return ""
}

// sessionOf reports whether caller is a session of the role roleARN: IAM matches an
// assumed-role session (arn:aws:sts::123456789012:assumed-role/name/session) with the
// role's ARN (arn:aws:iam::123456789012:role/name) in a Principal element. A role with a
// path (role/path/name) is named without it in the session ARN.
func sessionOf(caller, roleARN string) bool {
	c, ok := arnParts(caller)
	if !ok || c[2] != "sts" {
		return false
	}
	r, ok := arnParts(roleARN)
	if !ok || r[2] != "iam" || c[1] != r[1] || c[4] != r[4] {
		return false
	}
	session, ok := strings.CutPrefix(c[5], "assumed-role/")
	if !ok {
		return false
	}
	name, _, ok := strings.Cut(session, "/")
	if !ok {
		return false
	}
	role, ok := strings.CutPrefix(r[5], "role/")
	if !ok {
		return false
	}
	if i := strings.LastIndexByte(role, '/'); i >= 0 {
		role = role[i+1:]
	}
	return role == name
}
