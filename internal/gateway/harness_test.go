package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/integration"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/route"
	"github.com/gatehouse/gatehouse/internal/h1server"
	"github.com/gatehouse/gatehouse/internal/lambdacall"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/memory"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

var testScope = apigateway.Scope{AccountID: "123456789012", Region: "us-east-1"}

// testClient is the tests' HTTP client: a request that gets no answer fails the test
// instead of hanging it.
var testClient = &http.Client{Timeout: testwait.Patient}

// mockMethod is a MOCK method answering 200 with body.
func mockMethod(body string) *apigateway.Method {
	return &apigateway.Method{
		AuthorizationType: "NONE",
		MethodIntegration: &apigateway.Integration{
			Type:             apigateway.IntegrationMock,
			RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: map[string]*apigateway.IntegrationResponse{
				"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": body}},
			},
		},
	}
}

// proxyMethod is an HTTP_PROXY method to uri.
func proxyMethod(uri string) *apigateway.Method {
	return &apigateway.Method{
		AuthorizationType: "NONE",
		MethodIntegration: &apigateway.Integration{Type: apigateway.IntegrationHTTPProxy, HTTPMethod: "ANY", URI: uri},
	}
}

// buildAPI makes a RestAPIDocument from "VERB /path" → method, creating every resource on the
// way with ids derived from their paths.
func buildAPI(apiID string, routes map[string]*apigateway.Method, grs map[apigateway.GatewayResponseType]*apigateway.GatewayResponse) *apigateway.RestAPIDocument {
	doc := &apigateway.RestAPIDocument{
		RestAPI:          apigateway.RestAPI{ID: apiID, Name: apiID, RootResourceID: "root"},
		Resources:        map[string]*apigateway.Resource{"root": {ID: "root", Path: "/"}},
		GatewayResponses: grs,
	}
	byPath := map[string]*apigateway.Resource{"/": doc.Resources["root"]}
	keys := make([]string, 0, len(routes))
	for k := range routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		verb, path, _ := strings.Cut(k, " ")
		res := byPath["/"]
		cur := ""
		for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
			if part == "" {
				continue
			}
			cur += "/" + part
			next := byPath[cur]
			if next == nil {
				id := "r" + strings.NewReplacer("/", "_", "{", "", "}", "", "+", "p").Replace(cur)
				next = &apigateway.Resource{ID: id, ParentID: res.ID, PathPart: part, Path: cur}
				doc.Resources[id] = next
				byPath[cur] = next
			}
			res = next
		}
		if res.ResourceMethods == nil {
			res.ResourceMethods = map[string]*apigateway.Method{}
		}
		m := *routes[k]
		m.HTTPMethod = verb
		res.ResourceMethods[verb] = &m
	}
	return doc
}

// deploy writes a deployment of doc and points stageName at it.
func deploy(t testing.TB, s store.Store, doc *apigateway.RestAPIDocument, depID, stageName string, vars map[string]string) {
	t.Helper()
	dep := apigateway.DeploymentDocument{Deployment: apigateway.Deployment{ID: depID}, RestAPIID: doc.ID, Snapshot: doc}
	st := apigateway.StageDocument{Stage: apigateway.Stage{StageName: stageName, DeploymentID: depID, Variables: vars}, RestAPIID: doc.ID}
	depOp, err := store.PutJSON(testScope.DeploymentKey(doc.ID, depID), dep, store.AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	stOp, err := store.PutJSON(testScope.StageKey(doc.ID, stageName), st, store.AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Txn(context.Background(), depOp, stOp); err != nil {
		t.Fatal(err)
	}
}

// startServer runs a Server over s until the test ends and waits for its first table.
func startServer(t testing.TB, s store.Store, cfg Config) *Server {
	t.Helper()
	cfg.Store = s
	cfg.Scope = testScope
	srv := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		testwait.Recv(t, done, testwait.Patient, "Server.Run's return after its context ended")
	})
	waitFor(t, srv.Ready)
	return srv
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	testwait.Until(t, testwait.Patient, "condition", cond)
}

// newStore returns a memory store closed when the test ends.
func newStore(t testing.TB) *memory.Store {
	s := memory.New()
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// servedStage reports whether apiID/stage is in the server's table with deployment depID.
func servedStage(srv *Server, apiID, stageName, depID string) func() bool {
	return func() bool {
		st := srv.table.Load().lookup(apiID, stageName)
		return st != nil && st.deploymentID == depID
	}
}

func decodeJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

// echoHandler answers with what it received, as JSON.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	body := make([]byte, 0, 64)
	if r.Body != nil {
		buf := make([]byte, 4096)
		for {
			n, err := r.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Server", "echo")
	w.Header().Set("X-Backend", "yes")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"method":  r.Method,
		"uri":     r.RequestURI,
		"host":    r.Host,
		"headers": r.Header,
		"body":    string(body),
	})
}

func putJSONOp(key string, v any) (store.Op, error) { return store.PutJSON(key, v, store.AnyRevision) }

