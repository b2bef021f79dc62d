package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/authorizer"
	"github.com/gatehouse/gatehouse/internal/gateway/integration"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/lambdacall"
)

// AuthorizerCache keeps Lambda authorizer results between requests. Keys start with the
// API id and stage name ("{apiId}/{stage}/..."), so that a stage's entries flush together.
// Times are the gateway's clock (Config.Now), so expiry follows an injected clock.
type AuthorizerCache interface {
	// Get returns the value stored under key unless it expired by now.
	Get(ctx context.Context, key string, now time.Time) (value []byte, ok bool, err error)
	// Set stores value under key until expires.
	Set(ctx context.Context, key string, value []byte, now, expires time.Time) error
	// FlushStage drops every entry of the stage (FlushStageAuthorizersCache).
	FlushStage(ctx context.Context, apiID, stage string) error
}

var (
	_ AuthorizerCache  = (*authorizer.MemoryCache)(nil)
	_ authorizer.Cache = AuthorizerCache(nil)
)

// lambdaAuthorizer compiles a CUSTOM method's stage: its TOKEN or REQUEST authorizer
// (authorizer/). An authorizer the method names but the deployment lacks, or one that is
// not a Lambda authorizer, fails every request closed with 500, logged.
func (s *Server) lambdaAuthorizer(ref methodRef) (invoke.Middleware, error) {
	a := ref.snap.Authorizers[ref.m.AuthorizerID]
	z, err := s.compileAuthorizer(ref.sd.RestAPIID, ref.sd.StageName, ref.canary, a, ref.sd.Variables)
	if err != nil {
		s.log.Warn("method answers 500 on this stage: its authorizer does not compile", "apiId", ref.sd.RestAPIID,
			"stage", ref.sd.StageName, "resource", ref.resourcePath, "method", ref.verb, "err", err)
		return denyAll(invoke.AuthorizerConfigurationError.Because(err)), nil
	}
	return z.Middleware(), nil
}

// compileAuthorizer compiles a (TOKEN or REQUEST) for one stage, or for its canary, whose
// cache entries are kept under canaryCacheStage.
func (s *Server) compileAuthorizer(apiID, stage string, canary bool, a *apigateway.Authorizer, vars map[string]string) (*authorizer.Authorizer, error) {
	if a == nil {
		return nil, errors.New("the method's authorizerId names no authorizer of the deployment")
	}
	cfg := authorizer.Config{
		Authorizer: a, Region: s.scope.Region, AccountID: s.scope.AccountID, APIID: apiID, Stage: stage,
		StageVariables: vars, Cache: s.authCache, Now: s.now,
		RequestEvent: integration.AppendAuthorizerRequestEvent,
	}
	if canary {
		cfg.CacheStage = canaryCacheStage(stage)
	}
	fn, err := integration.AuthorizerFunction(a.AuthorizerURI, vars)
	switch {
	case err != nil:
		// A stage may lack the variable another stage names the function with: the stage
		// serves, and the authorizer's methods answer 500.
		cfg.ConfigErr = fmt.Errorf("authorizer %s: %w", a.ID, err)
	case s.lambda != nil:
		// The source a Lambda permission names for an authorizer (AWS's console and CLI
		// guide: arn:aws:execute-api:{region}:{account}:{api}/authorizers/{id}).
		source := "arn:aws:execute-api:" + s.scope.Region + ":" + s.scope.AccountID + ":" + apiID + "/authorizers/" + a.ID
		inv := s.lambda
		cfg.Call = func(ctx context.Context, payload []byte) ([]byte, string, error) {
			res, err := inv.Invoke(ctx, lambdacall.Invocation{FunctionARN: fn, SourceARN: source, Payload: payload})
			return res.Payload, res.FunctionError, err
		}
	}
	return authorizer.New(cfg)
}

// FlushStageAuthorizersCache drops the cached results of every authorizer of the stage
// (AWS's FlushStageAuthorizersCache): the next request of each identity calls its function.
func (s *Server) FlushStageAuthorizersCache(ctx context.Context, apiID, stage string) error {
	return s.authCache.FlushStage(ctx, apiID, stage)
}

// testInvokeStage is the stage name of TestInvokeAuthorizer's method ARN: AWS's test
// invocations run outside any stage.
const testInvokeStage = "test-invoke-stage"

