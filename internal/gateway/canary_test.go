package gateway

import (
	"context"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/lambdacall"
	"github.com/gatehouse/gatehouse/internal/store"
)

// variantAPI is an API whose GET /who answers name, with what shows the variant that answered:
// its deployment, $context.isCanaryRequest and the stage variables it sees.
func variantAPI(apiID, name string) *apigateway.RestAPIDocument {
	return buildAPI(apiID, map[string]*apigateway.Method{
		"GET /who": mockMethod(`{"answer":"` + name + `","deploymentId":"$context.deploymentId","canary":"$context.isCanaryRequest","v":"$stageVariables.v","w":"$stageVariables.w"}`),
	}, nil)
}

// putDeployment writes a deployment of doc.
func putDeployment(t testing.TB, s store.Store, doc *apigateway.RestAPIDocument, depID string) {
	t.Helper()
	op, err := store.PutJSON(testScope.DeploymentKey(doc.ID, depID), apigateway.DeploymentDocument{
		Deployment: apigateway.Deployment{ID: depID}, RestAPIID: doc.ID, Snapshot: doc}, store.AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Txn(context.Background(), op); err != nil {
		t.Fatal(err)
	}
}

// putStage writes a stage of apiID.
func putStage(t testing.TB, s store.Store, apiID string, st apigateway.Stage) {
	t.Helper()
	putStageDocument(t, s, apiID, apigateway.StageDocument{Stage: st})
}

// canaryEnv is a stage "prod" of API apiID on deployment "main" (answering "main") with a
// canary on deployment "canary" (answering "canary"), and a gateway whose canary draws are
// *draw.
type canaryEnv struct {
	s     store.Store
	srv   *Server
	apiID string
	draw  atomic.Uint64 // math.Float64bits of the next draws
}

func newCanaryEnv(t *testing.T, apiID string, cs *apigateway.CanarySettings) *canaryEnv {
	t.Helper()
	e := &canaryEnv{s: newStore(t), apiID: apiID}
	putDeployment(t, e.s, variantAPI(apiID, "main"), "main")
	putDeployment(t, e.s, variantAPI(apiID, "canary"), "canary")
	putStage(t, e.s, apiID, apigateway.Stage{StageName: "prod", DeploymentID: "main",
		Variables: map[string]string{"v": "stage", "w": "stage"}, CanarySettings: cs})
	random := func() float64 { return math.Float64frombits(e.draw.Load()) }
	e.srv = startServer(t, e.s, Config{Logger: testLogger(t), CanaryRandom: random})
	return e
}

// get answers GET /prod/who with the variant that the draw r picks.
func (e *canaryEnv) get(t *testing.T, r float64) map[string]any {
	t.Helper()
	e.draw.Store(math.Float64bits(r))
	return e.getBody(t)
}

func (e *canaryEnv) getBody(t *testing.T) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, httptest.NewRequest("GET", "/restapis/"+e.apiID+"/prod/_user_request_/who", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /prod/who = %d %s; want 200", rec.Code, rec.Body)
	}
	return decodeJSON(t, rec.Body.Bytes())
}

func TestCanaryVariants(t *testing.T) {
	t.Parallel()
	e := newCanaryEnv(t, "canaryapi", &apigateway.CanarySettings{PercentTraffic: 25, DeploymentID: "canary",
		StageVariableOverrides: map[string]string{"v": "override"}})
	if errs := e.srv.StageErrors(); len(errs) > 0 {
		t.Fatalf("StageErrors() = %v; want none", errs)
	}
	tests := []struct {
		draw float64
		want map[string]any
	}{
		// Below percentTraffic/100 the canary answers, with its deployment and the stage's
		// variables under its overrides.
		{0, map[string]any{"answer": "canary", "deploymentId": "canary", "canary": "true", "v": "override", "w": "stage"}},
		{0.2499, map[string]any{"answer": "canary", "deploymentId": "canary", "canary": "true", "v": "override", "w": "stage"}},
		{0.25, map[string]any{"answer": "main", "deploymentId": "main", "canary": "false", "v": "stage", "w": "stage"}},
		{0.9999, map[string]any{"answer": "main", "deploymentId": "main", "canary": "false", "v": "stage", "w": "stage"}},
	}
	for _, tt := range tests {
		got := e.get(t, tt.draw)
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("draw %v: GET /prod/who %s = %v; want %v (body %v)", tt.draw, k, got[k], v, got)
			}
		}
	}
}

