package gateway

import (
	"bufio"
	"io"
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/integration"
	"github.com/gatehouse/gatehouse/internal/h1server"
)

// TestChunkOverPayloadLimit: a chunked request announcing a chunk larger than the 10 MB
// payload limit is refused by h1server when the size line arrives, and the gateway answers
// it as any payload over the limit: 413 through REQUEST_TOO_LARGE, not a generic 400.
func TestChunkOverPayloadLimit(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	deploy(t, s, buildAPI("big1", map[string]*apigateway.Method{"POST /up": mockMethod(`{"ok": true}`)}, nil), "d1", "prod", nil)
	srv := startServer(t, s, Config{})
	addr := serveEdge(t, &h1server.Server{Handler: srv, MaxChunkSize: integration.MaxPayload})

	c := dialEdge(t, addr)
	// 0xA00001 is one byte over 10,485,760; none of its data is ever sent.
	if _, err := io.WriteString(c, "POST /prod/up HTTP/1.1\r\nHost: big1.execute-api.localhost\r\nTransfer-Encoding: chunked\r\n\r\nA00001\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to an oversized chunk before its data: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("x-amzn-ErrorType") == "" {
		t.Fatalf("oversized chunk = %d %q (x-amzn-ErrorType %q); want 413 REQUEST_TOO_LARGE", resp.StatusCode, body, resp.Header.Get("x-amzn-ErrorType"))
	}
}

// TestInformationalFinalStatus: an integration response whose statusCode is a 1xx (the
// management API accepts [1-5]\d\d, as AWS does) is no final HTTP status: the client gets
// one answer, 500 API_CONFIGURATION_ERROR, not an interim 1xx followed by a 200.
func TestInformationalFinalStatus(t *testing.T) {
	t.Parallel()
	m := &apigateway.Method{
		AuthorizationType: "NONE",
		MethodIntegration: &apigateway.Integration{
			Type:             apigateway.IntegrationMock,
			RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: map[string]*apigateway.IntegrationResponse{
				"100": {StatusCode: "100", ResponseTemplates: map[string]string{"application/json": `{"early": true}`}},
			},
		},
	}
	s := newStore(t)
	deploy(t, s, buildAPI("one1", map[string]*apigateway.Method{"GET /x": m}, nil), "d1", "prod", nil)
	srv := startServer(t, s, Config{})
	addr := serveEdge(t, &h1server.Server{Handler: srv})

	c := dialEdge(t, addr)
	if _, err := io.WriteString(c, "GET /prod/x HTTP/1.1\r\nHost: one1.execute-api.localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("x-amzn-ErrorType") != "ApiConfigurationException" {
		t.Fatalf("integration response 100 = %d %q (x-amzn-ErrorType %q); want 500 ApiConfigurationException", resp.StatusCode, body, resp.Header.Get("x-amzn-ErrorType"))
	}
}
