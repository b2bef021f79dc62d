// Package gateway is the data plane ("execute-api"): it follows the store, compiles every
// stage (the stage and its deployment's snapshot) into an immutable table swapped in with
// atomic.Pointer, and serves requests against it without locks.
package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/apikey"
	"github.com/gatehouse/gatehouse/internal/gateway/authorizer"
	"github.com/gatehouse/gatehouse/internal/gateway/cache"
	"github.com/gatehouse/gatehouse/internal/gateway/integration"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/throttle"
	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/gatehouse/gatehouse/internal/sigv4"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Reader is all the data plane gets of the store.
type Reader interface {
	Get(ctx context.Context, key string) (store.KV, error)
	List(ctx context.Context, prefix string) ([]store.KV, int64, error)
	Watch(ctx context.Context, prefix string, afterRev int64) (<-chan store.Event, error)
}

var _ Reader = store.Store(nil)

// DefaultDomain is the execute-api domain when Config.Domain is empty: browsers and
// systemd-resolved send *.localhost to loopback.
const DefaultDomain = "execute-api.localhost"

// Config configures a Server.
type Config struct {
	Store Reader
	Scope apigateway.Scope
	// Domain is the execute-api domain: requests whose Host is {api-id}.{Domain}[:port] are
	// served host-based. Empty means DefaultDomain.
	Domain string
	// Logger receives compile errors, failed requests and, at debug level, requests that
	// match no API, stage, resource or method (noMatch). Nil discards them.
	Logger *slog.Logger
	// Transport overrides the shared backend transport (tests). Nil means
	// integration.NewTransport's tuned defaults.
	Transport http.RoundTripper
	// Lambda invokes the functions of AWS_PROXY and AWS Lambda integrations (the local
	// runtime, or a remote Lambda API). Nil answers their requests with 500.
	Lambda integration.LambdaInvoker
	// AWSServices are the keys and endpoints of AWS service integrations (type AWS with a
	// URI other than a Lambda function's). The zero value has no keys: such integrations
	// answer 500, the cause logged.
	AWSServices integration.AWSServiceConfig
	// State is the runtime state of throttles and quotas (internal/localstate or
	// internal/redisstate). Nil applies none: API keys are still checked, nothing is
	// throttled or counted.
	State throttle.State
	// StateFailure is what requests get when State cannot answer; the zero value fails
	// throttles open and quotas closed.
	StateFailure throttle.FailurePolicy
	// AccountThrottle is the account's token bucket, applied to every request after the
	// other throttles (GetAccount's throttleSettings). The zero value is AWS's default,
	// 10,000 requests a second with a burst of 5,000; a negative rate or burst applies none.
	AccountThrottle apigateway.ThrottleSettings
	// CanaryRandom draws the number, uniform in [0, 1), that sends a request to its stage's
	// canary when it is below canarySettings.percentTraffic/100 (canary.go); nil means
	// math/rand/v2's Float64. Tests inject it to choose the variant.
	CanaryRandom func() float64
	// Now is the gateway's clock: $context.requestTime, and the time of throttles and
	// quota periods; nil means time.Now.
	Now func() time.Time

	// AuthorizerCache keeps Lambda authorizer results (authorizer_lambda.go): nil keeps
	// them in process; internal/redisstate shares them between nodes.
	AuthorizerCache AuthorizerCache
	// ResponseCache keeps the stages' cached responses (the response cache, responsecache.go):
	// nil keeps them in process (cache.MemoryStore, bounded per stage by cacheClusterSize);
	// internal/redisstate shares them between nodes.
	ResponseCache cache.Store
	// JWTIssuers maps a Cognito user pool ARN (an authorizer's providerARNs) to the OIDC
	// issuer URL that stands in for it (--jwt-issuer ARN=URL); the JWKS is read from
	// {issuer}/.well-known/jwks.json (authorizer_cognito.go).
	JWTIssuers map[string]string
	// JWKSClient fetches the issuers' JWKS; nil means a client with a 10 s timeout.
	JWKSClient *http.Client
	// RootCredentials are the account root's access keys (--admin-credentials: access key
	// id → secret): AWS_IAM admits requests they sign as arn:aws:iam::{account}:root
	// (authorization_iam.go). IAM users' keys are read from the store.
	RootCredentials map[string]string
}

