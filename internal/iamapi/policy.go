package iamapi

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/store"
)

// maxUserPolicyBytes is IAM's quota on a user's inline policies: 2,048 characters in all,
// whitespace not counted.
const maxUserPolicyBytes = 2048

// maxPolicyDocument is policyDocumentType's max length, in characters.
const maxPolicyDocument = 131072

// checkPolicyDocument checks PolicyDocument against policyDocumentType: 1 to 131,072
// characters of [\u0009\u000A\u000D\u0020-\u00FF].
func checkPolicyDocument(v *validation, f form) string {
	doc, ok := f.get("PolicyDocument")
	if !ok {
		v.add(nil, "policyDocument", "Member must not be null")
		return ""
	}
	n := utf8.RuneCountInString(doc)
	if n < 1 {
		v.add(&doc, "policyDocument", "Member must have length greater than or equal to 1")
		return doc
	}
	if n > maxPolicyDocument {
		// IAM quotes the value; a 128 KiB quote helps nobody, so its length stands in.
		shown := "(" + strconv.Itoa(n) + " characters)"
		v.add(&shown, "policyDocument", "Member must have length less than or equal to "+strconv.Itoa(maxPolicyDocument))
		return doc
	}
	for _, r := range doc {
		if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xff) {
			v.add(&doc, "policyDocument", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
			break
		}
	}
	return doc
}

// checkIdentityPolicy is the grammar IAM holds an identity policy to, with its messages: a
// JSON object whose Version is 2012-10-17 or 2008-10-17 (or absent), whose Statement is a
// statement or a list of them, each with Effect Allow or Deny, an Action or NotAction, a
// Resource or NotResource, and no Principal (an identity policy's principal is its user).
func checkIdentityPolicy(doc string) error {
	var p map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &p); err != nil || p == nil {
		return malformedPolicy("Syntax errors in policy.")
	}
	if raw, ok := p["Version"]; ok {
		var version string
		if json.Unmarshal(raw, &version) != nil || (version != "2012-10-17" && version != "2008-10-17") {
			return malformedPolicy("The policy failed legacy parsing")
		}
	}
	raw, ok := p["Statement"]
	if !ok {
		return malformedPolicy("Syntax errors in policy.")
	}
	var statements []map[string]json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		if json.Unmarshal(raw, &statements) != nil {
			return malformedPolicy("Syntax errors in policy.")
		}
	} else {
		var one map[string]json.RawMessage
		if json.Unmarshal(raw, &one) != nil || one == nil {
			return malformedPolicy("Syntax errors in policy.")
		}
		statements = append(statements, one)
	}
	for _, st := range statements {
		if st == nil {
			return malformedPolicy("Syntax errors in policy.")
		}
		if _, ok := st["Principal"]; ok {
			return malformedPolicy("Policy document should not specify a principal.")
		}
		if _, ok := st["NotPrincipal"]; ok {
			return malformedPolicy("Policy document should not specify a principal.")
		}
		var effect string
		if json.Unmarshal(st["Effect"], &effect) != nil || (effect != "Allow" && effect != "Deny") {
			return malformedPolicy("Syntax errors in policy.")
		}
		if !has(st, "Action") && !has(st, "NotAction") {
			return malformedPolicy("Policy statement must contain actions.")
		}
		if !has(st, "Resource") && !has(st, "NotResource") {
			return malformedPolicy("Policy statement must contain resources.")
		}
	}
	return nil
}

func has(m map[string]json.RawMessage, k string) bool { _, ok := m[k]; return ok }

// policySize is a policy's size as IAM counts it toward the user's quota: without
// whitespace.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			n++
		}
	}
	return n
}

// PutUserPolicy adds or replaces a user's inline policy.
func (s *Server) PutUserPolicy(ctx context.Context, c *call) (any, error) {
	var v validation
	name := v.checkName(c.form, "UserName", "userName", true, 128)
	policy := v.checkName(c.form, "PolicyName", "policyName", true, 128)
	doc := checkPolicyDocument(&v, c.form)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkIdentityPolicy(doc); err != nil {
		return nil, err
	}
	_, err := s.updateUser(ctx, name, func(u *iam.UserDocument) ([]store.Op, error) {
		if u.Policies == nil {
			u.Policies = map[string]string{}
		}
		u.Policies[policy] = doc
		total := 0
		for _, d := range u.Policies {
			total += policySize(d)
		}
		if total > maxUserPolicyBytes {
			return nil, limitExceeded("Maximum policy size of %d bytes exceeded for user %s", maxUserPolicyBytes, u.UserName)
		}
		return nil, nil
	})
	return nil, err
}

// GetUserPolicy returns an inline policy, its document percent-encoded (RFC 3986) as IAM
// returns it.
func (s *Server) GetUserPolicy(ctx context.Context, c *call) (any, error) {
	var v validation
	name := v.checkName(c.form, "UserName", "userName", true, 128)
	policy := v.checkName(c.form, "PolicyName", "policyName", true, 128)
	if err := v.err(); err != nil {
		return nil, err
	}
	u, _, err := s.loadUser(ctx, name)
	if err != nil {
		return nil, err
	}
	doc, ok := u.Policies[policy]
	if !ok {
		return nil, noSuchUserPolicy(policy)
	}
	return struct {
		UserName       string `xml:"UserName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{u.UserName, policy, percentEncode(doc)}, nil
}

// ListUserPolicies lists a user's inline policy names in order.
func (s *Server) ListUserPolicies(ctx context.Context, c *call) (any, error) {
	var v validation
	name := v.checkName(c.form, "UserName", "userName", true, 128)
	marker := checkMarker(&v, c.form)
	limit := v.checkMaxItems(c.form)
	if err := v.err(); err != nil {
		return nil, err
	}
	u, _, err := s.loadUser(ctx, name)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(u.Policies))
	for n := range u.Policies {
		if n >= marker {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	res := struct {
		PolicyNames struct {
			Member []string `xml:"member"`
		} `xml:"PolicyNames"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}{}
	if len(names) > limit {
		res.IsTruncated, res.Marker = true, names[limit]
		names = names[:limit]
	}
	res.PolicyNames.Member = names
	return res, nil
}

// DeleteUserPolicy removes a user's inline policy.
func (s *Server) DeleteUserPolicy(ctx context.Context, c *call) (any, error) {
	var v validation
	name := v.checkName(c.form, "UserName", "userName", true, 128)
	policy := v.checkName(c.form, "PolicyName", "policyName", true, 128)
	if err := v.err(); err != nil {
		return nil, err
	}
	_, err := s.updateUser(ctx, name, func(u *iam.UserDocument) ([]store.Op, error) {
		if _, ok := u.Policies[policy]; !ok {
			return nil, noSuchUserPolicy(policy)
		}
		delete(u.Policies, policy)
		if len(u.Policies) == 0 {
			u.Policies = nil
		}
		return nil, nil
	})
	return nil, err
}

// percentEncode escapes every byte but RFC 3986's unreserved characters.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(s)*3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			out = append(out, c)
		} else {
			out = append(out, '%', hex[c>>4], hex[c&0xf])
		}
	}
	return string(out)
}
