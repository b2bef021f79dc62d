package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/h1server"
)

// TestGatewayResponseParameterTargetsAndSources: PutGatewayResponse takes path and
// querystring targets and multi-value sources, as AWS documents them; the stage must
// compile, the header targets be sent (multi-value sources comma-joined), the others
// ignored, and the stage's methods serve.
func TestGatewayResponseParameterTargetsAndSources(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	deploy(t, s, buildAPI("grp1", map[string]*apigateway.Method{
		"GET /ok":     mockMethod(`{"ok":true}`),
		"GET /broken": proxyMethod("http://${stageVariables.host}/x"),
	}, map[apigateway.GatewayResponseType]*apigateway.GatewayResponse{
		apigateway.ResponseDefault4XX: {ResponseParameters: map[string]string{
			"gatewayresponse.header.X-Multi-H": "method.request.multivalueheader.X-In",
			"gatewayresponse.header.X-Multi-Q": "method.request.multivaluequerystring.q",
			"gatewayresponse.header.X-One-Q":   "method.request.querystring.q",
			"gatewayresponse.path.p":           "'ignored'",
			"gatewayresponse.querystring.qs":   "method.request.header.X-In",
		}},
		apigateway.ResponseDefault5XX: {ResponseParameters: map[string]string{
			"gatewayresponse.header.X-Five": "method.request.multivalueheader.X-In",
		}},
	}), "d1", "prod", nil)
	srv := startServer(t, s, Config{Logger: testLogger(t)})
	if errs := srv.StageErrors(); len(errs) > 0 {
		t.Fatalf("StageErrors() = %v; want none", errs)
	}
	tests := []struct {
		path, body string
		status     int
		headers    map[string]string // "" for absent
	}{
		{"/ok", `{"ok":true}`, 200, map[string]string{"X-Multi-H": ""}},
		{"/nope?q=1&q=2", `{"message":"Missing Authentication Token"}`, 403, map[string]string{
			"X-Multi-H": "a,b", "X-Multi-Q": "1,2", "X-One-Q": "2", "P": "", "Qs": ""}},
		// A customized DEFAULT_5XX without templates renders AWS's default template,
		// without the space of the uncustomized 5XX body.
		{"/broken", `{"message":"Internal server error"}`, 500, map[string]string{"X-Five": "a,b", "X-Multi-H": ""}},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/restapis/grp1/prod/_user_request_"+tt.path, nil)
		req.Header["X-In"] = []string{"a", "b"}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != tt.status || rec.Body.String() != tt.body {
			t.Errorf("GET %s = %d %s; want %d %s", tt.path, rec.Code, rec.Body, tt.status, tt.body)
		}
		for k, want := range tt.headers {
			if got := rec.Header().Get(k); got != want {
				t.Errorf("GET %s header %s = %q; want %q", tt.path, k, got, want)
			}
		}
	}
}

// TestCompileGRHeaders(params) = error or not: every target and source AWS documents
// compiles, anything else is refused.
func TestCompileGRHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, value string
		wantErr    bool
		wantHeader bool
	}{
		{"gatewayresponse.header.A", "'x'", false, true},
		{"gatewayresponse.header.A", "stageVariables.v", false, true},
		{"gatewayresponse.header.A", "method.request.header.h", false, true},
		{"gatewayresponse.header.A", "method.request.multivalueheader.h", false, true},
		{"gatewayresponse.header.A", "method.request.path.p", false, true},
		{"gatewayresponse.header.A", "method.request.querystring.q", false, true},
		{"gatewayresponse.header.A", "method.request.multivaluequerystring.q", false, true},
		{"gatewayresponse.header.A", "context.requestId", false, true},
		{"gatewayresponse.path.p", "'x'", false, false},
		{"gatewayresponse.querystring.q", "method.request.header.h", false, false},
		{"gatewayresponse.header.A", "method.request.body", true, false},
		{"gatewayresponse.header.A", "method.request.body.a", true, false},
		{"gatewayresponse.header.A", "method.request.header.", true, false},
		{"gatewayresponse.header.A", "integration.response.header.h", true, false},
		{"gatewayresponse.body.b", "'x'", true, false},
		{"gatewayresponse.path.", "'x'", true, false},
		{"gatewayresponse.header.", "'x'", true, false},
	}
	for _, tt := range tests {
		hs, err := compileGRHeaders(map[string]string{tt.key: tt.value}, nil)
		if (err != nil) != tt.wantErr || (len(hs) == 1) != tt.wantHeader {
			t.Errorf("compileGRHeaders({%q: %q}) = %v, %v; want error %v, a header %v", tt.key, tt.value, hs, err, tt.wantErr, tt.wantHeader)
		}
	}
}

// TestGatewayResponseInformationalStatus: a statusCode of 100-199 passes AWS's [1-5]\d\d
// pattern, but is no final status. Through h1server, the first response on the wire must be
// the final one, with the type's default status (403 for a missing route, 500 for a method
// that cannot serve), never an interim 1xx.
func TestGatewayResponseInformationalStatus(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	deploy(t, s, buildAPI("inf1", map[string]*apigateway.Method{
		"GET /ok":     mockMethod(`{"ok":true}`),
		"GET /broken": proxyMethod("http://${stageVariables.host}/x"),
	}, map[apigateway.GatewayResponseType]*apigateway.GatewayResponse{
		apigateway.ResponseMissingAuthenticationToken: {StatusCode: "100"},
		apigateway.ResponseDefault5XX:                 {StatusCode: "101"},
		apigateway.ResponseDefault4XX:                 {StatusCode: "199"},
	}), "d1", "prod", nil)
	srv := startServer(t, s, Config{Logger: testLogger(t)})
	if errs := srv.StageErrors(); len(errs) > 0 {
		t.Fatalf("StageErrors() = %v; want none", errs)
	}
	addr := serveEdge(t, &h1server.Server{Handler: srv})

	tests := []struct {
		path, body string
		status     int
	}{
		{"/ok", `{"ok":true}`, 200},
		{"/nope", `{"message":"Missing Authentication Token"}`, 403},
		{"/broken", `{"message":"Internal server error"}`, 500}, // customized: AWS's default template
	}
	for _, tt := range tests {
		conn := dialEdge(t, addr)
		fmt.Fprintf(conn, "GET /restapis/inf1/prod/_user_request_%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", tt.path)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("GET %s: read response: %v", tt.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.status || string(body) != tt.body {
			t.Errorf("GET %s = first response %d %q; want %d %q", tt.path, resp.StatusCode, body, tt.status, tt.body)
		}
	}
}
