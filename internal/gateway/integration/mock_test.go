package integration

import (
	"context"
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// TestMockOverridesReachResponse: a MOCK request template's responseOverride applies to the
// answer, with or without a response template, and header names keep the template's casing
// (Cache_Hint, not Cache_hint), replacing a mapped header of the same name in any case.
func TestMockOverridesReachResponse(t *testing.T) {
	t.Parallel()
	const reqTmpl = `#set($context.responseOverride.status = 202)` +
		`#set($context.responseOverride.header.Cache_Hint = "none")` +
		`#set($context.responseOverride.header['x-mapped'] = "from the template")` +
		`#set($context.requestOverride.querystring.seen = "yes")` +
		`{"statusCode": 200}`
	for _, tt := range []struct {
		name, respTmpl, wantBody string
		wantStatus               int
		wantHeader               http.Header
	}{
		{"no response template", "", "", 202,
			http.Header{"Cache_Hint": {"none"}, "x-mapped": {"from the template"}, "Content-Type": {"application/json"}}},
		{"response template reads and changes them",
			`#set($context.responseOverride.status = $context.responseOverride.status + 1)#set($context.responseOverride.header.content-type = "text/plain")$context.requestOverride.querystring.seen`,
			"yes", 203,
			http.Header{"Cache_Hint": {"none"}, "x-mapped": {"from the template"}, "Content-Type": {"text/plain"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ir := &apigateway.IntegrationResponse{StatusCode: "200",
				ResponseParameters: map[string]string{"method.response.header.X-Mapped": "'static'"}}
			if tt.respTmpl != "" {
				ir.ResponseTemplates = map[string]string{"application/json": tt.respTmpl}
			}
			h, err := NewMock(Config{Integration: &apigateway.Integration{Type: apigateway.IntegrationMock,
				RequestTemplates:     map[string]string{"application/json": reqTmpl},
				IntegrationResponses: map[string]*apigateway.IntegrationResponse{"200": ir}}})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := h.Invoke(context.Background(), &invoke.Invocation{Request: invoke.Request{Method: "GET", Header: http.Header{}}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || string(resp.Body) != tt.wantBody {
				t.Errorf("answer = %d %q; want %d %q", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantBody)
			}
			if len(resp.Header) != len(tt.wantHeader) {
				t.Errorf("headers = %v; want %v", resp.Header, tt.wantHeader)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header[k]; len(got) != 1 || got[0] != v[0] {
					t.Errorf("header %q = %q; want %q (all: %v)", k, got, v, resp.Header)
				}
			}
		})
	}
}

// TestOverrideFramingHeadersCanonical: a responseOverride of a header the edge or the
// server frames the answer with is set under its canonical name, whatever the template's
// casing, so that the edge's Content-Length replaces it and the server drops a
// Transfer-Encoding, instead of writing both beside its own.
func TestOverrideFramingHeadersCanonical(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	setOverrideHeader(h, "content-length", "5")
	setOverrideHeader(h, "transfer-encoding", "chunked")
	setOverrideHeader(h, "Cache_Hint", "none")
	want := http.Header{"Content-Length": {"5"}, "Transfer-Encoding": {"chunked"}, "Cache_Hint": {"none"}}
	if len(h) != len(want) {
		t.Fatalf("headers = %v; want %v", h, want)
	}
	for k, v := range want {
		if got := h[k]; len(got) != 1 || got[0] != v[0] {
			t.Errorf("header %q = %q; want %q (all: %v)", k, got, v, h)
		}
	}
}
