package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/lambda"
	"github.com/gatehouse/gatehouse/internal/lambdacall"
)

// The authorizer tests run testdata/authorizerfn, built with aws-lambda-go, as a local
// custom-runtime function of the real Lambda runtime.
const (
	authorizerARN = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
	authorizerURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + authorizerARN + "/invocations"
	echoProxyARN  = "arn:aws:lambda:us-east-1:123456789012:function:echo"
)

var (
	authorizerBuild     sync.Once
	authorizerCodeDir   string
	authorizerBuildErr  error
	authorizerBuildLogs []byte
)

// authorizerCode builds testdata/authorizerfn once per test binary.
func authorizerCode(t testing.TB) string {
	t.Helper()
	authorizerBuild.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-authorizerfn-")
		if err != nil {
			authorizerBuildErr = err
			return
		}
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-tags", "lambda.norpc", "-ldflags=-s -w",
			"-o", filepath.Join(dir, "bootstrap"), "./testdata/authorizerfn")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		authorizerBuildLogs, authorizerBuildErr = cmd.CombinedOutput()
		authorizerCodeDir = dir
	})
	if authorizerBuildErr != nil {
		t.Fatalf("build testdata/authorizerfn: %v\n%s", authorizerBuildErr, authorizerBuildLogs)
	}
	return authorizerCodeDir
}

// runtimeInvoker runs the authorizer function on a real Lambda runtime, and answers for
// echoProxyARN with an empty 200 Lambda proxy response, keeping the event.
type runtimeInvoker struct {
	rt    *lambda.Runtime
	spec  *lambda.Spec
	calls string // the file the function appends a line to per call

	mu        sync.Mutex
	lastProxy []byte // the last event sent to echoProxyARN
}

func (r *runtimeInvoker) Invoke(ctx context.Context, in lambdacall.Invocation) (lambdacall.Result, error) {
	if in.FunctionARN == echoProxyARN {
		r.mu.Lock()
		r.lastProxy = append([]byte(nil), in.Payload...)
		r.mu.Unlock()
		return lambdacall.Result{Payload: []byte(`{"statusCode":200,"body":"ok"}`)}, nil
	}
	res, err := r.rt.Invoke(ctx, r.spec, in.Payload)
	if err != nil {
		return lambdacall.Result{}, err
	}
	return lambdacall.Result{Payload: res.Payload, FunctionError: res.FunctionError}, nil
}

// count is how many times the function was called with token.
func (r *runtimeInvoker) count(t testing.TB, token string) int {
	t.Helper()
	b, err := os.ReadFile(r.calls)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if line == token {
			n++
		}
	}
	return n
}

func newRuntimeInvoker(t testing.TB) *runtimeInvoker {
	t.Helper()
	code := authorizerCode(t)
	rt, err := lambda.NewRuntime(lambda.RuntimeConfig{Region: "us-east-1", AccountID: testScope.AccountID, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rt.Close(ctx)
	})
	calls := filepath.Join(t.TempDir(), "calls")
	return &runtimeInvoker{
		rt: rt,
		spec: &lambda.Spec{Name: "authorizer", ARN: authorizerARN, Revision: "1", Runtime: "provided.al2023", Handler: "bootstrap",
			CodeDir: code, Timeout: 10 * time.Second, Env: map[string]string{"CALLS": calls}, Concurrency: 2},
		calls: calls,
	}
}

// testClock is an injected clock the test moves.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}
func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// authorizerTemplate shows what $context.authorizer holds.
const authorizerTemplate = `{"principalId":"$context.authorizer.principalId","name":"$context.authorizer.name","count":"$context.authorizer.count","admin":"$context.authorizer.admin","nothing":"$context.authorizer.nothing","keys":"#foreach($k in $context.authorizer.keySet())$k #end"}`

func customMethod(authorizerID string) *apigateway.Method {
	m := mockMethod(authorizerTemplate)
	m.AuthorizationType = apigateway.AuthorizationCustom
	m.AuthorizerID = authorizerID
	return m
}

type authorizerEnv struct {
	srv   *Server
	fn    *runtimeInvoker
	clock *testClock
	host  string
}

