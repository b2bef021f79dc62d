package gateway

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/jwtauth/jwttest"
	"github.com/gatehouse/gatehouse/internal/lambdacall"
)

const (
	testPoolARN    = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Test1"
	testNoIssuerID = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_NoIssuer"
	testLambdaARN  = "arn:aws:lambda:us-east-1:123456789012:function:claims"
)

// cognitoMethod is method m behind the COGNITO_USER_POOLS authorizer id with scopes.
func cognitoMethod(m *apigateway.Method, id string, scopes ...string) *apigateway.Method {
	m.AuthorizationType = apigateway.AuthorizationCognitoUserPools
	m.AuthorizerID = id
	m.AuthorizationScopes = scopes
	return m
}

// cognitoSetup serves an API whose methods use Cognito authorizers: a MOCK method whose
// template prints claims, a scoped one, a Lambda proxy method echoing
// requestContext.authorizer, and one whose pool has no issuer. The returned clock is the
// gateway's.
func cognitoSetup(t testing.TB) (*Server, *jwttest.Issuer, jwttest.Key, jwttest.Key, *atomic.Int64) {
	rsaKey := jwttest.Key{Kid: "rsa1", Alg: "RS256", Private: jwttest.RSAKey(0)}
	ecKey := jwttest.Key{Kid: "ec1", Alg: "ES256", Private: jwttest.ECKey(elliptic.P256())}
	iss := jwttest.NewIssuer(t, rsaKey, ecKey)
	var now atomic.Int64
	now.Store(time.Unix(1_800_000_000, 0).UnixNano())
	lambda := cognitoMethod(&apigateway.Method{MethodIntegration: &apigateway.Integration{Type: apigateway.IntegrationAWSProxy, HTTPMethod: "POST",
		URI: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + testLambdaARN + "/invocations"}}, "pool")
	doc := buildAPI("cog1", map[string]*apigateway.Method{
		"GET /pets":             cognitoMethod(mockMethod(`{"sub":"$context.authorizer.claims.sub","email":"$context.authorizer.claims.email","groups":"$context.authorizer.claims['cognito:groups']","n":$context.authorizer.claims.size()}`), "pool"),
		"GET /scoped":           cognitoMethod(mockMethod(`{"scope":"$context.authorizer.claims.scope"}`), "pool", "pets/read"),
		"GET /lambda":           lambda,
		"GET /nopool":           cognitoMethod(mockMethod(`{}`), "nopool"),
		"GET /open":             mockMethod(`{"claims":"$context.authorizer.claims"}`),
		"GET /bench/authorized": cognitoMethod(mockMethod(`{"ok":true}`), "pool"),
		"GET /bench/open":       mockMethod(`{"ok":true}`),
	}, nil)
	doc.Authorizers = map[string]*apigateway.Authorizer{
		"pool":   {ID: "pool", Name: "pool", Type: apigateway.AuthorizerCognitoUserPools, ProviderARNs: []string{testPoolARN}, IdentitySource: "method.request.header.Authorization"},
		"nopool": {ID: "nopool", Name: "nopool", Type: apigateway.AuthorizerCognitoUserPools, ProviderARNs: []string{testNoIssuerID}, IdentitySource: "method.request.header.Authorization"},
	}
	s := newStore(t)
	deploy(t, s, doc, "d1", "prod", nil)
	srv := startServer(t, s, Config{
		JWTIssuers: map[string]string{testPoolARN: iss.URL},
		Now:        func() time.Time { return time.Unix(0, now.Load()) },
		Lambda:     fixtureInvoker{testLambdaARN: {Echo: []string{"requestContext.authorizer", "requestContext.resourceId", "requestContext.resourcePath"}}},
	})
	return srv, iss, rsaKey, ecKey, &now
}

func idToken(key jwttest.Key, alg, issuer string, now int64, mod func(map[string]any)) string {
	c := map[string]any{
		"sub": "u-1", "aud": "client1", "token_use": "id", "iss": issuer, "email": "jane@example.com",
		"cognito:groups": []string{"admins", "operators"}, "auth_time": now - 60, "iat": now - 60, "exp": now + 3600,
	}
	if mod != nil {
		mod(c)
	}
	return jwttest.Sign(key, alg, c)
}

func serveAuth(srv *Server, path, authorization string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/restapis/cog1/prod/_user_request_"+path, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec
}

