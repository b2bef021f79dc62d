package jwtauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// maxToken bounds a token's length in bytes (a request's headers are at most 10,240 bytes
// on AWS, the data plane's server bounds them too).
const maxToken = 16 << 10

// maxCached is how many verified tokens a Verifier remembers; past it the memory starts over.
const maxCached = 8192

// Verifier checks JWTs' signatures against their issuers' keys and remembers the tokens
// that passed, so that a token is verified once, not on every request it comes with. What
// depends on the time or on the method (exp, nbf, token_use, aud, scopes) is checked on
// every request by the Authorizer. Safe for concurrent use; one Verifier serves every stage.
type Verifier struct {
	keys *Keys

	mu       sync.RWMutex
	verified map[string]*token
}

// NewVerifier returns a Verifier reading keys from keys.
func NewVerifier(keys *Keys) *Verifier {
	return &Verifier{keys: keys, verified: map[string]*token{}}
}

// token is a token whose signature verified: its claims and what the authorizer shows of
// it. Immutable, shared by every request that brings the token.
type token struct {
	claims
	result *invoke.AuthorizerResult
}

// algorithms are the JWS algorithms a token may be signed with; "none" and the HMAC
// algorithms (whose key would have to be in the JWKS, public) are not among them.
var algorithms = map[string]jwa.SignatureAlgorithm{
	"RS256": jwa.RS256(), "RS384": jwa.RS384(), "RS512": jwa.RS512(),
	"PS256": jwa.PS256(), "PS384": jwa.PS384(), "PS512": jwa.PS512(),
	"ES256": jwa.ES256(), "ES384": jwa.ES384(), "ES512": jwa.ES512(),
	"EdDSA": jwa.EdDSA(),
}

// header is a JWS protected header, as much of it as is checked.
type header struct {
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Crit []string `json:"crit"`
}

// verify returns raw's verified token when its signature is valid under the key its
// header names, of the issuer its iss claim names, which must be one of issuers.
func (v *Verifier) verify(ctx context.Context, raw string, issuers []string) (*token, error) {
	v.mu.RLock()
	t := v.verified[raw]
	v.mu.RUnlock()
	if t == nil {
		var err error
		if t, err = v.check(ctx, raw, issuers); err != nil {
			return nil, err
		}
		v.mu.Lock()
		if len(v.verified) >= maxCached {
			clear(v.verified)
		}
		v.verified[raw] = t
		v.mu.Unlock()
	}
	if !slices.Contains(issuers, t.Issuer) {
		return nil, fmt.Errorf("issuer %q is not the authorizer's user pool's", t.Issuer)
	}
	return t, nil
}

func (v *Verifier) check(ctx context.Context, raw string, issuers []string) (*token, error) {
	h, payload, err := splitToken(raw)
	if err != nil {
		return nil, err
	}
	c, err := parseClaims(payload)
	if err != nil {
		return nil, err
	}
	// Only the issuers configured for the authorizer are asked for keys: a token cannot
	// make the gateway fetch from anywhere else.
	if !slices.Contains(issuers, c.Issuer) {
		return nil, fmt.Errorf("issuer %q is not the authorizer's user pool's", c.Issuer)
	}
	key, err := v.keys.key(ctx, c.Issuer, h.Kid)
	if err != nil {
		return nil, err
	}
	alg := algorithms[h.Alg]
	if err := keyFits(h.Alg, key); err != nil {
		return nil, fmt.Errorf("kid %q: %w", h.Kid, err)
	}
	if _, err := jws.Verify([]byte(raw), jws.WithCompact(), jws.WithKey(alg, key.raw)); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return &token{claims: *c, result: &invoke.AuthorizerResult{Claims: c.All}}, nil
}

// splitToken reads a compact JWS's header and payload (not yet verified): three base64url
// parts, a header naming an algorithm of algorithms and a kid, no critical extensions.
func splitToken(raw string) (header, []byte, error) {
	var h header
	if len(raw) > maxToken {
		return h, nil, fmt.Errorf("token of %d bytes is longer than %d", len(raw), maxToken)
	}
	hdr, rest, ok := strings.Cut(raw, ".")
	body, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.Contains(sig, ".") {
		return h, nil, errors.New("not a compact JWS (three dot-separated parts)")
	}
	if sig == "" {
		return h, nil, errors.New("token is unsigned")
	}
	hb, err := base64.RawURLEncoding.DecodeString(hdr)
	if err != nil {
		return h, nil, fmt.Errorf("header: %w", err)
	}
	if err := json.Unmarshal(hb, &h); err != nil {
		return h, nil, fmt.Errorf("header: %w", err)
	}
	if _, ok := algorithms[h.Alg]; !ok {
		return h, nil, fmt.Errorf("algorithm %q is not accepted", h.Alg)
	}
	if h.Kid == "" {
		return h, nil, errors.New("header names no kid")
	}
	if h.Crit != nil {
		return h, nil, fmt.Errorf("critical header parameters %q are not understood", h.Crit)
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return h, nil, fmt.Errorf("payload: %w", err)
	}
	return h, payload, nil
}

// keyFits reports whether key may verify a signature of alg: the JWK's own alg, when it
// names one, must be alg, and the key's type and curve must be alg's.
func keyFits(alg string, key publicKey) error {
	if key.alg != "" && key.alg != alg {
		return fmt.Errorf("the key is for %s, the token says %s", key.alg, alg)
	}
	ok := false
	switch k := key.raw.(type) {
	case *rsa.PublicKey:
		ok = strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		bits := k.Curve.Params().BitSize
		ok = alg == "ES256" && bits == 256 || alg == "ES384" && bits == 384 || alg == "ES512" && bits == 521
	case ed25519.PublicKey:
		ok = alg == "EdDSA"
	}
	if !ok {
		return fmt.Errorf("a %T cannot verify %s", key.raw, alg)
	}
	return nil
}
