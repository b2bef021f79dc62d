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
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/awsapi"
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

// ServeHTTP implements http.Handler through the management APIs' scaffold (awsapi.Serve:
// the request id, panic recovery as a 500 ServiceFailure), then serve: the body read once
// and bounded, the parameters parsed, the caller authenticated and authorized, the action.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ns := nsIAM // STS's once the action is known to be STS's
	rec := awsapi.Recovery{Log: s.log, What: "iam API call", Internal: func(w http.ResponseWriter, requestID string) {
		writeError(w, ns, requestID, errServiceFailure)
	}}
	awsapi.Serve(w, r, rec, func(w http.ResponseWriter, r *http.Request, requestID string) { s.serve(w, r, requestID, &ns) })
}

// serve runs one call; ns is the namespace its errors are written in, set to STS's for an
// STS action.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, requestID string, nsp *string) {
	body, err := awsapi.ReadBody(r, maxBody)
	if errors.Is(err, awsapi.ErrTooLarge) {
		writeError(w, nsIAM, requestID, &Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge", Message: "Request body must be at most 1048576 bytes"})
		return
	}
	if err != nil {
		writeError(w, nsIAM, requestID, &Error{Status: http.StatusBadRequest, Code: "MalformedQueryString", Message: "Could not read the request body"})
		return
	}
	ns := nsIAM
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
		*nsp = ns
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
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	err = s.authorize(ctx, c, service, action, f)
	var result any
	if err == nil {
		result, err = op(ctx, &call{form: f, caller: c, action: action})
	}
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
