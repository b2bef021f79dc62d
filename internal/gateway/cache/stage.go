package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// The values of a method setting's unauthorizedCacheControlHeaderStrategy.
const (
	FailWith403                  = "FAIL_WITH_403"
	SucceedWithResponseHeader    = "SUCCEED_WITH_RESPONSE_HEADER"
	SucceedWithoutResponseHeader = "SUCCEED_WITHOUT_RESPONSE_HEADER"
)

// WarningHeader is the header SUCCEED_WITH_RESPONSE_HEADER adds to the answer of a request
// whose Cache-Control: max-age=0 was ignored (the console calls the strategy "Ignore cache
// control header; Add a warning in response header"; AWS's exact value is not recorded).
const (
	WarningHeader = "Warning"
	warningValue  = `199 - "Cache-Control header ignored: the caller may not invalidate the cache (execute-api:InvalidateCache)"`
)

// Stage is the response cache of one compiled stage (its cacheClusterEnabled is true): the
// store, the stage's name and capacity, and what its methods share. Build it with NewStage.
type Stage struct {
	store    Store
	name     string
	capacity int64
	now      func() time.Time
	sealer   *sealer // nil without a data key
	stats    *Stats
	log      *slog.Logger
	mayInval func(*invoke.Invocation) bool
	flights  flights
}

// StageConfig configures a Stage.
type StageConfig struct {
	Store Store
	// Name is the stage's name in the store: "{apiId}/{stage}".
	Name string
	// Capacity is the stage's cacheClusterSize in bytes (ClusterCapacity).
	Capacity int64
	// Now is the gateway's clock, which entries expire by.
	Now func() time.Time
	// DataKey is the stage's KeySize-byte key for methods with cacheDataEncrypted; nil when
	// the stage has none (such methods are then not cached).
	DataKey []byte
	// Stats receives the hits and misses of the stage's methods.
	Stats *Stats
	Log   *slog.Logger
	// MayInvalidate reports whether the request's caller is allowed
	// execute-api:InvalidateCache on its method ARN, for methods whose
	// requireAuthorizationForCacheControl is set.
	MayInvalidate func(*invoke.Invocation) bool
}

