// Package authorizer is the pipeline stage of CUSTOM methods: a Lambda authorizer of type
// TOKEN or REQUEST, run as API Gateway runs it. It reads the identity sources, refuses a
// request that lacks them (401) without calling the function, sends the function AWS's
// event, reads its answer ({principalId, policyDocument, context, usageIdentifierKey}),
// caches it per identity for authorizerResultTtlInSeconds, and evaluates the returned
// policy against each request's method ARN: Allow admits (inv.Authorizer), a Deny or no
// Allow answers 403.
//
// The function is called through Caller, so that the stage knows nothing of how Lambda is
// reached; the cache is the Cache interface (in process or Redis).
package authorizer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/iampolicy"
)

// Caller invokes the authorizer's function with payload. functionError is Lambda's
// X-Amz-Function-Error ("" when the function succeeded; out is then its result, else its
// error document); err is a failure to invoke at all.
type Caller func(ctx context.Context, payload []byte) (out []byte, functionError string, err error)

// Cache keeps authorizer answers between requests (gateway.AuthorizerCache has the same
// methods). Keys are "{apiId}/{stage}/{authorizerId}/{identity hash}".
type Cache interface {
	Get(ctx context.Context, key string, now time.Time) (value []byte, ok bool, err error)
	Set(ctx context.Context, key string, value []byte, now, expires time.Time) error
}

// DefaultTimeout is how long the function may take: AWS's limit on a Lambda authorizer's
// answer, 10 s (limits: "Lambda authorizer response timeout").
const DefaultTimeout = 10 * time.Second

// Config is one authorizer on one stage.
type Config struct {
	Authorizer *apigateway.Authorizer
	// Region, AccountID, APIID and Stage build method ARNs and cache keys.
	Region, AccountID, APIID, Stage string
	// CacheStage replaces Stage in cache keys: a stage's canary, which may call another
	// function or see other stage variables, keeps its answers apart under
	// "{stage}/~canary", still flushed with the stage. Empty means Stage.
	CacheStage string
	// StageVariables are the stage's variables (stageVariables.X identity sources and the
	// REQUEST event).
	StageVariables map[string]string
	// RequestEvent appends a REQUEST authorizer's event for inv (the Lambda proxy event's
	// request facts with type and methodArn: integration.AppendAuthorizerRequestEvent).
	RequestEvent func(b []byte, inv *invoke.Invocation, methodARN string) []byte
	// Call invokes the function; nil fails every request with 500
	// AUTHORIZER_CONFIGURATION_ERROR (no Lambda invoker).
	Call Caller
	// Cache keeps answers; nil keeps none (every request calls the function).
	Cache Cache
	// Now is the clock of cache expiry; nil means time.Now.
	Now func() time.Time
	// Timeout bounds a call; zero means DefaultTimeout.
	Timeout time.Duration
	// ConfigErr, when set, fails every request with 500 AUTHORIZER_CONFIGURATION_ERROR: an
	// authorizerUri that names no function on this stage (the cause is logged).
	ConfigErr error
}

// The failures of this stage, as AWS answers them.
var (
	// unauthorized is a missing identity source, a token that fails
	// identityValidationExpression and the function's "Unauthorized" error: 401
	// {"message":"Unauthorized"}.
	unauthorized = invoke.Errorf(apigateway.ResponseUnauthorized, "Unauthorized")
	// explicitDeny and implicitDeny are the policy's verdicts other than Allow: 403
	// ACCESS_DENIED, whose default body AWS spells {"Message":...} with a capital M.
	explicitDeny = &invoke.Error{Type: apigateway.ResponseAccessDenied, Message: "User is not authorized to access this resource with an explicit deny", MessageKey: "Message"}
	implicitDeny = &invoke.Error{Type: apigateway.ResponseAccessDenied, Message: "User is not authorized to access this resource", MessageKey: "Message"}
)

// Authorizer is a compiled authorizer: immutable but for its caches, safe for concurrent
// use by every method of the stage that names it.
type Authorizer struct {
	cfg     Config
	token   bool
	sources []source
	valid   *regexp.Regexp // TOKEN's identityValidationExpression; nil when none
	ttl     time.Duration  // 0: no caching
	prefix  string         // cache key prefix "{apiId}/{stage}/{authorizerId}/"
	// known memoizes, by identity (identityBytes), the identity's cache key and the answer
	// last parsed for it, so that a cache hit neither hashes the identity nor parses the
	// cached value again: one lookup here, one in the cache. Bounded: it starts over when
	// full.
	known struct {
		mu sync.RWMutex
		m  map[string]*memo
	}
}

// memo is one identity's entry in Authorizer.known. Immutable: a new answer replaces it.
type memo struct {
	key string // the cache key
	// raw is the cached value ans was parsed from, compared with each hit's value (another
	// node may have stored a new one); both nil until the identity's first answer.
	raw []byte
	ans *answer
}

