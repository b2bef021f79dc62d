// Package mgmt is the management plane: AWS's apigateway (v1) REST-JSON API at AWS's paths,
// so that the aws CLI, the SDKs and Terraform drive gatehouse unchanged. routes.go lists every
// operation; each AWS resource has its own file, its handlers named after AWS's operations.
package mgmt

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Authenticator checks a management call before it runs (SigV4 when admin credentials are
// configured). A returned *awsjson.Error is sent as is; any other error as a 403
// AccessDeniedException.
type Authenticator interface {
	Authenticate(r *http.Request, body []byte) error
}

// Config is what the management plane needs.
type Config struct {
	Store  store.Store
	Scope  apigateway.Scope
	Logger *slog.Logger
	// Auth, when set, authenticates every call.
	Auth Authenticator
	// Now returns the current time; nil means apigateway.Now.
	Now func() apigateway.Timestamp
	// AccountThrottle is the account-level throttle GetAccount and UpdateAccount report
	// (throttleSettings); the zero value means AWS's default, 10,000 requests a second with a
	// burst of 5,000 ([A] limits.md). cmd passes the serve flag's value.
	AccountThrottle apigateway.ThrottleSettings
	// Usage reads and changes the quota counts GetUsage and UpdateUsage report (usage.go);
	// nil answers both with errUsageUnavailable.
	Usage UsageCounter
	// Authorizers flushes a stage's authorizer cache and runs TestInvokeAuthorizer
	// (authorizer.go); nil answers both with ErrAuthorizerRuntimeUnavailable.
	Authorizers AuthorizerRuntime
	// StageCache flushes a stage's response cache (stagecache.go); nil answers
	// FlushStageCache with ErrStageCacheUnavailable.
	StageCache StageCacheRuntime
}

// Server serves the management API.
type Server struct {
	store store.Store
	scope apigateway.Scope
	log   *slog.Logger
	auth  Authenticator
	now   func() apigateway.Timestamp
	mux   *http.ServeMux
	// endpoints are the mux's patterns and the operations each serves (handleAs).
	endpoints map[string]*endpoint
	// accountThrottle is Config.AccountThrottle with AWS's default filled in.
	accountThrottle apigateway.ThrottleSettings
	usage           UsageCounter
	authorizers     AuthorizerRuntime
	stageCache      StageCacheRuntime
	// maxPatchOps bounds an Update call's patch operations: awsjson.MaxPatchOperations (a
	// benchmark lifts it to measure the cost per operation of larger calls).
	maxPatchOps int
	// apis caches REST API documents by head revision (apidoc.go).
	apis apiCache
	// recovery is how ServeHTTP answers a panic (awsapi.Serve).
	recovery awsapi.Recovery
}

// New returns a management server.
func New(cfg Config) *Server {
	s := &Server{
		store: cfg.Store,
		scope: cfg.Scope,
		log:   cfg.Logger,
		auth:  cfg.Auth,
		now:   cfg.Now,
		mux:   http.NewServeMux(),
		usage: cfg.Usage,

		authorizers: cfg.Authorizers,
		stageCache:  cfg.StageCache,

		endpoints:       map[string]*endpoint{},
		accountThrottle: cfg.AccountThrottle.OrAccountDefault(),
		maxPatchOps:     awsjson.MaxPatchOperations,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.recovery = awsapi.Recovery{Log: s.log, What: "management call", Internal: func(w http.ResponseWriter, _ string) { awsjson.WriteError(w, awsjson.Internal) }}
	if s.now == nil {
		s.now = apigateway.Now
	}
	s.routes()
	s.mux.HandleFunc("/", unknownOperation)
	return s
}

// call is one management request: its body read once, its path values, and its response.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	body []byte
	// maxPatchOps bounds an Update call's patch operations (awsjson.MaxPatchOperations).
	maxPatchOps int
}

// handlerFunc is a management operation. It writes its own success response and returns an
// error to have it rendered AWS-style.
type handlerFunc func(ctx context.Context, c *call) error

// handle registers op at pattern ("METHOD /path/{label}") with AWS's URI labels. pattern
// must be an operation's path in the service model: its input is checked against the
// model's shape before op runs (awsjson.CheckInput). An operation that shares its path with
// another and is told apart by a query parameter is registered with that query part, as
// the model writes it ("POST /apikeys?mode=import" beside "POST /apikeys"); a request that
// carries the query of such an operation not registered (POST /restapis?mode=import) is
// answered as not supported, never as the plain operation.
func (s *Server) handle(pattern string, op handlerFunc) {
	model := awsjson.OperationAt(pattern)
	if model == nil {
		panic("mgmt: no operation of the service model at " + pattern)
	}
	s.handleAs(pattern, model, op)
}

// endpoint is one mux pattern and the operations served there: the plain one (base) and
// those told apart by a query parameter, by their model.
type endpoint struct {
	base *awsjson.Operation
	ops  map[*awsjson.Operation]handlerFunc
}

// handleAs registers op at pattern as the model's operation model: for a path AWS answers
// as an operation although it is not the operation's path in the model (GET /restapis/).
// pattern's query part, if any, makes op a variant of the operation at the bare path.
func (s *Server) handleAs(pattern string, model *awsjson.Operation, op handlerFunc) {
	muxPattern, _, variant := strings.Cut(pattern, "?")
	e := s.endpoints[muxPattern]
	if e == nil {
		e = &endpoint{ops: map[*awsjson.Operation]handlerFunc{}}
		s.endpoints[muxPattern] = e
		s.mux.HandleFunc(muxPattern, func(w http.ResponseWriter, r *http.Request) { s.serve(e, w, r) })
	}
	if !variant {
		e.base = model
	} else if e.base == nil {
		// A variant registered before its plain operation: the plain one is the model's
		// operation at the bare path, answered as not supported until it is registered.
		e.base = awsjson.OperationAt(muxPattern)
	}
	if _, dup := e.ops[model]; dup || e.base == nil {
		panic("mgmt: operation registered twice or without a plain operation at " + pattern)
	}
	e.ops[model] = op
}

// serve runs one request at e: the body read once, authentication, the operation chosen by
// the request's query, its input checked against the model, then the operation.
func (s *Server) serve(e *endpoint, w http.ResponseWriter, r *http.Request) {
	body, err := awsjson.ReadBody(r)
	if err != nil {
		awsjson.WriteError(w, err)
		return
	}
	if s.auth != nil {
		if err := s.auth.Authenticate(r, body); err != nil {
			var ae *awsjson.Error
			if !errors.As(err, &ae) {
				ae = &awsjson.Error{Status: http.StatusForbidden, Type: "AccessDeniedException", Message: err.Error()}
			}
			awsjson.WriteError(w, ae)
			return
		}
	}
	query := r.URL.Query()
	model := e.base
	if v := awsjson.QueryVariant(e.base, query); v != nil {
		model = v
	}
	op := e.ops[model]
	if op == nil {
		awsjson.WriteError(w, awsjson.NotSupported(model))
		return
	}
	if err := awsjson.CheckInput(model, body, r.PathValue, query.Get); err != nil {
		awsjson.WriteError(w, err)
		return
	}
	c := &call{w: w, r: r, body: body, maxPatchOps: s.maxPatchOps}
	if err := op(r.Context(), c); err != nil {
		var ae *awsjson.Error
		if !errors.As(err, &ae) {
			s.log.Error("management call failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		awsjson.WriteError(w, err)
	}
}

// ServeHTTP implements http.Handler through the management APIs' scaffold (awsapi.Serve):
// every response carries x-amzn-RequestId; a panic in an operation becomes a 500
// InternalFailure, never a dropped connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	awsapi.Serve(w, r, s.recovery, func(w http.ResponseWriter, r *http.Request, _ string) { s.mux.ServeHTTP(w, r) })
}

// unknownOperation answers a request no served operation matched. An operation of the
// service model that gatehouse does not serve yet is named (awsjson.NotSupported); a path or
// method the model has no operation for is AWS's 404 UnknownOperationException.
func unknownOperation(w http.ResponseWriter, r *http.Request) {
	if op := awsjson.OperationFor(r.Method, r.URL.EscapedPath(), r.URL.Query()); op != nil {
		awsjson.WriteError(w, awsjson.NotSupported(op))
		return
	}
	awsjson.WriteError(w, &awsjson.Error{Status: http.StatusNotFound, Type: "UnknownOperationException", Message: "Unknown operation " + r.Method + " " + r.URL.Path})
}

// decode reads the call's JSON body into v.
func (c *call) decode(v any) error { return awsjson.Decode(c.body, v) }

// decodePatch reads an Update* call's patch operations and checks their ops against the
// service model's enum, reported under the operation's input name ("updateStageInput").
func (c *call) decodePatch(input string) ([]awsjson.PatchOperation, error) {
	ops, err := c.patchOps()
	if err != nil {
		return nil, err
	}
	if err := checkInput(awsjson.OpProblems(input, ops)...); err != nil {
		return nil, err
	}
	return ops, nil
}

// patchOps reads an Update* call's patch operations, at most maxPatchOps of them.
func (c *call) patchOps() ([]awsjson.PatchOperation, error) {
	return awsjson.DecodePatch(c.body, c.maxPatchOps)
}

// path returns the URI label's value.
func (c *call) path(label string) string { return c.r.PathValue(label) }

// ID alphabets and lengths as AWS's look: REST API ids are 10 lower-case alphanumerics,
// resource ids 6 (the root's 10), deployment ids 6.
const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID returns n random characters of idAlphabet.
func newID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// ctxTimeout bounds one management call's store work.
const ctxTimeout = 30 * time.Second