// NewStage returns the cache of a stage.
func NewStage(cfg StageConfig) (*Stage, error) {
	s := &Stage{store: cfg.Store, name: cfg.Name, capacity: cfg.Capacity, now: cfg.Now, stats: cfg.Stats, log: cfg.Log, mayInval: cfg.MayInvalidate}
	if cfg.DataKey != nil {
		sl, err := newSealer(cfg.DataKey)
		if err != nil {
			return nil, fmt.Errorf("stage cache %s: %w", cfg.Name, err)
		}
		s.sealer = sl
	}
	if s.stats == nil {
		s.stats = &Stats{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.mayInval == nil {
		s.mayInval = func(*invoke.Invocation) bool { return false }
	}
	return s, nil
}

// Method is one method's cache settings on its stage: its methodSettings entry and its
// integration's cache keys.
type Method struct {
	// ResourcePath and HTTPMethod name the method ("/pets/{id}", "GET", "ANY") in Stats.
	ResourcePath, HTTPMethod string
	// GETOnly caches only GET requests: a stage's wildcard setting ("*/*", "pets/*")
	// caches GET methods only; an entry that names the method's verb caches that verb.
	GETOnly bool
	// TTL is cacheTtlInSeconds; zero caches nothing.
	TTL time.Duration
	// Encrypted is cacheDataEncrypted: entries are sealed with the stage's data key.
	Encrypted bool
	// RequireAuthorization is requireAuthorizationForCacheControl; Strategy its
	// unauthorizedCacheControlHeaderStrategy ("" is SUCCEED_WITH_RESPONSE_HEADER).
	RequireAuthorization bool
	Strategy             string
	// Namespace is the integration's cacheNamespace (the resource id when empty): methods
	// that share one share entries.
	Namespace string
	// KeyParameters are the integration's cacheKeyParameters; RequestParameters its
	// requestParameters, which integration.request.* keys resolve through.
	KeyParameters     []string
	RequestParameters map[string]string
}

// Middleware returns the method's cache stage: nil when the method is not cached (a zero
// TTL, encryption asked without a data key, cache key parameters that name nothing the
// request has). An unknown unauthorizedCacheControlHeaderStrategy is an error.
func (s *Stage) Middleware(m Method) (invoke.Middleware, error) {
	if m.TTL <= 0 {
		return nil, nil
	}
	if m.Encrypted && s.sealer == nil {
		s.log.Warn("cacheDataEncrypted without a data key: method not cached", "stage", s.name, "resource", m.ResourcePath, "method", m.HTTPMethod)
		return nil, nil
	}
	switch m.Strategy {
	case "":
		m.Strategy = SucceedWithResponseHeader
	case FailWith403, SucceedWithResponseHeader, SucceedWithoutResponseHeader:
	default:
		return nil, fmt.Errorf("unauthorizedCacheControlHeaderStrategy %q is not one of %s, %s, %s", m.Strategy, FailWith403, SucceedWithResponseHeader, SucceedWithoutResponseHeader)
	}
	sources, err := parseKeyParameters(m.KeyParameters, m.RequestParameters)
	if err != nil {
		// AWS refuses such keys when they are put; a key that cannot be computed must not
		// merge the entries it should tell apart, so the method is served uncached.
		s.log.Warn("cache key parameters unusable: method not cached", "resource", m.ResourcePath, "method", m.HTTPMethod, "err", err)
		return nil, nil
	}
	h := &handler{stage: s, m: m, sources: sources, readsQuery: readsQuery(sources), counter: s.stats.Counter(s.name, m.ResourcePath, m.HTTPMethod)}
	if m.Encrypted {
		h.sealer = s.sealer
	}
	return func(next invoke.Handler) invoke.Handler {
		hh := *h
		hh.next = next
		return &hh
	}, nil
}

type handler struct {
	stage   *Stage
	m       Method
	sources []keySource
	// readsQuery: the key reads the query string, so a request whose query does not parse
	// whole is not cached.
	readsQuery bool
	sealer     *sealer
	counter    *Counter
	next       invoke.Handler
}

// Invoke answers from the cache, or from the integration, filling the cache.
func (h *handler) Invoke(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
	verb := inv.HTTPMethod
	if verb == http.MethodHead || (h.m.GETOnly && verb != http.MethodGet) {
		// HEAD is never cached (its answer has no body to serve a GET with).
		return h.next.Invoke(ctx, inv)
	}
	if h.readsQuery && !inv.Request.QueryWellFormed() {
		// The key would miss a pair the backend may read (id=a&x=1;id=b keys as id=a):
		// such a request neither reads nor fills the cache, so it cannot poison an entry.
		return h.next.Invoke(ctx, inv)
	}
	key := string(appendKey(make([]byte, 0, 64), h.m.Namespace, h.sources, inv))
	warn := false
	if maxAgeZero(inv.Request.HeaderValues("Cache-Control")) {
		switch {
		case !h.m.RequireAuthorization || h.stage.mayInval(inv):
			return h.refill(ctx, inv, key)
		case h.m.Strategy == FailWith403:
			return nil, invoke.InvalidationDenied.Because(nil)
		case h.m.Strategy == SucceedWithResponseHeader:
			warn = true
		}
		// Otherwise the header is ignored: served as any request.
	}
	resp, err := h.lookup(ctx, inv, key)
	if warn && resp != nil {
		// A copy: the answer's headers may be an entry's that other requests share.
		hdr := resp.Header.Clone()
		if hdr == nil {
			hdr = http.Header{}
		}
		hdr.Set(WarningHeader, warningValue)
		resp.Header = hdr
	}
	return resp, err
}

// lookup serves key from the store, or fetches it once for every request that misses it
// meanwhile.
func (h *handler) lookup(ctx context.Context, inv *invoke.Invocation, key string) (*invoke.Response, error) {
	if e := h.get(ctx, key); e != nil {
		h.counter.hits.Add(1)
		return e.response(inv), nil
	}
	for {
		f, lead := h.stage.flights.join(key)
		if lead {
			// Another request may have filled it between our Get and the join.
			if e := h.get(ctx, key); e != nil {
				h.stage.flights.land(key, f, e, nil, false)
				h.counter.hits.Add(1)
				return e.shared().response(inv), nil // e is the waiters' now
			}
			return h.lead(ctx, inv, key, f)
		}
		f.waiting.Add(1)
		if err := f.wait(ctx); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, invoke.Timeout.Because(err)
			}
			return nil, err
		}
		switch {
		case f.res != nil:
			h.counter.hits.Add(1)
			return f.res.shared().response(inv), nil
		case f.leaderGone:
			continue // its client left: fetch for ours
		case f.err != nil:
			return nil, f.err
		}
		// The answer could not be shared (too large to cache): fetch our own.
		_, resp, err := h.fetch(ctx, inv, key)
		return resp, err
	}
}

// lead fetches key for the flight f it leads, which lands however the fetch ends: a panic
// (which the edge answers with a 500) lands it as a leader gone, so its waiters fetch for
// themselves instead of waiting for a flight that never lands.
func (h *handler) lead(ctx context.Context, inv *invoke.Invocation, key string, f *flight) (*invoke.Response, error) {
	landed := false
	defer func() {
		if !landed {
			h.stage.flights.land(key, f, nil, nil, true)
		}
	}()
	e, resp, err := h.fetch(ctx, inv, key)
	h.stage.flights.land(key, f, e, err, ctx.Err() != nil)
	landed = true
	return resp, err
}

