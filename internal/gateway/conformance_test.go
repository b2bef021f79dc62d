package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/h1server"
	"github.com/gatehouse/gatehouse/internal/store"

	"golang.org/x/tools/txtar"
)

// The conformance fixtures live in testdata/conformance/*.txtar at the repository root. Each
// is a txtar archive: a comment saying what AWS does and where that is recorded, then
//
//	-- setup.json --   the API: {"apiId", "stage", "variables", "routes", "gatewayResponses",
//	                   "models", "requestValidators", "binaryMediaTypes", "apiKeySource",
//	                   "methodSettings", "apiKeys", "usagePlans", "authorizers", "policy",
//	                   "canary"}; the gateway runs with
//	                   a throttle state and AWS's account throttle
//	                   where routes maps "VERB /path" to a Method (AWS JSON) or, for brevity,
//	                   to a string: a MOCK answering 200 with that body. "${backend}" is
//	                   replaced by the URL of an echo backend.
//	-- request --      an HTTP/1.1 request; the body follows the blank line
//	-- response --     the status line, the headers to check (Name: value exactly, Name: *
//	                   present, !Name absent) and, after a blank line, the exact body
//	-- lambda.json --  optional: canned Lambda functions by the ARN integration URIs name
//	                   (fixtureFunction: a result, a function error, an echo of event
//	                   fields, or a failure to invoke)
//	-- deviation --    optional: where gatehouse knowingly differs from AWS, and why
//	-- wire --         optional, empty: the request goes as written (names spelled as
//	                   written) over a socket to the gateway behind h1server, as
//	                   cmd/gatehouse serves it, instead of to its handler
//	-- request 2 --    optional: more requests, sent in order to the same gateway after the
//	-- response 2 --   first, each checked against its response N (2, 3, ... with no gap)
//
// "${counter}" in setup.json is replaced by the URL of a backend of the fixture's own that
// answers {"call":N,"method":...,"uri":...}, N counting its calls from 1: a fixture with
// several requests shows which reached the integration. setup.json's "cacheClusterEnabled"
// and "cacheClusterSize" are the stage's, stored with its methodSettings.
//
// A response header line "=Name: value" also checks that the name is spelled exactly so.
const conformanceDir = "../../testdata/conformance"

type fixtureSetup struct {
	APIID            string                                                         `json:"apiId"`
	Stage            string                                                         `json:"stage"`
	Variables        map[string]string                                              `json:"variables"`
	Routes           map[string]json.RawMessage                                     `json:"routes"`
	GatewayResponses map[apigateway.GatewayResponseType]*apigateway.GatewayResponse `json:"gatewayResponses"`
	// Models by name and request validators by id, as in the API document.
	Models            map[string]*apigateway.Model            `json:"models"`
	RequestValidators map[string]*apigateway.RequestValidator `json:"requestValidators"`
	// BinaryMediaTypes are the API's binaryMediaTypes.
	BinaryMediaTypes []string `json:"binaryMediaTypes"`
	// APIKeySource is the API's apiKeySource; MethodSettings, CacheClusterEnabled and
	// CacheClusterSize the stage's.
	APIKeySource        string                               `json:"apiKeySource"`
	MethodSettings      map[string]*apigateway.MethodSetting `json:"methodSettings"`
	CacheClusterEnabled bool                                 `json:"cacheClusterEnabled"`
	CacheClusterSize    string                               `json:"cacheClusterSize"`
	// APIKeys and UsagePlans are stored as the management plane stores them.
	APIKeys    []apigateway.APIKeyDocument    `json:"apiKeys"`
	UsagePlans []apigateway.UsagePlanDocument `json:"usagePlans"`
	// Authorizers are the API's authorizers by id.
	Authorizers map[string]*apigateway.Authorizer `json:"authorizers"`
	// Policy is the API's resource policy, a JSON object stored as the management plane
	// stores it (escaped).
	Policy json.RawMessage `json:"policy"`
	// Canary gives the stage a canary on a second deployment, "dep2".
	Canary *fixtureCanary `json:"canary"`
}