// TestCanaryShareBounds: 0% never reaches the canary, 100% always does, whatever the draw.
func TestCanaryShareBounds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pct  float64
		want string
	}{{0, "main"}, {100, "canary"}} {
		e := newCanaryEnv(t, "bounds"+string(rune('a'+int(tt.pct)%26)), &apigateway.CanarySettings{PercentTraffic: tt.pct, DeploymentID: "canary"})
		for _, r := range []float64{0, 0.5, math.Nextafter(1, 0)} {
			if got := e.get(t, r)["answer"]; got != tt.want {
				t.Errorf("percentTraffic %v, draw %v: answer = %v; want %s", tt.pct, r, got, tt.want)
			}
		}
	}
}

// TestCanarySplit sends 10,000 requests at percentTraffic 10 with the real random source:
// the canary's count is binomial (n 10,000, p 0.1: mean 1,000, sigma 30), and must land
// within 4.5 sigma of the mean. A fair split fails that about once in 150,000 runs; a
// proportion off by 2 points (800 or 1,200) practically always does.
func TestCanarySplit(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	putDeployment(t, s, variantAPI("splitapi", "main"), "main")
	putDeployment(t, s, variantAPI("splitapi", "canary"), "canary")
	putStage(t, s, "splitapi", apigateway.Stage{StageName: "prod", DeploymentID: "main",
		CanarySettings: &apigateway.CanarySettings{PercentTraffic: 10, DeploymentID: "canary"}})
	srv := startServer(t, s, Config{Logger: testLogger(t)}) // CanaryRandom nil: math/rand/v2
	const n, p = 10000, 0.10
	canary := 0
	for range n {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/restapis/splitapi/prod/_user_request_/who", nil))
		b, _ := io.ReadAll(rec.Body)
		switch decodeJSON(t, b)["answer"] {
		case "canary":
			canary++
		case "main":
		default:
			t.Fatalf("GET /prod/who = %d %s; want main's or canary's answer", rec.Code, b)
		}
	}
	mean, sigma := n*p, math.Sqrt(n*p*(1-p))
	if d := math.Abs(float64(canary) - mean); d > 4.5*sigma {
		t.Errorf("canary answered %d of %d requests at 10%%; want %v ± %.0f (4.5 sigma)", canary, n, mean, 4.5*sigma)
	}
}

// TestCanaryFollowsStore: the stage recompiles when its canary's settings or deployment
// change, and promotion (the canary's deployment on the stage, the canary removed) leaves
// only the new deployment answering.
func TestCanaryFollowsStore(t *testing.T) {
	t.Parallel()
	e := newCanaryEnv(t, "followapi", nil)
	const always = 0 // a draw below every positive share
	if got := e.get(t, always)["answer"]; got != "main" {
		t.Fatalf("without a canary: answer = %v; want main", got)
	}
	served := func(want string) func() bool {
		return func() bool { return e.get(t, always)["answer"] == want }
	}
	// A canary appears.
	putStage(t, e.s, e.apiID, apigateway.Stage{StageName: "prod", DeploymentID: "main",
		CanarySettings: &apigateway.CanarySettings{PercentTraffic: 50, DeploymentID: "canary"}})
	waitFor(t, served("canary"))
	// The canary's deployment document changes (it is rewritten, as a stage write that
	// starts pointing at it does): the canary recompiles from it.
	putDeployment(t, e.s, variantAPI(e.apiID, "canary-v2"), "canary")
	waitFor(t, served("canary-v2"))
	// Its share drops to 0: the main variant answers every draw.
	putStage(t, e.s, e.apiID, apigateway.Stage{StageName: "prod", DeploymentID: "main",
		CanarySettings: &apigateway.CanarySettings{PercentTraffic: 0, DeploymentID: "canary"}})
	waitFor(t, served("main"))
	// Promotion: the stage on the canary's deployment, no canary.
	putStage(t, e.s, e.apiID, apigateway.Stage{StageName: "prod", DeploymentID: "canary"})
	waitFor(t, served("canary-v2"))
	for _, r := range []float64{0, 0.5, 0.99} {
		if got := e.get(t, r); got["answer"] != "canary-v2" || got["canary"] != "false" || got["deploymentId"] != "canary" {
			t.Errorf("after promotion, draw %v: %v; want canary-v2's answer, not a canary request, on deployment canary", r, got)
		}
	}
}

