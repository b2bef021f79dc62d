package sigv4_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// BenchmarkVerifyRequest is the data plane's cost of one SigV4 check: a small POST with a
// JSON body signed by aws-sdk-go-v2 in the header form, verified from its parts.
func BenchmarkVerifyRequest(b *testing.B) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	body := []byte(`{"name":"rex","kind":"dog"}`)
	r, _ := http.NewRequest(http.MethodPost, "https://abc123.execute-api.localhost/prod/pets/1?view=full", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
		r, sha256Hex(body), "execute-api", "us-east-1", now)
	if err != nil {
		b.Fatal(err)
	}
	v := testVerifier(now)
	v.Service, v.Region, v.MaxSkew = "execute-api", "us-east-1", 15*time.Minute
	req := &sigv4.Request{Method: r.Method, Host: r.URL.Host, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Header: r.Header, ContentLength: int64(len(body))}
	for _, keys := range []*sigv4.KeyCache{nil, new(sigv4.KeyCache)} {
		name := "uncached"
		if keys != nil {
			name = "cached"
		}
		b.Run(name, func(b *testing.B) {
			v.Keys = keys
			if _, err := v.VerifyRequest(req, body); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.VerifyRequest(req, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestKeyCacheSecretChange: a cached signing key serves only the secret it came from.
func TestKeyCacheSecretChange(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	secret := "first-secret"
	v := &sigv4.Verifier{
		Credentials: func(string) (string, bool) { return secret, true },
		Now:         func() time.Time { return now },
		Keys:        new(sigv4.KeyCache),
	}
	sign := func(s string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, "https://example.com/x", nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: s},
			r, sha256Hex(nil), "execute-api", "us-east-1", now); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if _, err := v.Verify(sign("first-secret"), nil); err != nil {
		t.Fatalf("Verify(first secret) = %v", err)
	}
	secret = "second-secret"
	if _, err := v.Verify(sign("first-secret"), nil); err == nil {
		t.Fatal("Verify(old secret) after the secret changed = nil; want a mismatch")
	}
	if _, err := v.Verify(sign("second-secret"), nil); err != nil {
		t.Fatalf("Verify(new secret) = %v", err)
	}
}
