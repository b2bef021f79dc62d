// Package jwttest is for tests only: an OIDC issuer served over HTTP (its JWKS at
// {URL}/.well-known/jwks.json) whose keys a test adds and removes, and tokens signed with
// them, written by hand (not by the library under test) so that broken ones can be made too.
package jwttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Key is a signing key as a JWKS publishes it.
type Key struct {
	Kid string
	// Alg is written as the JWK's alg; empty leaves it out.
	Alg     string
	Private crypto.Signer // *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey
}

var (
	rsaMu   sync.Mutex
	rsaKeys []*rsa.PrivateKey
)

// RSAKey returns RSA key number n (2048 bits), generated once per process: RSA key
// generation is slow, and tests need only a few different ones.
func RSAKey(n int) *rsa.PrivateKey {
	rsaMu.Lock()
	defer rsaMu.Unlock()
	for len(rsaKeys) <= n {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKeys = append(rsaKeys, k)
	}
	return rsaKeys[n]
}

// ECKey returns a new ECDSA key on curve.
func ECKey(curve elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// EdKey returns a new Ed25519 key.
func EdKey() ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// Issuer is an OIDC issuer over HTTP: URL is its issuer URL (tokens' iss), and its JWKS is
// served below it. Safe for concurrent use.
type Issuer struct {
	URL string

	mu      sync.Mutex
	keys    []Key
	status  int           // 0: 200 with the JWKS
	gate    chan struct{} // non-nil: fetches wait for it to close
	entered chan struct{} // a fetch sends here before waiting at the gate
	fetches atomic.Int64
}

// NewIssuer serves an issuer with keys until the test ends. Its URL has a path
// ({server}/pool), as Cognito's issuers do.
func NewIssuer(t testing.TB, keys ...Key) *Issuer {
	iss := &Issuer{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pool/.well-known/jwks.json", iss.serveJWKS)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		iss.Release()
		srv.Close()
	})
	iss.URL = srv.URL + "/pool"
	return iss
}

func (iss *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	iss.fetches.Add(1)
	iss.mu.Lock()
	gate, entered := iss.gate, iss.entered
	iss.mu.Unlock()
	if gate != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	iss.mu.Lock()
	status, body := iss.status, iss.jwks()
	iss.mu.Unlock()
	if status != 0 {
		http.Error(w, "failing on purpose", status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// Fetches counts the JWKS requests served so far.
func (iss *Issuer) Fetches() int64 { return iss.fetches.Load() }

// AddKey publishes k from the next fetch on.
func (iss *Issuer) AddKey(k Key) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.keys = append(iss.keys, k)
}

// SetStatus makes fetches fail with status (0: serve the JWKS again).
func (iss *Issuer) SetStatus(status int) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.status = status
}

// Block makes fetches wait until Release; the returned channel receives when one starts
// waiting.
func (iss *Issuer) Block() <-chan struct{} {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.gate = make(chan struct{})
	iss.entered = make(chan struct{}, 1)
	return iss.entered
}

// Release lets blocked fetches go on.
func (iss *Issuer) Release() {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	if iss.gate != nil {
		close(iss.gate)
		iss.gate = nil
	}
}

func (iss *Issuer) jwks() []byte {
	var b strings.Builder
	b.WriteString(`{"keys":[`)
	for i, k := range iss.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(JWK(k))
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// JWK is k's public key as a JWK.
func JWK(k Key) []byte {
	m := map[string]string{"kid": k.Kid, "use": "sig"}
	if k.Alg != "" {
		m["alg"] = k.Alg
	}
	switch p := k.Private.(type) {
	case *rsa.PrivateKey:
		m["kty"] = "RSA"
		m["n"] = b64(p.N.Bytes())
		m["e"] = b64(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PrivateKey:
		m["kty"] = "EC"
		m["crv"] = p.Curve.Params().Name
		size := (p.Curve.Params().BitSize + 7) / 8
		pub, err := p.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			panic(err)
		}
		m["x"] = b64(pub[1 : 1+size])
		m["y"] = b64(pub[1+size:])
	case ed25519.PrivateKey:
		m["kty"] = "OKP"
		m["crv"] = "Ed25519"
		m["x"] = b64(p.Public().(ed25519.PublicKey))
	default:
		panic(fmt.Sprintf("jwttest: key type %T", k.Private))
	}
	b, _ := json.Marshal(m)
	return b
}

// Sign returns a compact JWT of claims signed with k by alg, its header naming k.Kid.
func Sign(k Key, alg string, claims map[string]any) string {
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	return SignRaw(k, map[string]any{"alg": alg, "kid": k.Kid, "typ": "JWT"}, payload)
}

// SignRaw signs payload under header with k by header's alg ("none" leaves the signature
// empty).
func SignRaw(k Key, header map[string]any, payload []byte) string {
	h, _ := json.Marshal(header)
	input := b64(h) + "." + b64(payload)
	alg, _ := header["alg"].(string)
	return input + "." + b64(signature(k.Private, alg, input))
}

// SignHMAC signs payload under header with secret by HS256, whatever header's alg says:
// the key-confusion attack when secret is a published public key.
func SignHMAC(secret []byte, header map[string]any, payload []byte) string {
	h, _ := json.Marshal(header)
	input := b64(h) + "." + b64(payload)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + b64(mac.Sum(nil))
}

func signature(key crypto.Signer, alg, input string) []byte {
	if alg == "none" {
		return nil
	}
	if alg == "EdDSA" {
		return ed25519.Sign(key.(ed25519.PrivateKey), []byte(input))
	}
	var h crypto.Hash
	var hf func() hash.Hash
	switch alg[2:] {
	case "256":
		h, hf = crypto.SHA256, sha256.New
	case "384":
		h, hf = crypto.SHA384, sha512.New384
	case "512":
		h, hf = crypto.SHA512, sha512.New
	default:
		panic("jwttest: alg " + alg)
	}
	d := hf()
	d.Write([]byte(input))
	digest := d.Sum(nil)
	var sig []byte
	var err error
	switch {
	case strings.HasPrefix(alg, "RS"):
		sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), h, digest)
	case strings.HasPrefix(alg, "PS"):
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case strings.HasPrefix(alg, "ES"):
		k := key.(*ecdsa.PrivateKey)
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, k, digest)
		if err == nil {
			size := (k.Curve.Params().BitSize + 7) / 8
			sig = make([]byte, 2*size)
			r.FillBytes(sig[:size])
			s.FillBytes(sig[size:])
		}
	default:
		panic("jwttest: alg " + alg)
	}
	if err != nil {
		panic(err)
	}
	return sig
}
