package jwtauth

import (
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/jwtauth/jwttest"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// clock is an injected clock tests move by hand.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Unix(1_800_000_000, 0).UnixNano())
	return c
}
func (c *clock) Now() time.Time             { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration)    { c.ns.Add(int64(d)) }
func (c *clock) Unix(d time.Duration) int64 { return c.Now().Add(d).Unix() }

// fixture is an issuer with an RSA (RS256), an EC P-256 (ES256) and an Ed25519 key, and an
// authorizer builder over one shared verifier.
type fixture struct {
	iss   *jwttest.Issuer
	rsa   jwttest.Key
	ec    jwttest.Key
	ed    jwttest.Key
	clock *clock
	v     *Verifier
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{
		rsa:   jwttest.Key{Kid: "rsa1", Alg: "RS256", Private: jwttest.RSAKey(0)},
		ec:    jwttest.Key{Kid: "ec1", Alg: "ES256", Private: jwttest.ECKey(elliptic.P256())},
		ed:    jwttest.Key{Kid: "ed1", Private: jwttest.EdKey()}, // a JWK without alg
		clock: newClock(),
	}
	f.iss = jwttest.NewIssuer(t, f.rsa, f.ec, f.ed)
	f.v = NewVerifier(NewKeys(nil, f.clock.Now))
	return f
}

func (f *fixture) authorizer(mod func(*Config)) *Authorizer {
	cfg := Config{Header: "Authorization", Issuers: []string{f.iss.URL}, Now: f.clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	return NewAuthorizer(cfg, f.v)
}

// idClaims are an ID token's claims, as Cognito writes them.
func (f *fixture) idClaims(mod func(map[string]any)) map[string]any {
	c := map[string]any{
		"sub":              "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
		"aud":              "client123",
		"email_verified":   true,
		"token_use":        "id",
		"auth_time":        f.clock.Unix(-time.Minute),
		"iss":              f.iss.URL,
		"cognito:username": "janedoe",
		"cognito:groups":   []string{"admins", "operators"},
		"exp":              f.clock.Unix(time.Hour),
		"iat":              f.clock.Unix(-time.Minute),
		"email":            "janedoe@example.com",
	}
	if mod != nil {
		mod(c)
	}
	return c
}

func (f *fixture) accessClaims(scope string) map[string]any {
	return map[string]any{
		"sub": "s", "token_use": "access", "scope": scope, "client_id": "client123",
		"iss": f.iss.URL, "exp": f.clock.Unix(time.Hour), "iat": f.clock.Unix(0), "username": "janedoe",
	}
}

func request(header string, values ...string) *invoke.Request {
	h := http.Header{}
	for _, v := range values {
		h.Add(header, v)
	}
	return &invoke.Request{Header: h}
}

// wantUnauthorized checks err is AWS's 401 for a refused token.
func wantUnauthorized(t *testing.T, err error) {
	t.Helper()
	e, ok := invoke.AsError(err)
	if !ok || e.Type != apigateway.ResponseUnauthorized || e.Message != "Unauthorized" || e.Status != 0 {
		t.Fatalf("err = %v; want UNAUTHORIZED \"Unauthorized\"", err)
	}
}

func TestAuthorizeAccepts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	cases := []struct {
		name   string
		auth   *Authorizer
		header string
	}{
		{"RS256 ID token, bare", f.authorizer(nil), jwttest.Sign(f.rsa, "RS256", f.idClaims(nil))},
		{"Bearer scheme", f.authorizer(nil), "Bearer " + jwttest.Sign(f.rsa, "RS256", f.idClaims(nil))},
		{"bearer scheme in lower case", f.authorizer(nil), "bearer " + jwttest.Sign(f.rsa, "RS256", f.idClaims(nil))},
		{"ES256", f.authorizer(nil), jwttest.Sign(f.ec, "ES256", f.idClaims(nil))},
		{"EdDSA, key without alg", f.authorizer(nil), jwttest.Sign(f.ed, "EdDSA", f.idClaims(nil))},
		{"expired within leeway", f.authorizer(nil), jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { c["exp"] = f.clock.Unix(-2 * time.Second) }))},
		{"nbf within leeway", f.authorizer(nil), jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { c["nbf"] = f.clock.Unix(2 * time.Second) }))},
		{"nbf passed", f.authorizer(nil), jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { c["nbf"] = f.clock.Unix(-time.Minute) }))},
		{"aud matches identityValidationExpression", f.authorizer(func(c *Config) { c.Audience, _ = CompileAudience("client[0-9]+") }), jwttest.Sign(f.rsa, "RS256", f.idClaims(nil))},
		{"aud array, one matches", f.authorizer(func(c *Config) { c.Audience, _ = CompileAudience("client123") }), jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { c["aud"] = []string{"x", "client123"} }))},
		{"access token with one of the scopes", f.authorizer(func(c *Config) { c.Scopes = []string{"pets/read", "pets/write"} }), jwttest.Sign(f.rsa, "RS256", f.accessClaims("openid pets/write"))},
		{"second issuer of the authorizer", f.authorizer(func(c *Config) { c.Issuers = []string{"https://other.example/pool", f.iss.URL} }), jwttest.Sign(f.rsa, "RS256", f.idClaims(nil))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := tc.auth.Authorize(ctx, request("Authorization", tc.header))
			if err != nil {
				t.Fatalf("Authorize = %v; want admitted", err)
			}
			if len(res.Claims) == 0 || res.PrincipalID != "" {
				t.Fatalf("result = %+v; want claims", res)
			}
		})
	}
}

func TestAuthorizeRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	other := jwttest.Key{Kid: "rsa1", Alg: "RS256", Private: jwttest.RSAKey(1)} // right kid, wrong key
	p384 := jwttest.Key{Kid: "ec1", Private: jwttest.ECKey(elliptic.P384())}
	good := jwttest.Sign(f.rsa, "RS256", f.idClaims(nil))
	payload, _ := json.Marshal(f.idClaims(nil))
	pub, _ := x509.MarshalPKIXPublicKey(f.rsa.Private.Public())
	idOnly := f.authorizer(nil)
	scoped := f.authorizer(func(c *Config) { c.Scopes = []string{"pets/read"} })
	cases := []struct {
		name   string
		auth   *Authorizer
		header []string // none: no header
	}{
		{"no header", idOnly, nil},
		{"empty header", idOnly, []string{""}},
		{"Bearer and nothing", idOnly, []string{"Bearer "}},
		{"not a JWT", idOnly, []string{"allow"}},
		{"two parts", idOnly, []string{"a.b"}},
		{"four parts", idOnly, []string{good + ".x"}},
		{"header not base64url", idOnly, []string{"%%%." + strings.SplitN(good, ".", 2)[1]}},
		{"expired", idOnly, []string{jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { c["exp"] = f.clock.Unix(-time.Minute) }))}},
		{"expired at leeway", idOnly, []string{jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { c["exp"] = f.clock.Unix(-Leeway) }))}},
		{"no exp", idOnly, []string{jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { delete(c, "exp") }))}},
		{"exp a string", idOnly, []string{jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { c["exp"] = "tomorrow" }))}},
		{"not yet valid", idOnly, []string{jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { c["nbf"] = f.clock.Unix(time.Minute) }))}},
		{"wrong issuer", idOnly, []string{jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { c["iss"] = "https://evil.example/pool" }))}},
		{"issuer with trailing slash", idOnly, []string{jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { c["iss"] = f.iss.URL + "/" }))}},
		{"no issuer", idOnly, []string{jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { delete(c, "iss") }))}},
		{"wrong audience", f.authorizer(func(c *Config) { c.Audience, _ = CompileAudience("client9") }), []string{good}},
		{"audience must match whole", f.authorizer(func(c *Config) { c.Audience, _ = CompileAudience("client") }), []string{good}},
		{"access token has no aud", f.authorizer(func(c *Config) { c.Audience, _ = CompileAudience(".*"); c.Scopes = []string{"pets/read"} }), []string{jwttest.Sign(f.rsa, "RS256", f.accessClaims("pets/read"))}},
		{"bad signature", idOnly, []string{good[:len(good)-4] + flip(good[len(good)-4:])}},
		{"signed by another key with the kid", idOnly, []string{jwttest.Sign(other, "RS256", f.idClaims(nil))}},
		{"payload changed after signing", idOnly, []string{swapPayload(good, f.idClaims(func(c map[string]any) { c["email"] = "admin@example.com" }))}},
		{"alg none", idOnly, []string{jwttest.SignRaw(f.rsa, map[string]any{"alg": "none", "kid": "rsa1"}, payload)}},
		{"alg none with a signature", idOnly, []string{jwttest.SignRaw(f.rsa, map[string]any{"alg": "none", "kid": "rsa1"}, payload) + "c2ln"}},
		{"HS256 keyed with the public key", idOnly, []string{jwttest.SignHMAC(pub, map[string]any{"alg": "HS256", "kid": "rsa1"}, payload)}},
		{"RS256 key used as PS256", idOnly, []string{jwttest.Sign(f.rsa, "PS256", f.idClaims(nil))}},
		{"RSA key named by an ES256 token", idOnly, []string{jwttest.SignRaw(f.ec, map[string]any{"alg": "ES256", "kid": "rsa1"}, payload)}},
		{"P-384 signature for the P-256 kid", idOnly, []string{jwttest.Sign(p384, "ES384", f.idClaims(nil))}},
		{"unknown kid", idOnly, []string{jwttest.Sign(jwttest.Key{Kid: "nope", Private: jwttest.RSAKey(1)}, "RS256", f.idClaims(nil))}},
		{"no kid", idOnly, []string{jwttest.SignRaw(f.rsa, map[string]any{"alg": "RS256"}, payload)}},
		{"critical header", idOnly, []string{jwttest.SignRaw(f.rsa, map[string]any{"alg": "RS256", "kid": "rsa1", "crit": []string{"exp"}, "exp": 1}, payload)}},
		{"duplicate claim", idOnly, []string{jwttest.SignRaw(f.rsa, map[string]any{"alg": "RS256", "kid": "rsa1"}, []byte(`{"iss":"`+f.iss.URL+`","token_use":"id","exp":9999999999,"token_use":"access"}`))}},
		{"payload not an object", idOnly, []string{jwttest.SignRaw(f.rsa, map[string]any{"alg": "RS256", "kid": "rsa1"}, []byte(`["iss"]`))}},
		{"access token, method without scopes", idOnly, []string{jwttest.Sign(f.rsa, "RS256", f.accessClaims("pets/read"))}},
		{"ID token, method with scopes", scoped, []string{good}},
		{"no token_use", idOnly, []string{jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { delete(c, "token_use") }))}},
		{"scope mismatch", scoped, []string{jwttest.Sign(f.rsa, "RS256", f.accessClaims("openid pets/write"))}},
		{"scope prefix is no scope", scoped, []string{jwttest.Sign(f.rsa, "RS256", f.accessClaims("pets/reader pets"))}},
		{"no scope claim", scoped, []string{jwttest.Sign(f.rsa, "RS256", func() map[string]any { c := f.accessClaims(""); delete(c, "scope"); return c }())}},
		{"no issuer configured", f.authorizer(func(c *Config) {
			c.Issuers, c.Unconfigured = nil, []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_x"}
		}), []string{good}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.auth.Authorize(ctx, request("Authorization", tc.header...))
			wantUnauthorized(t, err)
		})
	}
	// The valid token still passes: the refusals above did not poison the caches.
	if _, err := idOnly.Authorize(ctx, request("Authorization", good)); err != nil {
		t.Fatalf("valid token after the refusals: %v", err)
	}
}