// fixtureCanary is the stage's canary: its settings, the routes of its deployment (the API
// with these routes instead; none means the same API) and the draw of the gateway's canary
// random source, which decides every request (canary when draw < percentTraffic/100).
type fixtureCanary struct {
	PercentTraffic         float64                    `json:"percentTraffic"`
	StageVariableOverrides map[string]string          `json:"stageVariableOverrides"`
	UseStageCache          bool                       `json:"useStageCache"`
	Routes                 map[string]json.RawMessage `json:"routes"`
	Draw                   float64                    `json:"draw"`
}

// fixtureFiles returns a txtar archive's files by name.
func fixtureFiles(data []byte) map[string]string {
	files := map[string]string{}
	for _, f := range txtar.Parse(data).Files {
		files[f.Name] = string(f.Data)
	}
	return files
}

func TestConformance(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(conformanceDir, "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s: %v", conformanceDir, err)
	}
	backend := httptest.NewServer(http.HandlerFunc(echoHandler))
	t.Cleanup(backend.Close)
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".txtar"), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files := fixtureFiles(data)
			runFixture(t, files, backend.URL)
		})
	}
}

func runFixture(t *testing.T, files map[string]string, backendURL string) {
	for _, need := range []string{"setup.json", "request", "response"} {
		if _, ok := files[need]; !ok {
			t.Fatalf("fixture has no %s section", need)
		}
	}
	var setup fixtureSetup
	setupJSON := strings.ReplaceAll(files["setup.json"], "${backend}", backendURL)
	if strings.Contains(setupJSON, "${counter}") {
		setupJSON = strings.ReplaceAll(setupJSON, "${counter}", countingEcho(t))
	}
	if err := json.Unmarshal([]byte(setupJSON), &setup); err != nil {
		t.Fatalf("setup.json: %v", err)
	}
	s := newStore(t)
	apiDoc := func(routes map[string]json.RawMessage) *apigateway.RestAPIDocument {
		doc := buildAPI(setup.APIID, fixtureRoutes(t, routes), setup.GatewayResponses)
		doc.Models, doc.RequestValidators = setup.Models, setup.RequestValidators
		doc.BinaryMediaTypes = setup.BinaryMediaTypes
		doc.APIKeySource = setup.APIKeySource
		doc.Authorizers = setup.Authorizers
		if len(setup.Policy) > 0 {
			doc.Policy = storedForm(t, string(setup.Policy))
		}
		return doc
	}
	deploy(t, s, apiDoc(setup.Routes), "dep1", setup.Stage, setup.Variables)
	cfg := Config{Logger: testLogger(t), Lambda: fixtureLambda(t, files), State: newTestState(t)}
	if c := setup.Canary; c != nil {
		routes := c.Routes
		if routes == nil {
			routes = setup.Routes
		}
		putDeployment(t, s, apiDoc(routes), "dep2") // the stage points at it in putKeysAndPlans
		cfg.CanaryRandom = func() float64 { return c.Draw }
	}
	putKeysAndPlans(t, s, setup)
	srv := startServer(t, s, cfg)
	if errs := srv.StageErrors(); len(errs) > 0 {
		t.Fatalf("stage does not compile: %v", errs)
	}

	_, wire := files["wire"]
	checkExchange(t, srv, wire, "", files["request"], files["response"])
	for n := 2; ; n++ {
		req, ok := files["request "+strconv.Itoa(n)]
		if !ok {
			break
		}
		resp, ok := files["response "+strconv.Itoa(n)]
		if !ok {
			t.Fatalf("fixture has request %d and no response %d", n, n)
		}
		checkExchange(t, srv, wire, " "+strconv.Itoa(n), req, resp)
	}
}