// TestInvokeAuthorizer runs authorizer a of API apiID once on the request in (AWS's
// TestInvokeAuthorizer), without the cache: the function's answer, its status as a client
// would see it (200, 401 or 500), the latency and a log of what happened.
func (s *Server) TestInvokeAuthorizer(ctx context.Context, apiID string, a *apigateway.Authorizer, stageVariables map[string]string, in *apigateway.TestInvokeAuthorizerRequest) (*apigateway.TestInvokeAuthorizerResponse, error) {
	if in == nil {
		in = &apigateway.TestInvokeAuthorizerRequest{}
	}
	vars := stageVariables
	if len(in.StageVariables) > 0 {
		vars = in.StageVariables
	}
	if a != nil && a.Type == apigateway.AuthorizerCognitoUserPools { // authorizer_cognito.go
		return s.testInvokeCognito(ctx, a, testInvocation(apiID, s.scope.AccountID, vars, in, s.now()))
	}
	z, err := s.compileAuthorizer(apiID, testInvokeStage, false, a, vars)
	if err != nil {
		return nil, err
	}
	inv := testInvocation(apiID, s.scope.AccountID, vars, in, s.now())
	tr := z.Test(ctx, inv)
	out := &apigateway.TestInvokeAuthorizerResponse{ClientStatus: tr.Status, Latency: tr.Latency.Milliseconds()}
	var log strings.Builder
	fmt.Fprintf(&log, "Execution log for request %s\n", inv.RequestID)
	fmt.Fprintf(&log, "%s : Starting authorizer: %s for request: %s\n", inv.RequestTime.UTC().Format(time.UnixDate), a.ID, inv.RequestID)
	if tr.Event != nil {
		fmt.Fprintf(&log, "%s : Endpoint request body after transformations: %s\n", inv.RequestTime.UTC().Format(time.UnixDate), tr.Event)
	}
	if tr.Status == http.StatusOK {
		out.PrincipalID = tr.Result.PrincipalID
		out.Policy = tr.Policy
		fmt.Fprintf(&log, "%s : Authorizer result body before parsing: principalId %q, policy %s\n", inv.RequestTime.UTC().Format(time.UnixDate), out.PrincipalID, out.Policy)
		if len(tr.Result.Context) > 0 {
			// AWS's authorization member is the result's context, each value as a list.
			out.Authorization = make(map[string][]string, len(tr.Result.Context))
			for _, c := range tr.Result.Context {
				v, _ := c.Text()
				out.Authorization[c.Key] = []string{v}
			}
		}
	} else {
		fmt.Fprintf(&log, "%s : Execution failed: %v\n", inv.RequestTime.UTC().Format(time.UnixDate), tr.Err)
	}
	fmt.Fprintf(&log, "%s : Authorizer completed with status: %d\n", inv.RequestTime.UTC().Format(time.UnixDate), tr.Status)
	out.Log = log.String()
	return out, nil
}

// testInvocation is the Invocation a TestInvokeAuthorizer request stands for.
func testInvocation(apiID, account string, vars map[string]string, in *apigateway.TestInvokeAuthorizerRequest, now time.Time) *invoke.Invocation {
	path, query, _ := strings.Cut(in.PathWithQueryString, "?")
	if path == "" {
		path = "/"
	}
	h := http.Header{}
	for k, vs := range in.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range in.Headers {
		h.Set(k, v)
	}
	decoded, err := url.PathUnescape(path)
	if err != nil {
		decoded = path
	}
	id := newTestRequestID(now)
	inv := &invoke.Invocation{
		RequestID: id, ExtendedRequestID: id, RequestTime: now,
		AccountID: account, APIID: apiID, Stage: testInvokeStage, DeploymentID: "test-invoke-deployment-id",
		ResourcePath: path, HTTPMethod: http.MethodGet, ContextPath: "/" + testInvokeStage + path,
		StageVariables: vars, SourceIP: "test-invoke-source-ip", Protocol: "HTTP/1.1",
		Request: invoke.Request{Method: http.MethodGet, Path: decoded, RawPath: path, RawQuery: query, Host: h.Get("Host"), Header: h, ContentLength: int64(len(in.Body))},
	}
	if in.Body != "" {
		inv.Request.Body = []byte(in.Body)
	}
	return inv
}

// newTestRequestID is a request id for a test invocation: unique enough for a log line.
func newTestRequestID(now time.Time) string {
	return "test-invoke-" + strconv.FormatInt(now.UnixNano(), 36)
}
