// Package lambdaapi is the management plane's Lambda API: AWS Lambda's REST-JSON operations
// (botocore's lambda 2015-03-31 model) at AWS's paths, enough for the aws CLI, the SDKs and
// Terraform's aws_lambda_function, aws_lambda_alias and aws_lambda_permission to deploy,
// publish, inspect, call and remove functions, their versions and aliases. routes.go lists
// every operation; handlers are named after them.
//
// It is served on the management listener beside the apigateway API (Handles says which
// paths are its own) and shares its SigV4 authenticator; it never imports the data plane.
package lambdaapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/lambda"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// Authenticator checks a call before it runs (SigV4 when admin credentials are configured).
// A *sigv4.Error is rendered as AWS renders it; any other error as a 403
// AccessDeniedException.
type Authenticator interface {
	Authenticate(r *http.Request, body []byte) error
}

// AuthFunc adapts a function to Authenticator.
type AuthFunc func(r *http.Request, body []byte) error

// Authenticate calls f.
func (f AuthFunc) Authenticate(r *http.Request, body []byte) error { return f(r, body) }

// Config is what the Lambda API needs.
type Config struct {
	Registry *lambda.Registry
	Code     *lambda.CodeStore
	Invoker  *lambda.Invoker
	Logger   *slog.Logger
	// Auth, when set, authenticates every call (but the code download, see CodePath).
	Auth Authenticator
	// LocalCodeRoot, when set, lets CreateFunction and UpdateFunctionCode package a directory
	// under it on this machine (a gatehouse extension, see docs/lambda.md); empty disables it.
	LocalCodeRoot string
}

// Server serves the Lambda API.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// New returns a Lambda API server.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.routes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Status: http.StatusNotFound, Type: "UnknownOperationException", Message: "Unknown operation " + r.Method + " " + r.URL.Path})
	})
	return s
}

// Handles reports whether path belongs to the Lambda API: Lambda's paths all begin with the
// date of their API version ("/2015-03-31/functions", "/2017-03-31/tags", ...), which no
// apigateway path does, and the code downloads under CodePath.
func Handles(path string) bool {
	return strings.HasPrefix(path, "/20") || strings.HasPrefix(path, CodePath)
}

// CodePath is where GetFunction's Code.Location points: {CodePath}{sha256-hex}.zip serves a
// function's deployment package. Like the presigned S3 URL Lambda answers, it needs no
// signature: its name is the SHA-256 of the package, known only to callers of GetFunction.
const CodePath = "/gatehouse/lambda/code/"

// call is one Lambda API request.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	body []byte
}

type handlerFunc func(ctx context.Context, c *call) error

// Request body limits: Lambda's (RequestTooLargeException).
const (
	maxBody       = 6 << 20  // the control-plane calls
	maxCodeBody   = 70167211 // CreateFunction and UpdateFunctionCode: a 50 MB zip, base64 in JSON
	maxInvokeBody = 6291456  // Invoke, RequestResponse
	maxEventBody  = 1048576  // Invoke, Event
)

// handle registers op at pattern with AWS's URI labels; limit bounds the request body.
func (s *Server) handle(pattern string, limit int64, op handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, err := awsapi.ReadBody(r, limit)
		if errors.Is(err, awsapi.ErrTooLarge) {
			writeError(w, &Error{Status: http.StatusRequestEntityTooLarge, Type: "RequestTooLargeException",
				Message: "Request must be smaller than " + itoa(limit) + " bytes for the " + operationName(pattern) + " operation"})
			return
		}
		if err != nil {
			writeError(w, invalidRequestContent("Could not read request body"))
			return
		}
		if s.cfg.Auth != nil {
			if err := s.cfg.Auth.Authenticate(r, body); err != nil {
				var se *sigv4.Error
				if errors.As(err, &se) {
					writeError(w, &Error{Status: se.Status, Type: se.Code, Message: se.Message, plain: true})
				} else {
					writeError(w, &Error{Status: http.StatusForbidden, Type: "AccessDeniedException", Message: err.Error(), plain: true})
				}
				return
			}
		}
		if err := op(r.Context(), &call{w: w, r: r, body: body}); err != nil {
			s.fail(w, r, err)
		}
	})
}

// fail renders err; an error that is not an *Error is logged and becomes a ServiceException.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		s.log.Error("lambda API call failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, err)
}

// ServeHTTP implements http.Handler through the management APIs' scaffold (awsapi.Serve):
// every response carries x-amzn-RequestId; a panic becomes a 500 ServiceException, never a
// dropped connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	awsapi.Serve(w, r, awsapi.Recovery{Log: s.log, What: "lambda API call", Internal: func(w http.ResponseWriter, _ string) { writeError(w, errService) }},
		func(w http.ResponseWriter, r *http.Request, _ string) { s.mux.ServeHTTP(w, r) })
}

// operationName is the AWS operation a route pattern serves, for RequestTooLargeException.
func operationName(pattern string) string {
	switch {
	case strings.HasSuffix(pattern, "/invocations"):
		return "Invoke"
	case strings.HasSuffix(pattern, "/code"):
		return "UpdateFunctionCode"
	case strings.HasPrefix(pattern, "POST /2015-03-31/functions"):
		return "CreateFunction"
	}
	return "requested"
}