// Server is the data plane's http.Handler.
type Server struct {
	store     Reader
	scope     apigateway.Scope
	domain    string // lowercased
	log       *slog.Logger
	transport http.RoundTripper
	insecure  http.RoundTripper
	lambda    integration.LambdaInvoker
	// awsServices configures AWS service integrations.
	awsServices integration.AWSServiceConfig

	// state, stateFailure, account and now configure the throttle stage (Config).
	state        throttle.State
	stateFailure throttle.FailurePolicy
	account      *meter.Bucket
	now          func() time.Time
	// canaryRandom splits a stage's requests between it and its canary (Config.CanaryRandom).
	canaryRandom func() float64
	// authCache keeps Lambda authorizer results (Config.AuthorizerCache).
	authCache AuthorizerCache
	// respCache keeps the stages' cached responses (Config.ResponseCache); cacheStats
	// counts their hits and misses (CacheStats).
	respCache  cache.Store
	cacheStats cache.Stats

	cognito *cognitoPools // COGNITO_USER_POOLS authorizers (authorizer_cognito.go)

	table     atomic.Pointer[table]
	keys      atomic.Pointer[apikey.Index]
	ready     atomic.Bool // the stage table is loaded
	keysReady atomic.Bool // the key index is loaded
	iam       atomic.Pointer[iamIndex]
	iamReady  atomic.Bool // the IAM identity index is loaded
	// rootCredentials are Config.RootCredentials: access key id → secret of the root.
	rootCredentials map[string]string
	// iamKeys are the SigV4 signing keys AWS_IAM methods derived (authorization_iam.go).
	iamKeys  sigv4.KeyCache
	defaults *gatewayResponses // AWS's, for requests no stage is known for

	policies policyCache // the last resource policy parsed (resourcepolicy.go)

	mu       sync.Mutex
	failures map[string]error // "apiId/stage" → the error that keeps its last table serving

	invPool sync.Pool
	bufPool sync.Pool
}

// table is one immutable snapshot of everything served.
type table struct {
	apis map[string]map[string]*stage // api id → stage name → stage
}

func (t *table) lookup(apiID, stageName string) *stage {
	if t == nil {
		return nil
	}
	return t.apis[apiID][stageName]
}

// New returns a Server; call Run to load and follow the store.
func New(cfg Config) *Server {
	s := &Server{
		store:       cfg.Store,
		scope:       cfg.Scope,
		domain:      strings.ToLower(cfg.Domain),
		log:         cfg.Logger,
		transport:   cfg.Transport,
		lambda:      cfg.Lambda,
		awsServices: cfg.AWSServices,
		failures:    map[string]error{},
		state:       cfg.State,
		now:         cfg.Now,
		account:     accountBucket(cfg.AccountThrottle),

		rootCredentials: maps.Clone(cfg.RootCredentials),
	}
	s.stateFailure = cfg.StateFailure
	if s.now == nil {
		s.now = time.Now
	}
	s.canaryRandom = cfg.CanaryRandom
	if s.canaryRandom == nil {
		s.canaryRandom = rand.Float64
	}
	s.authCache = cfg.AuthorizerCache
	if s.authCache == nil {
		s.authCache = authorizer.NewMemoryCache(0)
	}
	s.respCache = cfg.ResponseCache
	if s.respCache == nil {
		s.respCache = cache.NewMemoryStore()
	}
	s.cognito = newCognitoPools(cfg.JWTIssuers, cfg.JWKSClient, s.now)
	if s.domain == "" {
		s.domain = DefaultDomain
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.transport == nil {
		s.transport = integration.NewTransport(false)
		s.insecure = integration.NewTransport(true)
	} else {
		s.insecure = s.transport
	}
	defaults, err := compileGatewayResponses(nil, nil, nil)
	if err != nil {
		panic(fmt.Sprintf("gateway: AWS default gateway responses do not compile: %v", err)) // a bug in this package
	}
	s.defaults = defaults
	s.invPool.New = func() any { return &invoke.Invocation{PathParams: make([]invoke.Param, 0, 8)} }
	s.bufPool.New = func() any { b := make([]byte, 32<<10); return &b }
	s.table.Store(&table{apis: map[string]map[string]*stage{}})
	return s
}

// Ready reports whether the first table, key index and IAM identity index have been loaded
// from the store.
func (s *Server) Ready() bool { return s.ready.Load() && s.keysReady.Load() && s.iamReady.Load() }

// accountBucket is the account's token bucket under t (Config.AccountThrottle): AWS's
// default for the zero value, none for a negative rate or burst.
func accountBucket(t apigateway.ThrottleSettings) *meter.Bucket {
	t = t.OrAccountDefault()
	if t.RateLimit < 0 || t.BurstLimit < 0 {
		return nil
	}
	return &meter.Bucket{Key: "a", Rate: t.RateLimit, Burst: int64(t.BurstLimit)}
}

// StageErrors returns, by "apiId/stage", the compile errors of stages that are not serving
// their latest configuration (their previous table, if any, still serves).
func (s *Server) StageErrors() map[string]error {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]error, len(s.failures))
	for k, v := range s.failures {
		out[k] = v
	}
	return out
}