// checkExchange sends a fixture's request (named "request"+which) to srv and checks the
// answer against its response section.
func checkExchange(t *testing.T, srv *Server, wire bool, which, request, response string) {
	t.Helper()
	head, body, _ := strings.Cut(strings.ReplaceAll(request, "\r\n", "\n"), "\n\n")
	body = strings.TrimSuffix(body, "\n")
	var rec *httptest.ResponseRecorder
	if wire {
		rec = sendWire(t, srv, head, body)
	} else {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head + "\n\n")))
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		req.Body = http.NoBody
		if req.ContentLength > 0 && body == "" {
			// A declared length without the bytes: the gateway must refuse on the header.
			req.Body = readCloser{strings.NewReader("")}
		} else {
			req.ContentLength = 0
		}
		if body != "" {
			req.Body, req.ContentLength = readCloser{strings.NewReader(body)}, int64(len(body))
		}
		req.RemoteAddr = "192.0.2.10:4321"
		rec = httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
	}

	wantHead, wantBody, _ := strings.Cut(strings.ReplaceAll(response, "\r\n", "\n"), "\n\n")
	wantBody = strings.TrimSuffix(wantBody, "\n")
	lines := strings.Split(strings.TrimSpace(wantHead), "\n")
	status := strings.Fields(lines[0])
	if len(status) < 2 {
		t.Fatalf("response: bad status line %q", lines[0])
	}
	wantStatus, _ := strconv.Atoi(status[1])
	if rec.Code != wantStatus {
		t.Errorf("response%s: status = %d; want %d (body %s)", which, rec.Code, wantStatus, rec.Body)
	}
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if name, ok := strings.CutPrefix(l, "!"); ok {
			if v := hget(rec.Header(), name); v != "" {
				t.Errorf("response%s: header %s = %q; want it absent", which, name, v)
			}
			continue
		}
		name, val, _ := strings.Cut(l, ":")
		val = strings.TrimSpace(val)
		if exact, ok := strings.CutPrefix(name, "="); ok {
			// =Name: the header must be spelled exactly so.
			name = exact
			if _, spelled := rec.Header()[name]; !spelled {
				t.Errorf("response%s: header %s not spelled so; have %v", which, name, headerNames(rec.Header()))
			}
		}
		got := hget(rec.Header(), name)
		switch {
		case val == "*" && got == "":
			t.Errorf("response%s: header %s missing", which, name)
		case val != "*" && got != val:
			t.Errorf("response%s: header %s = %q; want %q", which, name, got, val)
		}
	}
	for _, must := range []string{"x-amzn-RequestId"} { // X-Amzn-Trace-Id: only some answers
		if hget(rec.Header(), must) == "" {
			t.Errorf("response%s: header %s missing", which, must)
		}
	}
	if got := rec.Body.String(); got != wantBody && !jsonEqual(got, wantBody) {
		t.Errorf("response%s: body = %s; want %s", which, got, wantBody)
	}
}

// fixtureRoutes reads a fixture's routes: "VERB /path" → a Method, or a string, the body of
// a MOCK answering 200.
func fixtureRoutes(t *testing.T, raw map[string]json.RawMessage) map[string]*apigateway.Method {
	t.Helper()
	routes := map[string]*apigateway.Method{}
	for k, r := range raw {
		var body string
		if json.Unmarshal(r, &body) == nil {
			routes[k] = mockMethod(body)
			continue
		}
		var m apigateway.Method
		if err := json.Unmarshal(r, &m); err != nil {
			t.Fatalf("route %q: %v", k, err)
		}
		routes[k] = &m
	}
	return routes
}

