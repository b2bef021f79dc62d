// Package iamapi is the management plane's small IAM and STS API: AWS's query protocol
// (form-encoded POST / with Action and Version, XML answers in IAM's and STS's namespaces,
// botocore's iam 2010-05-08 and sts 2011-06-15 models) for users, their access keys and
// their inline policies, and sts:GetCallerIdentity, enough for the aws CLI, the SDKs and
// Terraform's aws_iam_user, aws_iam_access_key and aws_iam_user_policy. The identities it
// writes (internal/iam) are those the data plane's AWS_IAM authorization checks.
//
// It is served on the management listener beside the apigateway and Lambda APIs (Handles
// says which requests are its own); it never imports the data plane.
package iamapi

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Config is what the IAM API needs.
type Config struct {
	Store store.Store
	Scope iam.Scope
	// AdminKeys are the keys of --admin-credentials (access key id → secret): they act as
	// the account's root. Nil is development mode (loopback only): a call that is unsigned,
	// or signed with a key that is not an IAM user's, acts as the root unchecked; a call
	// signed with an IAM user's key is verified and acts as that user.
	AdminKeys map[string]string
	// Region is the region a credential scope may name besides us-east-1, where IAM's
	// clients sign (gatehouse's --region: an SDK given an endpoint signs with its region).
	Region string
	Logger *slog.Logger
	// Now is the clock (CreateDate, the signature's time); nil means time.Now.
	Now func() time.Time
}

// Server serves the IAM and STS APIs.
type Server struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
	iam map[string]operation // by Action
	sts map[string]operation
}

// operation is one action. It returns the Result element's content (nil for none) or an
// error, an *Error to be sent as is.
type operation func(ctx context.Context, c *call) (any, error)

// call is one request: its parameters and who makes it.
type call struct {
	form   form
	caller *caller
	action string
}

// New returns an IAM and STS API server.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.routes()
	return s
}

// routes lists every action served, by service.
func (s *Server) routes() {
	s.iam = map[string]operation{
		"CreateUser":               s.CreateUser,
		"GetUser":                  s.GetUser,
		"ListUsers":                s.ListUsers,
		"DeleteUser":               s.DeleteUser,
		"TagUser":                  s.TagUser,
		"UntagUser":                s.UntagUser,
		"ListUserTags":             s.ListUserTags,
		"ListGroupsForUser":        s.ListGroupsForUser,
		"ListAttachedUserPolicies": s.ListAttachedUserPolicies,
		"GetLoginProfile":          s.GetLoginProfile,
		"CreateAccessKey":          s.CreateAccessKey,
		"ListAccessKeys":           s.ListAccessKeys,
		"UpdateAccessKey":          s.UpdateAccessKey,
		"DeleteAccessKey":          s.DeleteAccessKey,
		"PutUserPolicy":            s.PutUserPolicy,
		"GetUserPolicy":            s.GetUserPolicy,
		"ListUserPolicies":         s.ListUserPolicies,
		"DeleteUserPolicy":         s.DeleteUserPolicy,
	}
	s.sts = map[string]operation{
		"GetCallerIdentity": s.GetCallerIdentity,
	}
}

// Handles reports whether r is a query-protocol call, which only IAM and STS make on the
// management listener: POST / (or GET /?Action=...). No apigateway or Lambda operation is
// at the root path.
func Handles(r *http.Request) bool {
	return r.URL.Path == "/" && (r.Method == http.MethodPost || r.URL.Query().Has("Action"))
}

// The services' API versions, as the query protocol's Version parameter names them.
const (
	versionIAM = "2010-05-08"
	versionSTS = "2011-06-15"
)

// maxBody bounds a call's body: the largest IAM input here is a 131,072-character policy
// document, which percent-encoding can make three times longer.
const maxBody = 1 << 20

// ServeHTTP implements http.Handler: the request id, the body read once and bounded, the
// parameters parsed, the caller authenticated, then the action. A panic becomes a 500
// ServiceFailure, never a dropped connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	w.Header().Set("x-amzn-RequestId", requestID)
	ns := nsIAM
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("iam API call panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeError(w, ns, requestID, errServiceFailure)
		}
	}()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, ns, requestID, &Error{Status: http.StatusBadRequest, Code: "MalformedQueryString", Message: "Could not read the request body"})
		return
	}
	if len(body) > maxBody {
		writeError(w, ns, requestID, &Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge", Message: "Request body must be at most 1048576 bytes"})
		return
	}
	f, err := parseForm(r.URL.RawQuery, body)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Status: http.StatusBadRequest, Code: "MalformedQueryString", Message: "The request's parameters are not well-formed form encoding: " + err.Error()}
		}
		writeError(w, ns, requestID, e)
		return
	}
	action, version := f["Action"], f["Version"]
	service, ops, wantVersion := serviceIAM, s.iam, versionIAM
	if _, ok := s.sts[action]; ok {
		service, ops, wantVersion, ns = serviceSTS, s.sts, versionSTS, nsSTS
	}
	c, e := s.authenticate(r, body, service)
	if e != nil {
		writeError(w, ns, requestID, e)
		return
	}
	op := ops[action]
	if op == nil || (version != "" && version != wantVersion) {
		if version == "" {
			version = wantVersion
		}
		writeError(w, ns, requestID, invalidAction(action, version))
		return
	}
	if e := s.authorize(c, service, action, f); e != nil {
		writeError(w, ns, requestID, e)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	result, err := op(ctx, &call{form: f, caller: c, action: action})
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			s.log.Error("iam API call failed", "action", action, "err", err)
			e = errServiceFailure
		}
		writeError(w, ns, requestID, e)
		return
	}
	if err := writeResult(w, ns, action, requestID, result); err != nil {
		s.log.Error("iam API answer not encoded", "action", action, "err", err)
		writeError(w, ns, requestID, errServiceFailure)
	}
}

// callTimeout bounds one call's store work.
const callTimeout = 30 * time.Second

// newRequestID returns a random UUID (version 4), as AWS's request ids are.
func newRequestID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}
