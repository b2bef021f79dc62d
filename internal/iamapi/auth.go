package iamapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/iam"
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

// authorize decides whether c may run action. The root may run everything. An IAM user may
// call sts:GetCallerIdentity, which AWS answers without any permission; everything else an
// IAM user's keys may not do on the management listener (its inline policies are for the
// data plane's AWS_IAM authorization), answered as IAM answers a call no policy allows.
func (s *Server) authorize(c *caller, service, action string, f form) *Error {
	if c.UserName == "" || (service == serviceSTS && action == "GetCallerIdentity") {
		return nil
	}
	name := f["UserName"]
	if name == "" && action != "ListUsers" {
		name = c.UserName
	}
	return accessDenied(c.ARN, service+":"+action, "arn:aws:iam::"+c.Account+":user/"+name)
}