// flip changes a base64url tail so that it decodes to other bytes.
func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

// swapPayload puts another payload between tok's header and signature.
func swapPayload(tok string, claims map[string]any) string {
	parts := strings.Split(tok, ".")
	other := jwttest.SignRaw(jwttest.Key{}, map[string]any{"alg": "none"}, mustJSON(claims))
	parts[1] = strings.Split(other, ".")[1]
	return strings.Join(parts, ".")
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestAuthorizeClock: a cached token is held to the clock on every request.
func TestAuthorizeClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.authorizer(nil)
	tok := jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) {
		c["nbf"] = f.clock.Unix(time.Minute)
		c["exp"] = f.clock.Unix(2 * time.Minute)
	}))
	steps := []struct {
		advance time.Duration
		ok      bool
	}{{0, false}, {time.Minute, true}, {30 * time.Second, true}, {time.Minute, false}}
	for i, s := range steps {
		f.clock.Advance(s.advance)
		_, err := a.Authorize(context.Background(), request("Authorization", tok))
		if (err == nil) != s.ok {
			t.Fatalf("step %d at %s: err = %v; want ok %v", i, f.clock.Now().UTC(), err, s.ok)
		}
	}
}

func TestAuthorizeClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := jwttest.SignRaw(f.rsa, map[string]any{"alg": "RS256", "kid": "rsa1"}, []byte(`{"sub":"u1","iss":"`+f.iss.URL+`",`+
		`"token_use":"id","email_verified":true,"auth_time":1701796972,"exp":1801796972,"iat":1701796972,`+
		`"cognito:groups":["admins","operators"],"n":1.5,"obj":{"a": [1, "x"]},"nested":[{"a":1},"s",2],"esc":"a\"b"}`))
	res, err := f.authorizer(nil).Authorize(context.Background(), request("Authorization", tok))
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{
		{"sub", "u1"}, {"iss", f.iss.URL}, {"token_use", "id"}, {"email_verified", "true"},
		{"auth_time", "1701796972"}, {"exp", "Fri Feb 05 03:09:32 UTC 2027"}, {"iat", "Tue Dec 05 17:22:52 UTC 2023"},
		{"cognito:groups", "[admins operators]"}, {"n", "1.5"}, {"obj", `{"a":[1,"x"]}`}, {"nested", `[{"a":1} s 2]`}, {"esc", `a"b`},
	}
	if len(res.Claims) != len(want) {
		t.Fatalf("claims = %q;\nwant %q", res.Claims, want)
	}
	for i := range want {
		if got := [2]string{res.Claims[i].Key, res.Claims[i].Value}; got != want[i] {
			t.Errorf("claim %d = %q; want %q", i, got, want[i])
		}
	}
}

