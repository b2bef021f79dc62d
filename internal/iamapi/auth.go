package iamapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/iampolicy"
	"github.com/gatehouse/gatehouse/internal/sigv4"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The SigV4 signing names (botocore's endpointPrefix) of the two services.
const (
	serviceIAM = "iam"
	serviceSTS = "sts"
)

// caller is who makes a call: the account's root (the admin credentials, or anyone in
// development mode) or an IAM user, by one of its active access keys.
type caller struct {
	Account string
	ARN     string
	UserID  string // the root's is the account id, a user's its AIDA... id
	// UserName is empty for the root.
	UserName string
}

func (s *Server) root() *caller {
	a := s.cfg.Scope.AccountID
	return &caller{Account: a, ARN: s.cfg.Scope.RootARN(), UserID: a}
}

// authenticate verifies the call's signature with the credential scope of service and says
// who signed it. See Config.AdminKeys for development mode.
func (s *Server) authenticate(r *http.Request, body []byte, service string) (*caller, *Error) {
	ctx := r.Context()
	var signer *iam.UserDocument // the IAM user whose key signed, once verified
	lookup := func(id string) (string, bool) {
		if secret, ok := s.cfg.AdminKeys[id]; ok {
			return secret, true
		}
		key, user, err := s.activeKey(ctx, id)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				s.log.Error("access key lookup failed", "access_key_id", id, "err", err)
			}
			return "", false
		}
		signer = user
		return key.SecretAccessKey, true
	}
	if s.cfg.AdminKeys == nil {
		id := signingKeyID(r)
		if id == "" {
			return s.root(), nil
		}
		if _, _, err := s.activeKey(ctx, id); err != nil {
			return s.root(), nil // development mode: any other signature is the root's
		}
	}
	v := sigv4.Verifier{Credentials: lookup, Service: service, Now: s.now}
	res, err := v.Verify(r, body)
	if err != nil {
		var se *sigv4.Error
		if !errors.As(err, &se) {
			return nil, errServiceFailure
		}
		return nil, querySignatureError(se)
	}
	if res.Region != "us-east-1" && res.Region != s.cfg.Region {
		return nil, &Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "Credential should be scoped to a valid region. "}
	}
	if signer == nil {
		return s.root(), nil
	}
	return &caller{Account: s.cfg.Scope.AccountID, ARN: signer.ARN, UserID: signer.UserID, UserName: signer.UserName}, nil
}

// activeKey returns the active access key id and its user.
func (s *Server) activeKey(ctx context.Context, id string) (*iam.AccessKeyDocument, *iam.UserDocument, error) {
	if !validAccessKeyID(id) {
		return nil, nil, store.ErrNotFound
	}
	var key iam.AccessKeyDocument
	if _, err := store.GetJSON(ctx, s.cfg.Store, s.cfg.Scope.AccessKeyKey(id), &key); err != nil {
		return nil, nil, err
	}
	if key.Status != iam.StatusActive {
		return nil, nil, store.ErrNotFound
	}
	var user iam.UserDocument
	if _, err := store.GetJSON(ctx, s.cfg.Store, s.cfg.Scope.UserKey(key.UserName), &user); err != nil {
		return nil, nil, err
	}
	return &key, &user, nil
}

// signingKeyID is the access key id a request says it is signed with (the Authorization
// header's or X-Amz-Credential's Credential), unverified; empty when it is not signed.
func signingKeyID(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		_, after, ok := strings.Cut(h, "Credential=")
		if !ok {
			return ""
		}
		cred = after
	}
	id, _, _ := strings.Cut(cred, "/")
	return id
}

// querySignatureError renders a SigV4 failure with the query services' codes (IAM and STS
// say InvalidClientTokenId and SignatureDoesNotMatch where REST-JSON services say
// UnrecognizedClientException and InvalidSignatureException) and AWS's messages.
func querySignatureError(se *sigv4.Error) *Error {
	code := se.Code
	switch se.Code {
	case sigv4.CodeMissingAuthenticationToken:
		return &Error{Status: http.StatusForbidden, Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
	case sigv4.CodeIncompleteSignature:
		code = "IncompleteSignature"
	case sigv4.CodeUnrecognizedClient:
		code = "InvalidClientTokenId"
	case sigv4.CodeInvalidSignature:
		code = "SignatureDoesNotMatch"
	}
	return &Error{Status: se.Status, Code: code, Message: se.Message}
}

// authorize decides whether c may run action, as IAM decides it for an identity policy:
// the root may run everything; sts:GetCallerIdentity needs no permission; an IAM user needs
// an inline policy that allows "{service}:{Action}" on the user the call is about (its ARN,
// or "arn:aws:iam::{account}:user/" for ListUsers), and none that denies it.
func (s *Server) authorize(ctx context.Context, c *caller, service, action string, f form) error {
	if c.UserName == "" || (service == serviceSTS && action == "GetCallerIdentity") {
		return nil
	}
	iamAction := service + ":" + action
	resource, err := s.resourceARN(ctx, c, action, f)
	if err != nil {
		return err
	}
	var doc iam.UserDocument
	if _, err := store.GetJSON(ctx, s.cfg.Store, s.cfg.Scope.UserKey(c.UserName), &doc); err != nil {
		if errors.Is(err, store.ErrNotFound) { // deleted since it signed
			return accessDenied(c.ARN, iamAction, resource)
		}
		return err
	}
	req := &iampolicy.Request{
		Action: iamAction, Resource: resource,
		Principal:  iampolicy.Principal{ARN: c.ARN, AccountID: c.Account},
		Conditions: map[string][]string{"aws:username": {c.UserName}, "aws:userid": {c.UserID}, "aws:principalarn": {c.ARN}, "aws:principalaccount": {c.Account}},
	}
	allowed := false
	for _, text := range doc.Policies {
		p, err := iampolicy.Parse([]byte(text))
		if err != nil {
			continue // PutUserPolicy refuses what iampolicy cannot read; nothing to grant
		}
		switch p.Evaluate(req) {
		case iampolicy.ExplicitDeny:
			return &Error{Status: http.StatusForbidden, Code: "AccessDenied",
				Message: "User: " + c.ARN + " is not authorized to perform: " + iamAction + " on resource: " + resource + " with an explicit deny in an identity-based policy"}
		case iampolicy.Allow:
			allowed = true
		}
	}
	if allowed {
		return nil
	}
	return accessDenied(c.ARN, iamAction, resource)
}

// resourceARN is the IAM resource a call is about: the user it names (the caller when it
// names none), by its ARN when it exists; the account's user path for ListUsers.
func (s *Server) resourceARN(ctx context.Context, c *caller, action string, f form) (string, error) {
	if action == "ListUsers" {
		return "arn:aws:iam::" + c.Account + ":user/", nil
	}
	name, given := f.get("UserName")
	if !given || name == "" {
		return c.ARN, nil
	}
	if !validUserName(name) {
		return "arn:aws:iam::" + c.Account + ":user/" + name, nil
	}
	doc, _, err := s.loadUser(ctx, name)
	var e *Error
	switch {
	case err == nil:
		return doc.ARN, nil
	case errors.As(err, &e): // no such user
		return "arn:aws:iam::" + c.Account + ":user/" + name, nil
	}
	return "", err
}

// validUserName reports whether name could be a stored user's (a store key component).
func validUserName(name string) bool {
	var v validation
	v.checkName(form{"UserName": name}, "UserName", "userName", true, 128)
	return len(v) == 0
}