// countingEcho starts a backend for one fixture that answers {"call":N,"method":...,
// "uri":...}, N counting its calls from 1, and returns its URL.
func countingEcho(t *testing.T) string {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.Marshal(map[string]any{"call": n.Add(1), "method": r.Method, "uri": r.RequestURI})
		_, _ = w.Write(b)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// putKeysAndPlans stores the fixture's stage method settings, cache cluster and canary, API
// keys and usage plans.
func putKeysAndPlans(t *testing.T, s store.Store, setup fixtureSetup) {
	t.Helper()
	var ops []store.Op
	if setup.MethodSettings != nil || setup.Canary != nil || setup.CacheClusterEnabled {
		st := apigateway.StageDocument{Stage: apigateway.Stage{StageName: setup.Stage, DeploymentID: "dep1", Variables: setup.Variables,
			MethodSettings: setup.MethodSettings, CacheClusterEnabled: setup.CacheClusterEnabled, CacheClusterSize: setup.CacheClusterSize}, RestAPIID: setup.APIID}
		if c := setup.Canary; c != nil {
			st.CanarySettings = &apigateway.CanarySettings{PercentTraffic: c.PercentTraffic, DeploymentID: "dep2", StageVariableOverrides: c.StageVariableOverrides,
				UseStageCache: c.UseStageCache}
		}
		ops = append(ops, mustPut(t, testScope.StageKey(setup.APIID, setup.Stage), st))
	}
	for _, k := range setup.APIKeys {
		ops = append(ops, mustPut(t, testScope.APIKeyKey(k.ID), k))
	}
	for _, p := range setup.UsagePlans {
		ops = append(ops, mustPut(t, testScope.UsagePlanKey(p.ID), p))
	}
	if len(ops) == 0 {
		return
	}
	if _, err := s.Txn(context.Background(), ops...); err != nil {
		t.Fatal(err)
	}
}

// jsonEqual compares two JSON documents when both are JSON objects from an echo backend:
// only the keys the expectation lists are compared.
func jsonEqual(got, want string) bool {
	var g, w map[string]any
	if !strings.HasPrefix(want, "{") || json.Unmarshal([]byte(got), &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	if _, echo := g["uri"]; !echo {
		return false
	}
	for k, wv := range w {
		wb, _ := json.Marshal(wv)
		gb, _ := json.Marshal(g[k])
		if k == "headers" {
			gh, _ := g[k].(map[string]any)
			wh, _ := wv.(map[string]any)
			for hk, hv := range wh {
				if hv == nil {
					if _, present := gh[hk]; present {
						return false
					}
					continue
				}
				hb, _ := json.Marshal(hv)
				gb, _ := json.Marshal(gh[hk])
				if !bytes.Equal(hb, gb) {
					return false
				}
			}
			continue
		}
		if !bytes.Equal(wb, gb) {
			return false
		}
	}
	return true
}

// sendWire sends the fixture's request as written to srv behind h1server over a real
// socket and returns the answer as a recorder, header names as they came on the wire.
func sendWire(t *testing.T, srv *Server, head, body string) *httptest.ResponseRecorder {
	t.Helper()
	addr := serveEdge(t, &h1server.Server{Handler: srv})
	c := dialEdge(t, addr)
	raw := strings.ReplaceAll(head, "\n", "\r\n") + "\r\n"
	if body != "" && !strings.Contains(strings.ToLower(head), "\ncontent-length:") {
		raw += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
	}
	raw += "Connection: close\r\n\r\n" + body
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	status, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("read status: %v", err)
	}
	fields := strings.Fields(status)
	if len(fields) < 2 {
		t.Fatalf("bad status line %q", status)
	}
	rec := httptest.NewRecorder()
	rec.Code, _ = strconv.Atoi(fields[1])
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read header: %v", err)
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		k, v, _ := strings.Cut(l, ":")
		rec.HeaderMap[k] = append(rec.HeaderMap[k], strings.TrimSpace(v)) // as spelled
	}
	rest, err := io.ReadAll(br) // Connection: close: the body runs to the end
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	rec.Body.Write(rest)
	return rec
}

// headerNames lists h's names as spelled.
func headerNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	return names
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