// TestKeyRotation: a token naming a kid the cached JWKS lacks refetches it, at most once
// per RefreshInterval.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.authorizer(nil)
	ctx := context.Background()
	if _, err := a.Authorize(ctx, request("Authorization", jwttest.Sign(f.rsa, "RS256", f.idClaims(nil)))); err != nil {
		t.Fatal(err)
	}
	if n := f.iss.Fetches(); n != 1 {
		t.Fatalf("fetches after the first token = %d; want 1", n)
	}
	rotated := jwttest.Key{Kid: "rsa2", Alg: "RS256", Private: jwttest.RSAKey(1)}
	f.iss.AddKey(rotated)
	tok := jwttest.Sign(rotated, "RS256", f.idClaims(nil))
	// The first fetch was just now: within RefreshInterval the new kid is unknown.
	f.clock.Advance(RefreshInterval - time.Second)
	_, err := a.Authorize(ctx, request("Authorization", tok))
	wantUnauthorized(t, err)
	if !errors.Is(err, errUnknownKey) {
		t.Fatalf("err = %v; want the unknown kid", err)
	}
	if n := f.iss.Fetches(); n != 1 {
		t.Fatalf("fetches within the refresh interval = %d; want 1", n)
	}
	f.clock.Advance(time.Second)
	if _, err := a.Authorize(ctx, request("Authorization", tok)); err != nil {
		t.Fatalf("rotated key after the refresh interval: %v", err)
	}
	if n := f.iss.Fetches(); n != 2 {
		t.Fatalf("fetches = %d; want 2", n)
	}
	// Known kids (and cached tokens) need no fetch.
	for range 3 {
		if _, err := a.Authorize(ctx, request("Authorization", jwttest.Sign(f.ec, "ES256", f.idClaims(nil)))); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.iss.Fetches(); n != 2 {
		t.Fatalf("fetches for known kids = %d; want 2", n)
	}
}