// refill is an authorized Cache-Control: max-age=0: the integration answers and its answer
// replaces the entry. An answer that is not stored (a gateway response, a body over
// MaxEntryBody) drops the entry instead: the caller said it is stale, so it must not be
// served after the fresh answer.
func (h *handler) refill(ctx context.Context, inv *invoke.Invocation, key string) (*invoke.Response, error) {
	e, resp, err := h.fetch(ctx, inv, key)
	if e == nil {
		now := h.stage.now()
		if derr := h.stage.store.Set(ctx, h.stage.name, key, nil, h.stage.capacity, now, now); derr != nil {
			h.stage.log.Warn("response cache drop failed", "stage", h.stage.name, "err", derr)
		}
	}
	return resp, err
}

// get returns the stored entry under key, nil on a miss. An entry that does not decode
// or open is a miss; a store that fails is one too (logged): the integration answers.
func (h *handler) get(ctx context.Context, key string) *cached {
	v, ok, err := h.stage.store.Get(ctx, h.stage.name, key, h.stage.now())
	if err != nil {
		h.stage.log.Warn("response cache get failed; serving from the integration", "stage", h.stage.name, "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	e, err := unmarshal(v, key, h.sealer)
	if err != nil {
		h.stage.log.Warn("response cache entry does not decode; serving from the integration", "stage", h.stage.name, "err", err)
		return nil
	}
	return e
}

// fetch calls the integration and stores its answer under key when it can be cached. It
// returns the stored entry (nil when not stored) and the answer for this request.
func (h *handler) fetch(ctx context.Context, inv *invoke.Invocation, key string) (*cached, *invoke.Response, error) {
	h.counter.misses.Add(1)
	resp, err := h.next.Invoke(ctx, inv)
	if err != nil || resp == nil {
		// A gateway response (the integration failed, timed out, ...) is not cached.
		return nil, resp, err
	}
	if !buffer(resp) {
		return nil, resp, nil
	}
	e := &cached{status: resp.StatusCode, header: resp.Header.Clone(), body: bytes.Clone(resp.Body), answerTrace: inv.AnswerTrace}
	now := h.stage.now()
	if err := h.stage.store.Set(ctx, h.stage.name, key, marshal(e, key, h.sealer), h.stage.capacity, now, now.Add(h.m.TTL)); err != nil {
		h.stage.log.Warn("response cache set failed", "stage", h.stage.name, "err", err)
	}
	return e, resp, nil
}

// buffer makes resp's payload its Body when it is at most MaxEntryBody bytes, reporting
// whether it is; a larger stream is left to stream (what was read ahead served first).
func buffer(resp *invoke.Response) bool {
	if resp.Stream == nil {
		return len(resp.Body) <= MaxEntryBody
	}
	if resp.ContentLength > MaxEntryBody {
		return false
	}
	var bb bytes.Buffer
	bb.Grow(int(min(max(resp.ContentLength, 512), MaxEntryBody+1)))
	_, err := bb.ReadFrom(io.LimitReader(resp.Stream, MaxEntryBody+1))
	buf := bb.Bytes()
	if err == nil && len(buf) <= MaxEntryBody {
		_ = resp.Stream.Close()
		resp.Body, resp.Stream, resp.ContentLength = buf, nil, 0
		return true
	}
	// Too large, or the stream failed: the client gets what was read, then the rest (or
	// the failure), as it would have without the cache.
	rest := resp.Stream
	if err != nil {
		rest = &prefixed{r: failed{err}, c: resp.Stream}
	}
	resp.Stream = &prefixed{r: io.MultiReader(bytes.NewReader(buf), rest), c: resp.Stream}
	return false
}

// failed is a reader that fails with err.
type failed struct{ err error }

func (f failed) Read([]byte) (int, error) { return 0, f.err }

// prefixed is a stream whose first bytes were read ahead.
type prefixed struct {
	r io.Reader
	c io.Closer
}

func (p *prefixed) Read(b []byte) (int, error) { return p.r.Read(b) }
func (p *prefixed) Close() error               { return p.c.Close() }

// response is the answer e stands for, for inv.
func (e *cached) response(inv *invoke.Invocation) *invoke.Response {
	if e.answerTrace {
		inv.AnswerTrace = true
	}
	return &invoke.Response{StatusCode: e.status, Header: e.header, Body: e.body}
}

// shared is a copy of an entry shared between the waiters of a flight, whose headers each
// answer may change.
func (e *cached) shared() *cached {
	c := *e
	c.header = e.header.Clone()
	return &c
}

// maxAgeZero reports whether a request's Cache-Control asks for a fresh answer: a max-age=0
// directive (any case, optionally quoted, among other directives).
func maxAgeZero(values []string) bool {
	for _, v := range values {
		for d := range strings.SplitSeq(v, ",") {
			name, arg, ok := strings.Cut(strings.TrimSpace(d), "=")
			if ok && strings.EqualFold(strings.TrimSpace(name), "max-age") && strings.Trim(strings.TrimSpace(arg), `"`) == "0" {
				return true
			}
		}
	}
	return false
}