func TestCognitoAuthorizer(t *testing.T) {
	t.Parallel()
	srv, iss, rsaKey, ecKey, now := cognitoSetup(t)
	sec := time.Unix(0, now.Load()).Unix()
	good := idToken(rsaKey, "RS256", iss.URL, sec, nil)
	access := func(scope string) string {
		return jwttest.Sign(rsaKey, "RS256", map[string]any{"sub": "u-1", "token_use": "access", "scope": scope, "client_id": "client1", "iss": iss.URL, "exp": sec + 3600})
	}
	const unauthorized = `{"message":"Unauthorized"}`
	tests := []struct {
		name, path, authorization string
		status                    int
		body                      string
	}{
		{"ID token", "/pets", good, 200, `{"sub":"u-1","email":"jane@example.com","groups":"[admins operators]","n":9}`},
		{"Bearer ID token", "/pets", "Bearer " + good, 200, `{"sub":"u-1","email":"jane@example.com","groups":"[admins operators]","n":9}`},
		{"ES256 ID token", "/pets", idToken(ecKey, "ES256", iss.URL, sec, nil), 200, `{"sub":"u-1","email":"jane@example.com","groups":"[admins operators]","n":9}`},
		{"missing header", "/pets", "", 401, unauthorized},
		{"garbage", "/pets", "Bearer nope", 401, unauthorized},
		{"expired", "/pets", idToken(rsaKey, "RS256", iss.URL, sec, func(c map[string]any) { c["exp"] = sec - 60 }), 401, unauthorized},
		{"not yet valid", "/pets", idToken(rsaKey, "RS256", iss.URL, sec, func(c map[string]any) { c["nbf"] = sec + 60 }), 401, unauthorized},
		{"wrong issuer", "/pets", idToken(rsaKey, "RS256", "https://evil.example/pool", sec, nil), 401, unauthorized},
		{"bad signature", "/pets", good[:len(good)-2] + "AA", 401, unauthorized},
		{"access token on a method without scopes", "/pets", access("pets/read"), 401, unauthorized},
		{"access token with the scope", "/scoped", access("openid pets/read"), 200, `{"scope":"openid pets/read"}`},
		{"access token without the scope", "/scoped", access("pets/write"), 401, unauthorized},
		{"ID token on a scoped method", "/scoped", good, 401, unauthorized},
		{"pool without --jwt-issuer", "/nopool", good, 401, unauthorized},
		{"no authorizer: claims are null", "/open", good, 200, `{"claims":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := serveAuth(srv, tt.path, tt.authorization)
			if rec.Code != tt.status || rec.Body.String() != tt.body {
				t.Fatalf("GET %s = %d %s; want %d %s", tt.path, rec.Code, rec.Body, tt.status, tt.body)
			}
			if tt.status == 401 {
				if got := hget(rec.Header(), "x-amzn-ErrorType"); got != "UnauthorizedException" {
					t.Errorf("x-amzn-ErrorType = %q; want UnauthorizedException", got)
				}
			}
		})
	}
}

// TestCognitoClaimsInProxyEvent: requestContext.authorizer.claims holds every claim as a
// string, between resourceId and resourcePath as AWS's events have it.
func TestCognitoClaimsInProxyEvent(t *testing.T) {
	t.Parallel()
	srv, iss, rsaKey, _, now := cognitoSetup(t)
	sec := time.Unix(0, now.Load()).Unix()
	rec := serveAuth(srv, "/lambda", idToken(rsaKey, "RS256", iss.URL, sec, func(c map[string]any) {
		c["email_verified"] = true
		c["iat"] = 1701796972
		c["auth_time"] = 1701796972
	}))
	if rec.Code != 200 {
		t.Fatalf("status %d %s", rec.Code, rec.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	claims, _ := got["requestContext.authorizer"].(map[string]any)["claims"].(map[string]any)
	want := map[string]string{
		"sub": "u-1", "aud": "client1", "token_use": "id", "iss": iss.URL, "email": "jane@example.com", "email_verified": "true",
		"cognito:groups": "[admins operators]", "auth_time": "1701796972", "iat": "Tue Dec 05 17:22:52 UTC 2023",
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claims[%q] = %#v; want %q", k, claims[k], v)
		}
	}
	if exp := time.Unix(sec+3600, 0).UTC().Format("Mon Jan 02 15:04:05 UTC 2006"); claims["exp"] != exp {
		t.Errorf("claims[exp] = %#v; want %q", claims["exp"], exp)
	}
	if len(claims) != len(want)+1 {
		t.Errorf("claims = %v; want %d", claims, len(want)+1)
	}
}

// TestCognitoEventOrder: the event's authorizer member comes right after resourceId.
func TestCognitoEventOrder(t *testing.T) {
	t.Parallel()
	_, iss, rsaKey, _, now := cognitoSetup(t)
	sec := time.Unix(0, now.Load()).Unix()
	s := newStore(t)
	doc := buildAPI("cog2", map[string]*apigateway.Method{
		"GET /lambda": cognitoMethod(&apigateway.Method{MethodIntegration: &apigateway.Integration{Type: apigateway.IntegrationAWSProxy, HTTPMethod: "POST",
			URI: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + testLambdaARN + "/invocations"}}, "pool"),
	}, nil)
	doc.Authorizers = map[string]*apigateway.Authorizer{
		"pool": {ID: "pool", Type: apigateway.AuthorizerCognitoUserPools, ProviderARNs: []string{testPoolARN}, IdentitySource: "method.request.header.Authorization"},
	}
	deploy(t, s, doc, "d1", "prod", nil)
	events := make(chan []byte, 1)
	srv2 := startServer(t, s, Config{
		JWTIssuers: map[string]string{testPoolARN: iss.URL},
		Now:        func() time.Time { return time.Unix(0, now.Load()) },
		Lambda:     invokerFunc(func(payload []byte) { events <- bytes.Clone(payload) }),
	})
	req := httptest.NewRequest("GET", "/restapis/cog2/prod/_user_request_/lambda", nil)
	req.Header.Set("Authorization", idToken(rsaKey, "RS256", iss.URL, sec, nil))
	rec := httptest.NewRecorder()
	srv2.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("status %d %s", rec.Code, rec.Body)
	}
	ev := string(<-events)
	i, j, k := strings.Index(ev, `"resourceId":`), strings.Index(ev, `,"authorizer":{"claims":{"aud":"client1",`), strings.Index(ev, `,"resourcePath":`)
	if i < 0 || j < i || k < j {
		t.Fatalf("event = %s; want resourceId, authorizer.claims, resourcePath in order", ev)
	}
}

// invokerFunc is a Lambda that answers 200 and hands its payload to a test.
type invokerFunc func(payload []byte)

func (f invokerFunc) Invoke(_ context.Context, in lambdacall.Invocation) (lambdacall.Result, error) {
	f(in.Payload)
	return lambdacall.Result{Payload: []byte(`{"statusCode":200,"body":"ok"}`)}, nil
}

// BenchmarkPipelineMockCognito is BenchmarkPipelineMock behind a Cognito authorizer, one
// token for every request (a client's usual traffic): compare the two.
func BenchmarkPipelineMockCognito(b *testing.B) {
	srv, iss, rsaKey, _, now := cognitoSetup(b)
	tok := idToken(rsaKey, "RS256", iss.URL, time.Unix(0, now.Load()).Unix(), nil)
	benchAuthorized(b, srv, "/bench/authorized", "Bearer "+tok)
}

// BenchmarkPipelineMockCognitoBaseline is the same stage's method without an authorizer,
// with the same request.
func BenchmarkPipelineMockCognitoBaseline(b *testing.B) {
	srv, iss, rsaKey, _, now := cognitoSetup(b)
	tok := idToken(rsaKey, "RS256", iss.URL, time.Unix(0, now.Load()).Unix(), nil)
	benchAuthorized(b, srv, "/bench/open", "Bearer "+tok)
}

func benchAuthorized(b *testing.B, srv *Server, path, authorization string) {
	req := httptest.NewRequest("GET", "/prod"+path, nil)
	req.Host = "cog1.execute-api.localhost"
	req.RemoteAddr = "192.0.2.1:1234"
	req.Header.Set("Authorization", authorization)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.reset()
		srv.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("status %d; want 200", w.code)
		}
	}
}

// TestCognitoTestInvokeAuthorizer: TestInvokeAuthorizer checks an ID token as a method
// without scopes does, answering the claims or clientStatus 401.
func TestCognitoTestInvokeAuthorizer(t *testing.T) {
	t.Parallel()
	srv, iss, rsaKey, _, now := cognitoSetup(t)
	sec := time.Unix(0, now.Load()).Unix()
	az := &apigateway.Authorizer{ID: "pool", Type: apigateway.AuthorizerCognitoUserPools, ProviderARNs: []string{testPoolARN}, IdentitySource: "method.request.header.Authorization"}
	for _, tt := range []struct {
		name, token string
		status      int
	}{
		{"ID token", idToken(rsaKey, "RS256", iss.URL, sec, nil), 200},
		{"expired", idToken(rsaKey, "RS256", iss.URL, sec, func(c map[string]any) { c["exp"] = sec - 60 }), 401},
		{"none", "", 401},
	} {
		in := &apigateway.TestInvokeAuthorizerRequest{Headers: map[string]string{}}
		if tt.token != "" {
			in.Headers["Authorization"] = tt.token
		}
		out, err := srv.TestInvokeAuthorizer(context.Background(), "cog1", az, nil, in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if out.ClientStatus != tt.status || (tt.status == 200) != (out.Claims["email"] == "jane@example.com") || !strings.Contains(out.Log, "Starting authorizer: pool") {
			t.Errorf("%s: TestInvokeAuthorizer = %+v; want clientStatus %d", tt.name, out, tt.status)
		}
	}
}