// TestCanaryDeploymentMissing: a canary on a deployment that does not exist fails the stage,
// whose previous form keeps serving, with the error reported.
func TestCanaryDeploymentMissing(t *testing.T) {
	t.Parallel()
	e := newCanaryEnv(t, "missingapi", nil)
	putStage(t, e.s, e.apiID, apigateway.Stage{StageName: "prod", DeploymentID: "main",
		CanarySettings: &apigateway.CanarySettings{PercentTraffic: 100, DeploymentID: "nope"}})
	waitFor(t, func() bool { return e.srv.StageErrors()[e.apiID+"/prod"] != nil })
	if got := e.get(t, 0)["answer"]; got != "main" {
		t.Errorf("answer = %v; want main (the previous form)", got)
	}
}

// TestCanaryAuthorizerCache: the canary's Lambda authorizer answers are cached apart from the
// main variant's (they may come from another function, or depend on other stage
// variables), and FlushStageAuthorizersCache drops both.
func TestCanaryAuthorizerCache(t *testing.T) {
	t.Parallel()
	fn := newRuntimeInvoker(t)
	s := newStore(t)
	doc := buildAPI("azcanary", map[string]*apigateway.Method{"GET /pets": customMethod("tok")}, nil)
	doc.Authorizers = map[string]*apigateway.Authorizer{
		"tok": {ID: "tok", Type: apigateway.AuthorizerToken, AuthorizerURI: authorizerURI, IdentitySource: "method.request.header.Authorization"},
	}
	putDeployment(t, s, doc, "d1")
	putDeployment(t, s, doc, "d2")
	putStage(t, s, "azcanary", apigateway.Stage{StageName: "prod", DeploymentID: "d1",
		CanarySettings: &apigateway.CanarySettings{PercentTraffic: 50, DeploymentID: "d2"}})
	var draw atomic.Uint64
	srv := startServer(t, s, Config{Lambda: fn, Logger: testLogger(t), Now: newTestClock().Now,
		CanaryRandom: func() float64 { return math.Float64frombits(draw.Load()) }})
	get := func(r float64) {
		t.Helper()
		draw.Store(math.Float64bits(r))
		req := httptest.NewRequest("GET", "/restapis/azcanary/prod/_user_request_/pets", nil)
		req.Header.Set("Authorization", "allow-cached")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /pets (draw %v) = %d %s; want 200", r, rec.Code, rec.Body)
		}
	}
	calls := func(want int, when string) {
		t.Helper()
		if n := fn.count(t, "allow-cached"); n != want {
			t.Errorf("%s: function called %d times; want %d", when, n, want)
		}
	}
	get(0.9) // main
	get(0.9)
	calls(1, "two main requests")
	get(0.1) // canary: not the main variant's entry
	get(0.1)
	calls(2, "then two canary requests")
	if err := srv.FlushStageAuthorizersCache(context.Background(), "azcanary", "prod"); err != nil {
		t.Fatal(err)
	}
	get(0.1)
	get(0.9)
	calls(4, "a canary and a main request after FlushStageAuthorizersCache")
}

func TestStageVariants(t *testing.T) {
	t.Parallel()
	sd := &apigateway.StageDocument{Stage: apigateway.Stage{StageName: "prod", DeploymentID: "d1",
		Variables: map[string]string{"a": "1", "b": "2"},
		CanarySettings: &apigateway.CanarySettings{PercentTraffic: 12.5, DeploymentID: "d2",
			StageVariableOverrides: map[string]string{"b": "x", "c": "y"}, UseStageCache: false}}, RestAPIID: "api"}
	main, canary := stageVariants(sd)
	if main.sd != sd || main.canary || !main.useStageCache {
		t.Errorf("main variant = %+v; want the stage itself, using the stage cache", main)
	}
	if canary == nil {
		t.Fatal("canary variant = nil")
	}
	if canary.sd.DeploymentID != "d2" || !canary.canary || canary.useStageCache || canary.sd.CanarySettings != nil {
		t.Errorf("canary variant = %+v %+v; want deployment d2, canary, no stage cache", canary, canary.sd.Stage)
	}
	if got, want := canary.sd.Variables, map[string]string{"a": "1", "b": "x", "c": "y"}; !maps.Equal(got, want) {
		t.Errorf("canary variables = %v; want %v", got, want)
	}
	if sd.Variables["b"] != "2" || len(sd.Variables) != 2 {
		t.Errorf("stage variables changed to %v", sd.Variables)
	}
	if got := canaryShare(sd.CanarySettings); got != 0.125 {
		t.Errorf("canaryShare(12.5) = %v; want 0.125", got)
	}
	sd.CanarySettings = nil
	if _, c := stageVariants(sd); c != nil {
		t.Errorf("stageVariants(no canary) canary = %+v; want nil", c)
	}
	// A canary without overrides shares the stage's variables.
	sd.CanarySettings = &apigateway.CanarySettings{DeploymentID: "d2"}
	if _, c := stageVariants(sd); !maps.Equal(c.sd.Variables, sd.Variables) {
		t.Errorf("canary without overrides variables = %v; want the stage's %v", c.sd.Variables, sd.Variables)
	}
}