// TestJWKSFailure: a JWKS that cannot be read refuses tokens with 401, is retried after
// RetryInterval, and the tokens pass once it can be read.
func TestJWKSFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.authorizer(nil)
	ctx := context.Background()
	tok := jwttest.Sign(f.rsa, "RS256", f.idClaims(nil))
	f.iss.SetStatus(http.StatusInternalServerError)
	_, err := a.Authorize(ctx, request("Authorization", tok))
	wantUnauthorized(t, err)
	_, err = a.Authorize(ctx, request("Authorization", tok))
	wantUnauthorized(t, err)
	if n := f.iss.Fetches(); n != 1 {
		t.Fatalf("fetches within the retry interval = %d; want 1", n)
	}
	f.iss.SetStatus(0)
	f.clock.Advance(RetryInterval)
	if _, err := a.Authorize(ctx, request("Authorization", tok)); err != nil {
		t.Fatalf("after the JWKS recovered: %v", err)
	}
}

// TestConcurrentMissesFetchOnce: requests arriving while a fetch is under way wait for it.
func TestConcurrentMissesFetchOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.authorizer(nil)
	entered := f.iss.Block()
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			// Different tokens: the verified-token cache does not hide the JWKS cache.
			tok := jwttest.Sign(f.rsa, "RS256", f.idClaims(func(c map[string]any) { c["sub"] = i }))
			_, err := a.Authorize(context.Background(), request("Authorization", tok))
			errs <- err
		})
	}
	testwait.Recv(t, entered, testwait.Patient, "the JWKS fetch")
	f.iss.Release()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	testwait.Recv(t, done, testwait.Patient, "the authorizations")
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.iss.Fetches(); got != 1 {
		t.Fatalf("fetches = %d; want 1", got)
	}
}

// TestSlowIssuerBlocksOnlyItself: while one issuer's JWKS hangs, another issuer's tokens
// pass; the hanging one's requests give up at FetchTimeout or their own deadline.
func TestSlowIssuerBlocksOnlyItself(t *testing.T) {
	t.Parallel()
	slow, fast := newFixture(t), newFixture(t)
	v := NewVerifier(NewKeys(nil, slow.clock.Now))
	both := NewAuthorizer(Config{Header: "Authorization", Issuers: []string{slow.iss.URL, fast.iss.URL}, Now: slow.clock.Now}, v)
	entered := slow.iss.Block()
	slowDone := make(chan error, 1)
	go func() {
		_, err := both.Authorize(context.Background(), request("Authorization", jwttest.Sign(slow.rsa, "RS256", slow.idClaims(nil))))
		slowDone <- err
	}()
	testwait.Recv(t, entered, testwait.Patient, "the slow JWKS fetch")
	fastTok := jwttest.Sign(fast.rsa, "RS256", fast.idClaims(func(c map[string]any) { c["exp"] = slow.clock.Unix(time.Hour) }))
	if _, err := both.Authorize(context.Background(), request("Authorization", fastTok)); err != nil {
		t.Fatalf("fast issuer while the slow one hangs: %v", err)
	}
	// A request whose context ends stops waiting.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := both.Authorize(ctx, request("Authorization", jwttest.Sign(slow.ec, "ES256", slow.idClaims(nil)))); err == nil {
		t.Fatal("a cancelled request was admitted")
	}
	// The hanging fetch ends at FetchTimeout: the first request is refused.
	select {
	case err := <-slowDone:
		wantUnauthorized(t, err)
	case <-time.After(testwait.Patient):
		t.Fatal("the request waiting for a hanging JWKS did not end")
	}
}

func TestParseIdentitySource(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"method.request.header.Authorization":              "Authorization",
		" method.request.header.X-Token ":                  "X-Token",
		"method.request.querystring.token":                 "",
		"method.request.header.":                           "",
		"method.request.header.a, method.request.header.b": "",
		"": "",
	} {
		got, err := ParseIdentitySource(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("ParseIdentitySource(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