func newAuthorizerEnv(t *testing.T, authorizers map[string]*apigateway.Authorizer, routes map[string]*apigateway.Method) *authorizerEnv {
	t.Helper()
	fn := newRuntimeInvoker(t)
	clock := newTestClock()
	s := newStore(t)
	doc := buildAPI("azapi", routes, nil)
	doc.Authorizers = authorizers
	deploy(t, s, doc, "d1", "prod", map[string]string{"tenantVar": "t1"})
	srv := startServer(t, s, Config{Lambda: fn, Now: clock.Now, Logger: testLogger(t)})
	return &authorizerEnv{srv: srv, fn: fn, clock: clock, host: "azapi.execute-api.localhost"}
}

func (e *authorizerEnv) do(t *testing.T, target string, header http.Header) (int, http.Header, string) {
	t.Helper()
	req := httptest.NewRequest("GET", target, nil)
	req.Host = e.host
	req.RemoteAddr = "192.0.2.1:1234"
	for k, vs := range header {
		req.Header[k] = vs
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, req)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, w.Header(), string(b)
}

func intp(n int) *int { return &n }

func TestLambdaAuthorizerToken(t *testing.T) {
	t.Parallel()
	e := newAuthorizerEnv(t, map[string]*apigateway.Authorizer{
		"tok": {ID: "tok", Name: "tok", Type: apigateway.AuthorizerToken, AuthorizerURI: authorizerURI,
			IdentitySource: "method.request.header.Authorization", IdentityValidationExpression: "[a-z-]+"},
	}, map[string]*apigateway.Method{"GET /pets/{id}": customMethod("tok")})
	tests := []struct {
		name      string
		token     string // "" sends no Authorization header
		status    int
		errorType string
		body      string
		calls     int // calls of the function with the token
	}{
		{"allow", "allow", 200, "", `{"principalId":"user-allow","name":"alice","count":"42","admin":"true","nothing":"","keys":"name count admin nothing principalId "}`, 1},
		{"explicit deny", "deny", 403, "AccessDeniedException", `{"Message":"User is not authorized to access this resource with an explicit deny"}`, 1},
		{"no allow matches", "other", 403, "AccessDeniedException", `{"Message":"User is not authorized to access this resource"}`, 1},
		{"function says Unauthorized", "unauthorized", 401, "UnauthorizedException", `{"message":"Unauthorized"}`, 1},
		{"function fails", "fail", 500, "AuthorizerConfigurationException", `{"message": null}`, 1},
		{"no policy", "garbage", 500, "AuthorizerConfigurationException", `{"message": null}`, 1},
		{"object in context", "object", 500, "AuthorizerConfigurationException", `{"message": null}`, 1},
		{"no header", "", 401, "UnauthorizedException", `{"message":"Unauthorized"}`, 0},
		{"fails identityValidationExpression", "Bad Token", 401, "UnauthorizedException", `{"message":"Unauthorized"}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.token != "" {
				h.Set("Authorization", tt.token)
			}
			status, hdr, body := e.do(t, "/prod/pets/7", h)
			if status != tt.status || body != tt.body {
				t.Errorf("GET with token %q = %d %s; want %d %s", tt.token, status, body, tt.status, tt.body)
			}
			if got := hget(hdr, "x-amzn-ErrorType"); got != tt.errorType {
				t.Errorf("x-amzn-ErrorType = %q; want %q", got, tt.errorType)
			}
			if tt.token != "" {
				if n := e.fn.count(t, tt.token); n != tt.calls {
					t.Errorf("function called %d times with %q; want %d", n, tt.token, tt.calls)
				}
			}
		})
	}
}

func TestLambdaAuthorizerCache(t *testing.T) {
	t.Parallel()
	e := newAuthorizerEnv(t, map[string]*apigateway.Authorizer{
		"tok":   {ID: "tok", Type: apigateway.AuthorizerToken, AuthorizerURI: authorizerURI, IdentitySource: "method.request.header.Authorization"},
		"short": {ID: "short", Type: apigateway.AuthorizerToken, AuthorizerURI: authorizerURI, IdentitySource: "method.request.header.X-Token", AuthorizerResultTTLInSeconds: intp(10)},
		"off":   {ID: "off", Type: apigateway.AuthorizerToken, AuthorizerURI: authorizerURI, IdentitySource: "method.request.header.X-Off", AuthorizerResultTTLInSeconds: intp(0)},
	}, map[string]*apigateway.Method{
		"GET /pets/{id}": customMethod("tok"), "GET /cats": customMethod("tok"),
		"GET /short": customMethod("short"), "GET /off": customMethod("off"),
	})
	get := func(target, header, token string, want int) {
		t.Helper()
		status, _, body := e.do(t, target, http.Header{header: {token}})
		if status != want {
			t.Fatalf("GET %s with %s %q = %d %s; want %d", target, header, token, status, body, want)
		}
	}
	calls := func(token string, want int, when string) {
		t.Helper()
		if n := e.fn.count(t, token); n != want {
			t.Fatalf("%s: function called %d times with %q; want %d", when, n, token, want)
		}
	}
	// Within the default TTL (300 s) the answer serves every method of the authorizer.
	for i := range 5 {
		get("/prod/pets/"+string(rune('1'+i)), "Authorization", "allow-cached", 200)
	}
	get("/prod/cats", "Authorization", "allow-cached", 200)
	calls("allow-cached", 1, "6 requests within the TTL")
	e.clock.Advance(299 * time.Second)
	get("/prod/pets/1", "Authorization", "allow-cached", 200)
	calls("allow-cached", 1, "at 299 s")
	e.clock.Advance(2 * time.Second)
	get("/prod/pets/1", "Authorization", "allow-cached", 200)
	calls("allow-cached", 2, "after the TTL")
	if err := e.srv.FlushStageAuthorizersCache(context.Background(), "azapi", "prod"); err != nil {
		t.Fatal(err)
	}
	get("/prod/pets/1", "Authorization", "allow-cached", 200)
	calls("allow-cached", 3, "after FlushStageAuthorizersCache")

	// A Deny is a policy like another: cached, 403 each time.
	get("/prod/pets/1", "Authorization", "deny", 403)
	get("/prod/pets/1", "Authorization", "deny", 403)
	calls("deny", 1, "two denied requests")
	// The function's Unauthorized is not an answer: each request calls again.
	get("/prod/pets/1", "Authorization", "unauthorized", 401)
	get("/prod/pets/1", "Authorization", "unauthorized", 401)
	calls("unauthorized", 2, "two Unauthorized requests")

	// authorizerResultTtlInSeconds 10.
	get("/prod/short", "X-Token", "allow-short", 200)
	e.clock.Advance(9 * time.Second)
	get("/prod/short", "X-Token", "allow-short", 200)
	calls("allow-short", 1, "within a 10 s TTL")
	e.clock.Advance(time.Second)
	get("/prod/short", "X-Token", "allow-short", 200)
	calls("allow-short", 2, "at a 10 s TTL")

	// TTL 0: no cache.
	get("/prod/off", "X-Off", "allow-off", 200)
	get("/prod/off", "X-Off", "allow-off", 200)
	calls("allow-off", 2, "two requests without a cache")
}

func TestLambdaAuthorizerRequest(t *testing.T) {
	t.Parallel()
	proxy := &apigateway.Method{AuthorizationType: apigateway.AuthorizationCustom, AuthorizerID: "req",
		MethodIntegration: &apigateway.Integration{Type: apigateway.IntegrationAWSProxy, HTTPMethod: "POST",
			URI: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + echoProxyARN + "/invocations"}}
	e := newAuthorizerEnv(t, map[string]*apigateway.Authorizer{
		"req": {ID: "req", Type: apigateway.AuthorizerRequest, AuthorizerURI: authorizerURI,
			IdentitySource: "method.request.header.Authorization, method.request.querystring.tenant, stageVariables.tenantVar, context.httpMethod"},
		"opt": {ID: "opt", Type: apigateway.AuthorizerRequest, AuthorizerURI: authorizerURI,
			IdentitySource: "method.request.header.Authorization", AuthorizerResultTTLInSeconds: intp(0)},
	}, map[string]*apigateway.Method{
		"GET /pets/{id}": customMethod("req"), "GET /proxy": proxy,
		"GET /opt": customMethod("opt"),
	})

	// The event, as the function received it.
	status, _, body := e.do(t, "/prod/pets/7?tenant=acme&tenant=acme2", http.Header{"Authorization": {"echo"}, "X-Multi": {"a", "b"}})
	if status != 200 {
		t.Fatalf("GET with a REQUEST authorizer = %d %s; want 200", status, body)
	}
	var event struct {
		Type                            string              `json:"type"`
		MethodArn                       string              `json:"methodArn"`
		Resource                        string              `json:"resource"`
		Path                            string              `json:"path"`
		HTTPMethod                      string              `json:"httpMethod"`
		Headers                         map[string]string   `json:"headers"`
		MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
		QueryStringParameters           map[string]string   `json:"queryStringParameters"`
		MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
		PathParameters                  map[string]string   `json:"pathParameters"`
		StageVariables                  map[string]string   `json:"stageVariables"`
		RequestContext                  struct {
			ResourcePath string `json:"resourcePath"`
			Stage        string `json:"stage"`
			APIID        string `json:"apiId"`
		} `json:"requestContext"`
		Body *string `json:"body"`
	}
	// The echo token puts the event in the context: read it through a method that shows it.
	echoStatus, _, echoBody := e.doTemplate(t, "/prod/pets/7?tenant=acme&tenant=acme2", http.Header{"Authorization": {"echo"}, "X-Multi": {"a", "b"}})
	if echoStatus != 200 {
		t.Fatalf("echo = %d %s", echoStatus, echoBody)
	}
	if err := json.Unmarshal([]byte(echoBody), &event); err != nil {
		t.Fatalf("the event %s: %v", echoBody, err)
	}
	if event.Type != "REQUEST" || event.MethodArn != "arn:aws:execute-api:us-east-1:123456789012:azapi/prod/GET/pets/7" ||
		event.Resource != "/pets/{id}" || event.Path != "/pets/7" || event.HTTPMethod != "GET" ||
		event.Headers["Authorization"] != "echo" || strings.Join(event.MultiValueHeaders["X-Multi"], ",") != "a,b" ||
		event.QueryStringParameters["tenant"] != "acme2" || strings.Join(event.MultiValueQueryStringParameters["tenant"], ",") != "acme,acme2" ||
		event.PathParameters["id"] != "7" || event.StageVariables["tenantVar"] != "t1" ||
		event.RequestContext.ResourcePath != "/pets/{id}" || event.RequestContext.Stage != "prod" || event.RequestContext.APIID != "azapi" || event.Body != nil {
		t.Errorf("REQUEST event = %s; want AWS's fields for GET /prod/pets/7?tenant=acme&tenant=acme2", echoBody)
	}

	// Any identity source missing, with caching on: 401 without a call.
	before := e.fn.count(t, "allow-req")
	if status, _, body := e.do(t, "/prod/pets/7", http.Header{"Authorization": {"allow-req"}}); status != 401 {
		t.Errorf("GET without the tenant query = %d %s; want 401", status, body)
	}
	if n := e.fn.count(t, "allow-req"); n != before {
		t.Errorf("the function was called for a request missing an identity source")
	}
	// With caching off, the sources are optional: the function decides.
	if status, _, body := e.do(t, "/prod/opt", nil); status != 401 {
		t.Errorf("GET /opt without a token = %d %s; want the function's 401", status, body)
	}
	if status, _, body := e.do(t, "/prod/opt", http.Header{"Authorization": {"allow"}}); status != 200 {
		t.Errorf("GET /opt = %d %s; want 200", status, body)
	}

	// The Lambda proxy event's requestContext.authorizer: context stringified, then
	// principalId and integrationLatency.
	status, _, body = e.do(t, "/prod/proxy?tenant=acme", http.Header{"Authorization": {"allow"}})
	if status != 200 {
		t.Fatalf("GET /proxy = %d %s; want 200", status, body)
	}
	e.fn.mu.Lock()
	sent := e.fn.lastProxy
	e.fn.mu.Unlock()
	var proxyEvent struct {
		RequestContext struct {
			Authorizer json.RawMessage `json:"authorizer"`
		} `json:"requestContext"`
	}
	if err := json.Unmarshal(sent, &proxyEvent); err != nil {
		t.Fatalf("proxy event %s: %v", sent, err)
	}
	got := string(proxyEvent.RequestContext.Authorizer)
	prefix := `{"name":"alice","count":"42","admin":"true","nothing":null,"principalId":"user-allow","integrationLatency":`
	if !strings.HasPrefix(got, prefix) {
		t.Errorf("requestContext.authorizer = %s; want %s...", got, prefix)
	}
}

// doTemplate requests target from a method whose template prints $context.authorizer.event
// (the echo token's context: the event the function received).
func (e *authorizerEnv) doTemplate(t *testing.T, target string, header http.Header) (int, http.Header, string) {
	t.Helper()
	s := newStore(t)
	m := mockMethod(`$context.authorizer.event`)
	m.AuthorizationType, m.AuthorizerID = apigateway.AuthorizationCustom, "req"
	doc := buildAPI("azapi2", map[string]*apigateway.Method{"GET /pets/{id}": m}, nil)
	doc.Authorizers = map[string]*apigateway.Authorizer{"req": {ID: "req", Type: apigateway.AuthorizerRequest, AuthorizerURI: authorizerURI,
		IdentitySource: "method.request.header.Authorization"}}
	deploy(t, s, doc, "d1", "prod", map[string]string{"tenantVar": "t1"})
	srv := startServer(t, s, Config{Lambda: e.fn, Now: e.clock.Now, Logger: testLogger(t)})
	other := &authorizerEnv{srv: srv, fn: e.fn, clock: e.clock, host: "azapi2.execute-api.localhost"}
	status, h, body := other.do(t, target, header)
	// The event names azapi2; the caller checks azapi's shape.
	body = strings.ReplaceAll(body, "azapi2", "azapi")
	return status, h, body
}

func TestTestInvokeAuthorizer(t *testing.T) {
	t.Parallel()
	fn := newRuntimeInvoker(t)
	srv := New(Config{Lambda: fn, Scope: testScope, Store: newStore(t)})
	a := &apigateway.Authorizer{ID: "tok", Type: apigateway.AuthorizerToken, AuthorizerURI: authorizerURI, IdentitySource: "method.request.header.Authorization"}
	tests := []struct {
		token     string
		status    int
		principal string
	}{
		{"allow", 200, "user-allow"},
		{"deny", 200, "user-deny"}, // a Deny is a valid answer: the policy says the rest
		{"unauthorized", 401, ""},
		{"fail", 500, ""},
		{"", 401, ""},
	}
	for _, tt := range tests {
		in := &apigateway.TestInvokeAuthorizerRequest{Headers: map[string]string{}}
		if tt.token != "" {
			in.Headers["Authorization"] = tt.token
		}
		out, err := srv.TestInvokeAuthorizer(context.Background(), "azapi", a, nil, in)
		if err != nil {
			t.Fatalf("TestInvokeAuthorizer(%q): %v", tt.token, err)
		}
		if out.ClientStatus != tt.status || out.PrincipalID != tt.principal || out.Log == "" {
			t.Errorf("TestInvokeAuthorizer(%q) = status %d principal %q log %q; want %d %q", tt.token, out.ClientStatus, out.PrincipalID, out.Log, tt.status, tt.principal)
		}
		if tt.status == 200 && !strings.Contains(out.Policy, `"Statement"`) {
			t.Errorf("TestInvokeAuthorizer(%q).policy = %q; want the policy document", tt.token, out.Policy)
		}
		if tt.token == "allow" && (len(out.Authorization["name"]) != 1 || out.Authorization["name"][0] != "alice") {
			t.Errorf("TestInvokeAuthorizer(allow).authorization = %v; want the context", out.Authorization)
		}
	}
	// A REQUEST authorizer sees the test request's path and query.
	r := &apigateway.Authorizer{ID: "req", Type: apigateway.AuthorizerRequest, AuthorizerURI: authorizerURI, IdentitySource: "method.request.querystring.token"}
	out, err := srv.TestInvokeAuthorizer(context.Background(), "azapi", r, map[string]string{"v": "1"}, &apigateway.TestInvokeAuthorizerRequest{PathWithQueryString: "/pets?token=allow"})
	if err != nil || out.ClientStatus != 200 || out.PrincipalID != "user-allow" {
		t.Errorf("TestInvokeAuthorizer(REQUEST, ?token=allow) = %+v, %v; want 200 user-allow", out, err)
	}
}
