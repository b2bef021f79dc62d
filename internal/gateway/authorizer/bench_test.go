package authorizer

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// BenchmarkAuthorizeCached is the stage alone on a cache hit: a TOKEN authorizer whose
// answer the in-process cache holds, evaluated again for the request's method ARN.
func BenchmarkAuthorizeCached(b *testing.B) {
	calls := 0
	out := []byte(`{"principalId":"user-allow","policyDocument":` + allowAll + `,"context":{"name":"alice","count":42,"admin":true}}`)
	z, err := New(Config{
		Authorizer: &apigateway.Authorizer{ID: "tok", Type: apigateway.AuthorizerToken, IdentitySource: "method.request.header.Authorization"},
		Region:     "us-east-1", AccountID: "123456789012", APIID: "api1", Stage: "prod",
		Call: func(context.Context, []byte) ([]byte, string, error) {
			calls++
			return out, "", nil
		},
		Cache: NewMemoryCache(0),
	})
	if err != nil {
		b.Fatal(err)
	}
	inv := &invoke.Invocation{HTTPMethod: "GET", RequestTime: time.Now(),
		Request: invoke.Request{Path: "/pets/7", Header: map[string][]string{"Authorization": {"allow"}}}}
	ctx := context.Background()
	if _, err := z.Authorize(ctx, inv); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := z.Authorize(ctx, inv)
		if err != nil || res.PrincipalID != "user-allow" {
			b.Fatalf("Authorize = %v, %v", res, err)
		}
	}
	if calls != 1 {
		b.Fatalf("function called %d times; want once", calls)
	}
}
