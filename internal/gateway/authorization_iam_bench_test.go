package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// BenchmarkPipelineIAM is BenchmarkPipelineMock behind AWS_IAM: one SigV4 verification
// (aws-sdk-go-v2-signed, root key) per request, the rest of the pipeline included.
func BenchmarkPipelineIAM(b *testing.B) {
	s := newStore(b)
	m := mockMethod(`{"ok":true}`)
	m.AuthorizationType = apigateway.AuthorizationAWSIAM
	deploy(b, s, buildAPI("bench1", map[string]*apigateway.Method{"GET /pets/{id}": m}, nil), "d1", "prod", nil)
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := startServer(b, s, Config{Now: func() time.Time { return now }, RootCredentials: map[string]string{iamRootKey: iamRootSecret}})

	req := httptest.NewRequest("GET", "http://bench1.execute-api.localhost/prod/pets/7?view=full", nil)
	req.RemoteAddr = "192.0.2.1:1234"
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: iamRootKey, SecretAccessKey: iamRootSecret},
		req, sha256Hex(nil), "execute-api", "us-east-1", now); err != nil {
		b.Fatal(err)
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		srv.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("status %d; want 200", w.code)
		}
	}
}