// recordingInvoker answers every Lambda call with an Allow policy, recording the functions
// called.
type recordingInvoker struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordingInvoker) Invoke(_ context.Context, in lambdacall.Invocation) (lambdacall.Result, error) {
	r.mu.Lock()
	r.calls = append(r.calls, in.FunctionARN)
	r.mu.Unlock()
	return lambdacall.Result{Payload: []byte(`{"principalId":"u","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}}`)}, nil
}

func (r *recordingInvoker) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (r *recordingInvoker) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		return ""
	}
	return r.calls[len(r.calls)-1]
}

// TestCanaryAuthorizerFunction: an authorizer URI naming its function by a stage variable
// calls the canary's function on canary requests (AWS: stage variables name "a Lambda
// function name or alias" in authorizer URIs too), and a REQUEST authorizer's
// stageVariables.X identity source reads the canary's value.
func TestCanaryAuthorizerFunction(t *testing.T) {
	t.Parallel()
	const fnPrefix = "arn:aws:lambda:us-east-1:123456789012:function:"
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fnPrefix + "${stageVariables.authFn}/invocations"
	fn := &recordingInvoker{}
	s := newStore(t)
	doc := buildAPI("azvars", map[string]*apigateway.Method{"GET /pets": customMethod("req")}, nil)
	doc.Authorizers = map[string]*apigateway.Authorizer{
		"req": {ID: "req", Type: apigateway.AuthorizerRequest, AuthorizerURI: uri,
			IdentitySource: "method.request.header.Authorization, stageVariables.tier"},
	}
	putDeployment(t, s, doc, "d1")
	putStage(t, s, "azvars", apigateway.Stage{StageName: "prod", DeploymentID: "d1",
		Variables: map[string]string{"authFn": "auth-main", "tier": "gold"},
		CanarySettings: &apigateway.CanarySettings{PercentTraffic: 50, DeploymentID: "d1",
			StageVariableOverrides: map[string]string{"authFn": "auth-canary", "tier": ""}}})
	var draw atomic.Uint64
	srv := startServer(t, s, Config{Lambda: fn, Logger: testLogger(t),
		CanaryRandom: func() float64 { return math.Float64frombits(draw.Load()) }})
	get := func(r float64) int {
		t.Helper()
		draw.Store(math.Float64bits(r))
		req := httptest.NewRequest("GET", "/restapis/azvars/prod/_user_request_/pets", nil)
		req.Header.Set("Authorization", "tok")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := get(0.9); code != http.StatusOK || fn.last() != fnPrefix+"auth-main" {
		t.Errorf("main request = %d calling %q; want 200 calling %sauth-main", code, fn.last(), fnPrefix)
	}
	// The canary's override empties tier, an identity source of a caching authorizer: 401
	// without a call.
	before := fn.count()
	if code := get(0.1); code != http.StatusUnauthorized || fn.count() != before {
		t.Errorf("canary request with an empty identity source = %d after %d calls; want 401 and no call", code, fn.count()-before)
	}
	putStage(t, s, "azvars", apigateway.Stage{StageName: "prod", DeploymentID: "d1",
		Variables: map[string]string{"authFn": "auth-main", "tier": "gold"},
		CanarySettings: &apigateway.CanarySettings{PercentTraffic: 50, DeploymentID: "d1",
			StageVariableOverrides: map[string]string{"authFn": "auth-canary"}}})
	waitFor(t, func() bool { return get(0.1) == http.StatusOK })
	if got := fn.last(); got != fnPrefix+"auth-canary" {
		t.Errorf("canary request called %q; want %sauth-canary", got, fnPrefix)
	}
}
