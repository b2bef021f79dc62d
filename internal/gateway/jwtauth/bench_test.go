package jwtauth

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/jwtauth/jwttest"
)

// BenchmarkCheck is a token's first verification, which the verified-token cache saves
// later requests: header and claims parsed, the signature checked (the JWKS cached).
func BenchmarkCheck(b *testing.B) {
	f := newFixture(b)
	for _, tc := range []struct {
		alg string
		key jwttest.Key
	}{{"RS256", f.rsa}, {"ES256", f.ec}, {"EdDSA", f.ed}} {
		b.Run(tc.alg, func(b *testing.B) {
			tok := jwttest.Sign(tc.key, tc.alg, f.idClaims(nil))
			issuers := []string{f.iss.URL}
			if _, err := f.v.check(context.Background(), tok, issuers); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.v.check(context.Background(), tok, issuers); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthorizeVerified is a request's check of a token already verified: the header
// read, the verified-token lookup and the checks of time and method.
func BenchmarkAuthorizeVerified(b *testing.B) {
	f := newFixture(b)
	a := f.authorizer(nil)
	r := request("Authorization", "Bearer "+jwttest.Sign(f.rsa, "RS256", f.idClaims(nil)))
	ctx := context.Background()
	if _, err := a.Authorize(ctx, r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authorize(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
