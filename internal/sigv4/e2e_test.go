package sigv4_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/smithy-go"

	"github.com/gatehouse/gatehouse/internal/sigv4"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// verifyingServer answers every request that verifies with an empty JSON
// object, and every other with AWS's error shape: x-amzn-ErrorType and
// {"message": ...}. It records what it verified.
type verifyingServer struct {
	v *sigv4.Verifier

	mu      sync.Mutex
	results []*sigv4.Result
	paths   []string
}

func (s *verifyingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	res, err := s.v.Verify(r, body)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		var e *sigv4.Error
		if !errors.As(err, &e) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("x-amzn-ErrorType", e.Code)
		w.WriteHeader(e.Status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": e.Message})
		return
	}
	s.mu.Lock()
	s.results = append(s.results, res)
	s.paths = append(s.paths, r.RequestURI)
	s.mu.Unlock()
	_, _ = io.WriteString(w, "{}")
}

func newAPIGatewayClient(endpoint, keyID, secret, token string) *apigateway.Client {
	return apigateway.New(apigateway.Options{
		BaseEndpoint:     aws.String(endpoint),
		Region:           "us-west-2",
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, token),
		RetryMaxAttempts: 1,
	})
}

// TestRealClient runs aws-sdk-go-v2's API Gateway client against a server
// that verifies every call: GETs with query parameters, a POST with a JSON
// body, path parameters that need escaping, and the failures a client sees.
func TestRealClient(t *testing.T) {
	t.Parallel()
	srv := &verifyingServer{v: &sigv4.Verifier{
		Credentials: func(id string) (string, bool) {
			if id == testKeyID {
				return testSecret, true
			}
			return "", false
		},
		Service: "apigateway",
		Region:  "us-west-2",
	}}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	ctx := context.Background()

	client := newAPIGatewayClient(ts.URL, testKeyID, testSecret, "")
	calls := []struct {
		name string
		call func() error
	}{
		{"GetRestApis", func() error {
			_, err := client.GetRestApis(ctx, &apigateway.GetRestApisInput{Limit: aws.Int32(25), Position: aws.String("a b/c+d")})
			return err
		}},
		{"CreateRestApi", func() error {
			_, err := client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("pets ü"), Description: aws.String("  spaced   out  ")})
			return err
		}},
		{"GetResource", func() error {
			_, err := client.GetResource(ctx, &apigateway.GetResourceInput{RestApiId: aws.String("a b%2Fc"), ResourceId: aws.String("ሴ/..")})
			return err
		}},
	}
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Errorf("%s through the verifier = %v", c.name, err)
		}
	}
	srv.mu.Lock()
	if len(srv.results) != len(calls) {
		t.Fatalf("verified %d calls (%v); want %d", len(srv.results), srv.paths, len(calls))
	}
	for i, res := range srv.results {
		if res.AccessKeyID != testKeyID || res.Region != "us-west-2" || res.Service != "apigateway" ||
			time.Since(res.Date) > time.Minute {
			t.Errorf("call %d (%s) verified as %+v", i, srv.paths[i], res)
		}
	}
	srv.mu.Unlock()

	failures := []struct {
		name    string
		client  *apigateway.Client
		code    string
		message string
	}{
		{"wrong secret", newAPIGatewayClient(ts.URL, testKeyID, "not-the-secret", ""),
			sigv4.CodeInvalidSignature, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
		{"unknown key", newAPIGatewayClient(ts.URL, "AKIAUNKNOWN", testSecret, ""),
			sigv4.CodeUnrecognizedClient, "The security token included in the request is invalid."},
	}
	for _, f := range failures {
		_, err := f.client.GetRestApis(ctx, &apigateway.GetRestApisInput{})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != f.code || apiErr.ErrorMessage() != f.message {
			t.Errorf("GetRestApis with %s = %v; want %s %q", f.name, err, f.code, f.message)
		}
	}

	// No signature at all.
	resp, err := (&http.Client{Timeout: testwait.Patient}).Get(ts.URL + "/restapis")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Message string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 403 || resp.Header.Get("x-amzn-ErrorType") != sigv4.CodeMissingAuthenticationToken || body.Message != "Missing Authentication Token" {
		t.Errorf("unsigned GET /restapis = %d %s %q; want 403 %s \"Missing Authentication Token\"",
			resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body.Message, sigv4.CodeMissingAuthenticationToken)
	}
}
