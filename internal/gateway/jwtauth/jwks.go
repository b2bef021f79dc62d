package jwtauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// JWKS limits. AWS documents them for HTTP APIs' JWT authorizers (API Gateway quotas: "JWKS
// timeout 1500 ms", "JWKS response size 150000 bytes"); a Cognito authorizer reads the same
// kind of document, so the same bounds hold here.
const (
	FetchTimeout = 1500 * time.Millisecond
	MaxJWKSBytes = 150000
	// RefreshInterval is the least time between two fetches of one issuer's JWKS after one
	// succeeded: a token naming an unknown kid refetches it (key rotation) at most this
	// often, so that made-up kids cannot make the gateway hammer the issuer.
	RefreshInterval = 10 * time.Second
	// RetryInterval is the least time between fetches after one failed: a JWKS server that
	// is down is asked again at most once a second, and tokens meanwhile are refused.
	RetryInterval = time.Second
)

// JWKSPath is where an issuer's keys are read from, below the issuer URL: Cognito serves a
// user pool's keys at https://cognito-idp.{region}.amazonaws.com/{poolId}/.well-known/jwks.json.
const JWKSPath = "/.well-known/jwks.json"

// JWKSURL returns the URL of issuer's JWKS.
func JWKSURL(issuer string) string { return strings.TrimSuffix(issuer, "/") + JWKSPath }

// Keys fetches and caches the issuers' signing keys, one JWKS per issuer: read on first use,
// refetched when a token names a kid the cached set lacks (rate-limited), never on a timer.
// Each issuer has its own lock and its own fetch, so a slow issuer slows only its own
// tokens; concurrent misses on one issuer share one fetch. Safe for concurrent use.
type Keys struct {
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	issuers map[string]*issuerKeys
}

// NewKeys returns a Keys fetching with client (nil: a client with a 10 s timeout) and timing
// its refreshes by now (nil: time.Now).
func NewKeys(client *http.Client, now func() time.Time) *Keys {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &Keys{client: client, now: now, issuers: map[string]*issuerKeys{}}
}

// publicKey is one usable key of a JWKS.
type publicKey struct {
	kid string
	alg string // the JWK's alg; empty when the JWK names none
	raw crypto.PublicKey
}

// keySet is one fetched JWKS, by kid. Immutable.
type keySet map[string]publicKey

type issuerKeys struct {
	url string
	set atomic.Pointer[keySet] // nil before the first successful fetch

	mu       sync.Mutex
	inflight chan struct{} // closed when the fetch under way ends; nil when none is
	next     time.Time     // no fetch starts before then
	err      error         // the last fetch's failure; nil after a success
}

// errUnknownKey is a kid the issuer's current JWKS does not have.
var errUnknownKey = errors.New("no key with that kid in the issuer's JWKS")

// key returns issuer's key named kid, fetching the issuer's JWKS when it is not cached or
// lacks kid and the rate limit allows. It waits for a fetch at most until ctx ends.
func (k *Keys) key(ctx context.Context, issuer, kid string) (publicKey, error) {
	ik := k.issuer(issuer)
	if set := ik.set.Load(); set != nil {
		if key, ok := (*set)[kid]; ok {
			return key, nil
		}
	}
	ik.mu.Lock()
	if set := ik.set.Load(); set != nil { // a fetch may have ended meanwhile
		if key, ok := (*set)[kid]; ok {
			ik.mu.Unlock()
			return key, nil
		}
	}
	ch := ik.inflight
	if ch == nil {
		if k.now().Before(ik.next) {
			err := ik.err
			ik.mu.Unlock()
			if err != nil {
				return publicKey{}, fmt.Errorf("JWKS %s: %w (next try in at most %s)", ik.url, err, RetryInterval)
			}
			return publicKey{}, fmt.Errorf("kid %q: %w (refetched at most every %s)", kid, errUnknownKey, RefreshInterval)
		}
		ch = make(chan struct{})
		ik.inflight = ch
		// The fetch runs detached from this request: a client that goes away does not
		// fail the fetch the others wait for. It ends within FetchTimeout.
		go k.fetch(ik, ch)
	}
	ik.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return publicKey{}, ctx.Err()
	}
	if set := ik.set.Load(); set != nil {
		if key, ok := (*set)[kid]; ok {
			return key, nil
		}
	}
	ik.mu.Lock()
	err := ik.err
	ik.mu.Unlock()
	if err != nil {
		return publicKey{}, fmt.Errorf("JWKS %s: %w", ik.url, err)
	}
	return publicKey{}, fmt.Errorf("kid %q: %w", kid, errUnknownKey)
}

func (k *Keys) issuer(issuer string) *issuerKeys {
	k.mu.Lock()
	defer k.mu.Unlock()
	ik := k.issuers[issuer]
	if ik == nil {
		ik = &issuerKeys{url: JWKSURL(issuer)}
		k.issuers[issuer] = ik
	}
	return ik
}

// fetch reads ik's JWKS once and publishes it, then ends the fetch ch stands for.
func (k *Keys) fetch(ik *issuerKeys, ch chan struct{}) {
	set, err := k.read(ik.url)
	ik.mu.Lock()
	defer ik.mu.Unlock()
	if err != nil {
		ik.err = err
		ik.next = k.now().Add(RetryInterval)
	} else {
		ik.set.Store(&set)
		ik.err = nil
		ik.next = k.now().Add(RefreshInterval)
	}
	ik.inflight = nil
	close(ch)
}

func (k *Keys) read(url string) (keySet, error) {
	ctx, cancel := context.WithTimeout(context.Background(), FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxJWKSBytes {
		return nil, fmt.Errorf("JWKS is larger than %d bytes", MaxJWKSBytes)
	}
	return parseJWKS(body)
}

// parseJWKS reads a JWKS document into its usable public keys by kid. Keys without a kid,
// private or symmetric keys, keys for encryption ("use": "enc") and keys of unknown types
// are left out: a token can only name a kid, and gatehouse verifies signatures with
// public keys only (a symmetric key would let whoever can read the JWKS sign).
func parseJWKS(body []byte) (keySet, error) {
	set, err := jwk.Parse(body)
	if err != nil {
		return nil, err
	}
	out := make(keySet, set.Len())
	for i := range set.Len() {
		key, _ := set.Key(i)
		kid, ok := key.KeyID()
		if !ok || kid == "" {
			continue
		}
		var use string
		if key.Has("use") && key.Get("use", &use) == nil && use != "" && use != "sig" {
			continue
		}
		var raw any
		if err := jwk.Export(key, &raw); err != nil {
			continue
		}
		switch raw.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		default: // private, symmetric, X25519, ...
			continue
		}
		pk := publicKey{kid: kid, raw: raw}
		if alg, ok := key.Algorithm(); ok {
			pk.alg = alg.String()
		}
		if _, dup := out[kid]; !dup { // the first of a kid, as jwk.Set.LookupKeyID
			out[kid] = pk
		}
	}
	return out, nil
}