// maxKnown bounds Authorizer.known.
const maxKnown = 4096

// source is one identity source.
type source struct {
	kind byte // 'h' header, 'q' query string, 's' stage variable, 'c' $context
	name string
	// header is a header's name, resolved once.
	header invoke.HeaderKey
}

// headerSource is the identity source of header name.
func headerSource(name string) source {
	return source{kind: 'h', name: name, header: invoke.NewHeaderKey(name)}
}

// New compiles cfg. It refuses what AWS refuses at CreateAuthorizer: an authorizer type
// other than TOKEN or REQUEST, an identity source it cannot read, a bad
// identityValidationExpression.
func New(cfg Config) (*Authorizer, error) {
	a := cfg.Authorizer
	if a == nil {
		return nil, errors.New("no authorizer")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	cacheStage := cfg.CacheStage
	if cacheStage == "" {
		cacheStage = cfg.Stage
	}
	z := &Authorizer{cfg: cfg, prefix: cfg.APIID + "/" + cacheStage + "/" + a.ID + "/"}
	ttl := apigateway.DefaultAuthorizerResultTTL
	if a.AuthorizerResultTTLInSeconds != nil {
		ttl = *a.AuthorizerResultTTLInSeconds
	}
	z.ttl = time.Duration(max(ttl, 0)) * time.Second
	switch a.Type {
	case apigateway.AuthorizerToken:
		z.token = true
		name, ok := strings.CutPrefix(strings.TrimSpace(a.IdentitySource), "method.request.header.")
		if !ok || name == "" {
			return nil, fmt.Errorf("authorizer %s: identitySource %q: a TOKEN authorizer reads method.request.header.{name}", a.ID, a.IdentitySource)
		}
		z.sources = []source{headerSource(name)}
		if a.IdentityValidationExpression != "" {
			// AWS's expression is a Java regex; Go's RE2 syntax covers the usual ones
			// (^Bearer [-0-9a-zA-Z._]*$). It must match the whole token, as Java's
			// String.matches does.
			re, err := regexp.Compile(`^(?:` + a.IdentityValidationExpression + `)$`)
			if err != nil {
				return nil, fmt.Errorf("authorizer %s: identityValidationExpression: %w", a.ID, err)
			}
			z.valid = re
		}
	case apigateway.AuthorizerRequest:
		for _, part := range strings.Split(a.IdentitySource, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			src, err := parseSource(part)
			if err != nil {
				return nil, fmt.Errorf("authorizer %s: identitySource: %w", a.ID, err)
			}
			z.sources = append(z.sources, src)
		}
		if len(z.sources) == 0 {
			// AWS requires identity sources for caching; without them nothing identifies
			// whose answer a cached one would be.
			z.ttl = 0
		}
	default:
		return nil, fmt.Errorf("authorizer %s: type %q is not a Lambda authorizer", a.ID, a.Type)
	}
	return z, nil
}

func parseSource(s string) (source, error) {
	for _, p := range [...]struct {
		prefix string
		kind   byte
	}{{"method.request.header.", 'h'}, {"method.request.querystring.", 'q'}, {"stageVariables.", 's'}, {"context.", 'c'}} {
		if name, ok := strings.CutPrefix(s, p.prefix); ok && name != "" {
			if p.kind == 'h' {
				return headerSource(name), nil
			}
			return source{kind: p.kind, name: name}, nil
		}
	}
	return source{}, fmt.Errorf("%q is not method.request.header.X, method.request.querystring.X, stageVariables.X or context.X", s)
}

// value is a source's value in inv, "" when missing.
func (s source) value(inv *invoke.Invocation, vars map[string]string) string {
	switch s.kind {
	case 'h':
		v, _ := inv.Request.HeaderKeyValue(s.header)
		return v
	case 'q':
		v, _ := inv.Request.QueryValue(s.name)
		return v
	case 's':
		return vars[s.name]
	default:
		v, _ := inv.ContextVar(s.name)
		return v
	}
}

// Middleware is the stage: it admits a request the authorizer allows, with inv.Authorizer
// set, and answers 401, 403 or 500 otherwise.
func (z *Authorizer) Middleware() invoke.Middleware {
	return func(next invoke.Handler) invoke.Handler {
		return invoke.HandlerFunc(func(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
			res, err := z.Authorize(ctx, inv)
			if err != nil {
				return nil, err
			}
			inv.Authorizer = res
			return next.Invoke(ctx, inv)
		})
	}
}

// MethodARN is the request's execute-api ARN, the methodArn the function receives and the
// policy is evaluated on: arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}/{path}
// with the client's method and the request path below the stage.
func (z *Authorizer) MethodARN(inv *invoke.Invocation) string {
	p := inv.Request.Path
	if p == "" {
		p = "/"
	}
	return arn.ExecuteAPI(z.cfg.Region, z.cfg.AccountID, z.cfg.APIID, z.cfg.Stage, inv.HTTPMethod, p)
}

// Authorize runs the authorizer for inv: the result it admits the request with, or the
// *invoke.Error the client gets.
func (z *Authorizer) Authorize(ctx context.Context, inv *invoke.Invocation) (*invoke.AuthorizerResult, error) {
	if z.cfg.ConfigErr != nil {
		return nil, configError(z.cfg.ConfigErr)
	}
	var arr [4]string
	ids, ok := z.identity(inv, arr[:0])
	if !ok {
		return nil, unauthorized
	}
	if z.ttl > 0 && z.cfg.Cache != nil {
		// On the stack for the usual sizes.
		var in [512]byte
		id := identityBytes(in[:0], ids)
		m := z.lookup(id)
		// The request's time is the gateway's clock already: no second clock read.
		now := inv.RequestTime
		if now.IsZero() {
			now = z.cfg.Now()
		}
		if raw, hit, err := z.cfg.Cache.Get(ctx, m.key, now); err == nil && hit {
			if ans := z.parsedHit(id, m, raw); ans != nil {
				return ans.decideCached(z, inv)
			}
			// A cached value that no longer parses (another version wrote it) is a miss.
		}
		methodARN := z.MethodARN(inv)
		ans, raw, err := z.call(ctx, inv, methodARN, ids)
		if err != nil {
			return nil, err
		}
		// A cache that cannot store costs a call next time, nothing more.
		_ = z.cfg.Cache.Set(ctx, m.key, raw, now, now.Add(z.ttl))
		z.remember(id, &memo{key: m.key, raw: raw, ans: ans})
		return ans.decide(methodARN, &ans.fresh)
	}
	methodARN := z.MethodARN(inv)
	ans, _, err := z.call(ctx, inv, methodARN, ids)
	if err != nil {
		return nil, err
	}
	return ans.decide(methodARN, &ans.fresh)
}

// identity returns the identity source values, false when the request must be refused with
// 401 without calling: a TOKEN without its header or failing identityValidationExpression;
// a REQUEST missing any source while caching is on (without caching AWS calls the function
// with what there is: the sources are then optional).
func (z *Authorizer) identity(inv *invoke.Invocation, ids []string) ([]string, bool) {
	for _, s := range z.sources {
		v := s.value(inv, z.cfg.StageVariables)
		if v == "" && (z.token || z.ttl > 0) {
			return nil, false
		}
		ids = append(ids, v)
	}
	if z.valid != nil && !z.valid.MatchString(ids[0]) {
		return nil, false
	}
	return ids, true
}

// identityBytes appends the identity values to b as the cache key hashes them: each
// value's length (8 bytes, little-endian), then its bytes.
func identityBytes(b []byte, ids []string) []byte {
	for _, v := range ids {
		l := uint64(len(v))
		b = append(b, byte(l), byte(l>>8), byte(l>>16), byte(l>>24), byte(l>>32), byte(l>>40), byte(l>>48), byte(l>>56))
		b = append(b, v...)
	}
	return b
}

// lookup is identity id's memo, made (with its cache key and no answer) when unknown.
func (z *Authorizer) lookup(id []byte) *memo {
	z.known.mu.RLock()
	m := z.known.m[string(id)]
	z.known.mu.RUnlock()
	if m != nil {
		return m
	}
	m = &memo{key: z.cacheKey(id)}
	z.remember(id, m)
	return m
}

// remember makes m identity id's memo.
func (z *Authorizer) remember(id []byte, m *memo) {
	z.known.mu.Lock()
	if z.known.m == nil || len(z.known.m) >= maxKnown {
		z.known.m = make(map[string]*memo)
	}
	z.known.m[string(id)] = m
	z.known.mu.Unlock()
}

// parsedHit is the answer of the cached value raw of identity id: m's when m was parsed
// from the same bytes, else raw parsed (and remembered); nil when raw does not parse.
func (z *Authorizer) parsedHit(id []byte, m *memo, raw []byte) *answer {
	if m.ans != nil && bytes.Equal(m.raw, raw) {
		return m.ans
	}
	ans, err := parseAnswer(raw)
	if err != nil {
		return nil
	}
	z.remember(id, &memo{key: m.key, raw: raw, ans: ans})
	return ans
}

// cacheKey is "{apiId}/{stage}/{authorizerId}/{hash}": the hash of the identity's bytes
// (identityBytes; base64url SHA-256), so that no token is stored as a key.
func (z *Authorizer) cacheKey(id []byte) string {
	sum := sha256.Sum256(id)
	var out [256]byte
	kb := append(out[:0], z.prefix...)
	kb = base64.RawURLEncoding.AppendEncode(kb, sum[:])
	return string(kb)
}

// call invokes the function with the event for inv and reads its answer. The error is the
// client's: 401 for the function's "Unauthorized", 500 AUTHORIZER_CONFIGURATION_ERROR for
// any other failure.
func (z *Authorizer) call(ctx context.Context, inv *invoke.Invocation, methodARN string, ids []string) (*answer, []byte, error) {
	ans, out, _, err := z.callEvent(ctx, inv, methodARN, ids)
	return ans, out, err
}

// callEvent is call, also returning the event sent.
func (z *Authorizer) callEvent(ctx context.Context, inv *invoke.Invocation, methodARN string, ids []string) (ans *answer, out, event []byte, err error) {
	if z.cfg.Call == nil || (!z.token && z.cfg.RequestEvent == nil) {
		return nil, nil, nil, configError(errors.New("no Lambda invoker is configured"))
	}
	if z.token {
		event = AppendTokenEvent(nil, ids[0], methodARN)
	} else {
		event = z.cfg.RequestEvent(nil, inv, methodARN)
	}
	ctx, cancel := context.WithTimeout(ctx, z.cfg.Timeout)
	defer cancel()
	start := time.Now()
	out, fnErr, err := z.cfg.Call(ctx, event)
	latency := time.Since(start)
	if err != nil {
		return nil, nil, event, configError(fmt.Errorf("invoke the authorizer's function: %w", err))
	}
	if fnErr != "" {
		if ErrorMessage(out) == "Unauthorized" {
			return nil, nil, event, unauthorized
		}
		return nil, nil, event, configError(fmt.Errorf("the authorizer's function failed (%s): %s", fnErr, truncate(out, 512)))
	}
	ans, err = parseAnswer(out)
	if err != nil {
		return nil, nil, event, configError(fmt.Errorf("invalid authorizer answer: %w: %s", err, truncate(out, 512)))
	}
	ans.fresh = *ans.result
	ans.fresh.IntegrationLatency = latency.Milliseconds()
	return ans, out, event, nil
}

// configError is AWS's answer to an authorizer that could not be called or answered
// nothing usable: 500 AUTHORIZER_CONFIGURATION_ERROR with {"message": null}
// (AuthorizerConfigurationException; widely reported, AWS_REFERENCE section 4).
func configError(cause error) *invoke.Error {
	return invoke.AuthorizerConfigurationError.Because(cause)
}

// decide evaluates the answer's policy on methodARN: the result to admit the request with
// (fresh, when the function was just called, carries its latency; the shared cached result
// otherwise), or a 403.
func (a *answer) decide(methodARN string, fresh *invoke.AuthorizerResult) (*invoke.AuthorizerResult, error) {
	return a.verdict(a.policy.Evaluate(&iampolicy.Request{Action: "execute-api:Invoke", Resource: methodARN}), fresh)
}

func (a *answer) verdict(d iampolicy.Decision, fresh *invoke.AuthorizerResult) (*invoke.AuthorizerResult, error) {
	switch d {
	case iampolicy.Allow:
		if fresh != nil {
			return fresh, nil
		}
		return a.result, nil
	case iampolicy.ExplicitDeny:
		return nil, explicitDeny
	default:
		return nil, implicitDeny
	}
}

// decideCached is decide for a cached answer, whose verdicts it memoizes by method: a known
// method costs a map lookup, a new one an evaluation on its method ARN. The memo's key is
// the ARN's "{VERB}{path}" alone (built on the stack), as an answer belongs to one
// Authorizer, whose ARN prefix (region, account, API, stage) is fixed; a verb has no "/"
// and a path starts with one, so the two cannot run together ambiguously.
func (a *answer) decideCached(z *Authorizer, inv *invoke.Invocation) (*invoke.AuthorizerResult, error) {
	var buf [256]byte
	p := inv.Request.Path
	if p == "" {
		p = "/"
	}
	method := append(append(buf[:0], inv.HTTPMethod...), p...)
	a.mu.RLock()
	d, ok := a.verdicts[string(method)]
	a.mu.RUnlock()
	if ok {
		return a.verdict(d, nil)
	}
	d = a.policy.Evaluate(&iampolicy.Request{Action: "execute-api:Invoke", Resource: z.MethodARN(inv)})
	a.mu.Lock()
	if a.verdicts == nil || len(a.verdicts) >= maxVerdicts {
		a.verdicts = make(map[string]iampolicy.Decision)
	}
	a.verdicts[string(method)] = d
	a.mu.Unlock()
	return a.verdict(d, nil)
}

// maxVerdicts bounds an answer's memoized verdicts (one per method ARN: per path for
// methods with path parameters).
const maxVerdicts = 1024

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
