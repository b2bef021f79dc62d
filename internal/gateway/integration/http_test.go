package integration

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// TestHTTPProxyTransports runs the same HTTP_PROXY calls over h1's client (what NewTransport
// gives) and over a plain http.RoundTripper (Config.Transport's override): same request at
// the backend, same response, same failure mapping.
func TestHTTPProxyTransports(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, uri, host, body string
		header                  http.Header
	}
	transports := map[string]http.RoundTripper{
		"h1":       NewTransport(false),
		"net/http": &http.Transport{},
		"h1 (nil)": nil, // newHTTP makes its own
		"h1 (TLS)": NewTransport(true),
	}
	for name, tr := range transports {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := make(chan seen, 16)
			backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- seen{r.Method, r.RequestURI, r.Host, string(b), r.Header}
				if r.URL.Path == "/slow" {
					select {
					case <-time.After(2 * time.Second):
					case <-r.Context().Done():
					}
					return
				}
				w.Header().Set("Server", "backend")
				w.WriteHeader(201)
				_, _ = io.WriteString(w, "created")
			}))
			t.Cleanup(backend.Close)
			dead := httptest.NewServer(http.NotFoundHandler())
			deadURL := dead.URL
			dead.Close()
			call := func(uri string, timeoutMs int, method string, body []byte) (*invoke.Response, error) {
				h, err := NewHTTPProxy(Config{
					Integration: &apigateway.Integration{Type: apigateway.IntegrationHTTPProxy, HTTPMethod: "ANY", URI: uri, TimeoutInMillis: timeoutMs},
					APIID:       "api1",
					Transport:   tr,
				})
				if err != nil {
					t.Fatal(err)
				}
				inv := &invoke.Invocation{TraceID: "Root=1-x", SourceIP: "192.0.2.1", PathParams: []invoke.Param{{Name: "proxy", Value: "a b/c"}},
					Request: invoke.Request{Method: method, RawQuery: "q=1", Header: http.Header{"X-Client": {"c"}, "Connection": {"close"}}, Body: body}}
				return h.Invoke(context.Background(), inv)
			}

			resp, err := call(backend.URL+"/p/{proxy}", 0, "POST", []byte("payload"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Stream)
			resp.Stream.Close()
			if resp.StatusCode != 201 || string(b) != "created" || resp.ContentLength != 7 ||
				first(resp.Header["x-amzn-Remapped-Server"]) != "backend" || first(resp.Header["x-amzn-Remapped-Content-Length"]) != "7" {
				t.Errorf("response = %d %q (length %d) %v", resp.StatusCode, b, resp.ContentLength, resp.Header)
			}
			s := <-got
			if s.method != "POST" || s.uri != "/p/a%20b/c?q=1" || s.body != "payload" || s.host != backend.Listener.Addr().String() ||
				s.header.Get("X-Client") != "c" || s.header.Get("Connection") != "" || s.header.Get("User-Agent") != "AmazonAPIGateway_api1" ||
				s.header.Get("X-Forwarded-For") != "192.0.2.1" || s.header.Get("X-Amzn-Apigateway-Api-Id") != "api1" {
				t.Errorf("backend saw %+v", s)
			}

			// GET sends no body even when the client had one.
			resp, err = call(backend.URL+"/g", 0, "GET", []byte("ignored"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Stream.Close()
			if s := <-got; s.method != "GET" || s.body != "" {
				t.Errorf("GET: backend saw %+v", s)
			}

			_, err = call(backend.URL+"/slow", 50, "GET", nil)
			var ie *invoke.Error
			if !errors.As(err, &ie) || ie.Type != apigateway.ResponseIntegrationTimeout || ie.Message != "Endpoint request timed out" {
				t.Errorf("slow backend: %v; want INTEGRATION_TIMEOUT", err)
			}
			<-got
			_, err = call(deadURL, 0, "GET", nil)
			if !errors.As(err, &ie) || ie.Type != apigateway.ResponseIntegrationFailure || ie.Message != "Internal server error" {
				t.Errorf("refused: %v; want INTEGRATION_FAILURE", err)
			}
		})
	}
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