func deleteOp(key string) store.Op {
	return store.Op{Key: key, Delete: true, IfRevision: store.AnyRevision}
}

// newPanicRouter routes GET / to a handler that panics.
func newPanicRouter(t testing.TB) *route.Router[*method] {
	r := route.New[*method]()
	h := invoke.HandlerFunc(func(context.Context, *invoke.Invocation) (*invoke.Response, error) { panic("boom") })
	if err := r.Add("/", "GET", &method{resourceID: "root", resourcePath: "/", handler: h}); err != nil {
		t.Fatal(err)
	}
	return r
}

// hget returns the first value of header name, whatever its casing in h (the gateway writes
// AWS's casing, such as x-amzn-RequestId, which http.Header.Get does not find).
func hget(h http.Header, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// fixtureFunction is a canned Lambda function of a conformance fixture's lambda.json, which
// maps the function ARN (or name) that integration URIs name to one of these.
type fixtureFunction struct {
	// Result is what the function returns (any JSON), a function error when FunctionError
	// ("Unhandled") is set.
	Result        json.RawMessage `json:"result"`
	FunctionError string          `json:"functionError"`
	// Echo answers a Lambda proxy response (200) whose body is the JSON object of these
	// event fields ("path", "requestContext.identity.sourceIp", ...), as received.
	Echo []string `json:"echo"`
	// EchoPayload returns the payload received as the result (AWS non-proxy).
	EchoPayload bool `json:"echoPayload"`
	// Fail fails the invocation: "notFound", "accessDenied", "timeout" (waits for the
	// integration's deadline), "throttled" (Lambda's 429) or any other text (a failure
	// to invoke).
	Fail string `json:"fail"`
}

// fixtureInvoker is an integration.LambdaInvoker over canned functions; an unknown one is
// not found.
type fixtureInvoker map[string]fixtureFunction

var _ integration.LambdaInvoker = fixtureInvoker(nil)

type fixtureInvokeError string

func (e fixtureInvokeError) Error() string          { return string(e) }
func (e fixtureInvokeError) FunctionNotFound() bool { return e == "notFound" }
func (e fixtureInvokeError) AccessDenied() bool     { return e == "accessDenied" }
func (e fixtureInvokeError) Throttled() bool        { return e == "throttled" }

func (f fixtureInvoker) Invoke(ctx context.Context, in lambdacall.Invocation) (lambdacall.Result, error) {
	if in.Type == lambdacall.Event {
		// Lambda queues the event and answers with no payload; the function's own
		// outcome is never seen.
		fn, ok := f[in.FunctionARN]
		switch {
		case !ok:
			return lambdacall.Result{}, fixtureInvokeError("notFound")
		case fn.Fail != "" && fn.Fail != "timeout":
			return lambdacall.Result{}, fixtureInvokeError(fn.Fail)
		}
		return lambdacall.Result{ExecutedVersion: "$LATEST"}, nil
	}
	out, fnErr, err := f.invoke(ctx, in.FunctionARN, in.Payload)
	return lambdacall.Result{Payload: out, FunctionError: fnErr, ExecutedVersion: "$LATEST"}, err
}

func (f fixtureInvoker) invoke(ctx context.Context, functionARN string, payload []byte) ([]byte, string, error) {
	fn, ok := f[functionARN]
	if !ok {
		return nil, "", fixtureInvokeError("notFound")
	}
	switch {
	case fn.Fail == "timeout":
		<-ctx.Done()
		return nil, "", ctx.Err()
	case fn.Fail != "":
		return nil, "", fixtureInvokeError(fn.Fail)
	case fn.EchoPayload:
		return payload, fn.FunctionError, nil
	case fn.Echo != nil:
		var event map[string]any
		if err := json.Unmarshal(payload, &event); err != nil {
			return nil, "", err
		}
		picked := map[string]any{}
		for _, field := range fn.Echo {
			var v any = event
			for _, part := range strings.Split(field, ".") {
				m, _ := v.(map[string]any)
				v = m[part]
			}
			picked[field] = v
		}
		body, _ := json.Marshal(picked)
		out, _ := json.Marshal(map[string]any{"statusCode": 200, "body": string(body)})
		return out, "", nil
	}
	return fn.Result, fn.FunctionError, nil
}

// fixtureLambda is the invoker of a fixture's lambda.json section, nil without one.
func fixtureLambda(t testing.TB, files map[string]string) integration.LambdaInvoker {
	raw, ok := files["lambda.json"]
	if !ok {
		return nil
	}
	var fns fixtureInvoker
	if err := json.Unmarshal([]byte(raw), &fns); err != nil {
		t.Fatalf("lambda.json: %v", err)
	}
	return fns
}

// testLogger logs through t.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// serveEdge serves edge (whose Handler is the gateway under test) on a loopback listener
// until the test ends, and returns its address: the data plane as cmd/gatehouse runs it.
func serveEdge(t testing.TB, edge *h1server.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = edge.Serve(ln) }()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// dialEdge connects to addr with a 10 s deadline on everything the test then reads or
// writes, closed when the test ends.
func dialEdge(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return c
}
