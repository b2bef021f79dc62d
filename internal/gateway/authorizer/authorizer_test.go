package authorizer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

const allowAll = `{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:123456789012:api1/*"}]}`

func TestParseAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, out string
		ok        bool
		context   []invoke.AuthorizerValue
		key       string
	}{
		{"full", `{"principalId":"u","policyDocument":` + allowAll + `,"context":{"b":"x","a":1.50,"c":false,"d":null},"usageIdentifierKey":"k"}`, true,
			[]invoke.AuthorizerValue{{Key: "b", Value: `"x"`}, {Key: "a", Value: `1.50`}, {Key: "c", Value: `false`}, {Key: "d", Value: `null`}}, "k"},
		{"no context", `{"principalId":"u","policyDocument":` + allowAll + `}`, true, nil, ""},
		{"no principalId", `{"policyDocument":` + allowAll + `}`, false, nil, ""},
		{"no policy", `{"principalId":"u"}`, false, nil, ""},
		{"null policy", `{"principalId":"u","policyDocument":null}`, false, nil, ""},
		{"bad policy", `{"principalId":"u","policyDocument":{"Statement":"nope"}}`, false, nil, ""},
		{"object in context", `{"principalId":"u","policyDocument":` + allowAll + `,"context":{"o":{}}}`, false, nil, ""},
		{"array in context", `{"principalId":"u","policyDocument":` + allowAll + `,"context":{"o":[1]}}`, false, nil, ""},
		{"context not an object", `{"principalId":"u","policyDocument":` + allowAll + `,"context":"x"}`, false, nil, ""},
		{"not JSON", `nope`, false, nil, ""},
		{"principalId a number", `{"principalId":1,"policyDocument":` + allowAll + `}`, false, nil, ""},
		{"8 KB, AWS's quota", sizedAnswer(MaxAnswerBytes), true, []invoke.AuthorizerValue{{Key: "pad", Value: `"` + strings.Repeat("x", MaxAnswerBytes-len(sizedAnswer(0))) + `"`}}, ""},
		{"over 8 KB", sizedAnswer(MaxAnswerBytes + 1), false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := parseAnswer([]byte(tt.out))
			if (err == nil) != tt.ok {
				t.Fatalf("parseAnswer(%s) error = %v; want ok %v", tt.out, err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if len(a.result.Context) != len(tt.context) {
				t.Fatalf("context = %v; want %v", a.result.Context, tt.context)
			}
			for i := range tt.context {
				if a.result.Context[i] != tt.context[i] {
					t.Errorf("context[%d] = %v; want %v", i, a.result.Context[i], tt.context[i])
				}
			}
			if a.result.UsageIdentifierKey != tt.key || a.result.PrincipalID != "u" {
				t.Errorf("result = %+v; want principalId u, usageIdentifierKey %q", a.result, tt.key)
			}
		})
	}
}

// sizedAnswer is an allowing answer of n bytes (at least its size without padding, n = 0),
// padded by a context value.
func sizedAnswer(n int) string {
	head, tail := `{"principalId":"u","policyDocument":`+allowAll+`,"context":{"pad":"`, `"}}`
	return head + strings.Repeat("x", max(0, n-len(head)-len(tail))) + tail
}

func FuzzParseAnswer(f *testing.F) {
	f.Add([]byte(`{"principalId":"u","policyDocument":` + allowAll + `,"context":{"b":"x","a":1,"c":false}}`))
	f.Add([]byte(`{"principalId":"u","policyDocument":{"Statement":[]},"context":{"o":{}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, out []byte) {
		a, err := parseAnswer(out)
		if err != nil {
			return
		}
		for _, c := range a.result.Context {
			if c.Value == "" || c.Value[0] == '{' || c.Value[0] == '[' {
				t.Fatalf("context value %q accepted", c.Value)
			}
			c.Text()
		}
		if _, err := parseAnswer([]byte(a.doc)); err == nil {
			t.Fatalf("the policy document alone parsed as an answer")
		}
	})
}

func TestIdentity(t *testing.T) {
	t.Parallel()
	tok := &apigateway.Authorizer{ID: "a", Type: apigateway.AuthorizerToken, IdentitySource: "method.request.header.Authorization", IdentityValidationExpression: `Bearer \w+`}
	req := &apigateway.Authorizer{ID: "b", Type: apigateway.AuthorizerRequest, IdentitySource: "method.request.header.H, method.request.querystring.q, stageVariables.v, context.httpMethod"}
	zero := 0
	reqOff := &apigateway.Authorizer{ID: "c", Type: apigateway.AuthorizerRequest, IdentitySource: "method.request.header.H", AuthorizerResultTTLInSeconds: &zero}
	inv := func(h map[string]string, query string) *invoke.Invocation {
		hd := map[string][]string{}
		for k, v := range h {
			hd[k] = []string{v}
		}
		return &invoke.Invocation{HTTPMethod: "GET", Request: invoke.Request{Header: hd, RawQuery: query}}
	}
	tests := []struct {
		name string
		a    *apigateway.Authorizer
		vars map[string]string
		inv  *invoke.Invocation
		want []string // nil: refused
	}{
		{"token", tok, nil, inv(map[string]string{"Authorization": "Bearer abc"}, ""), []string{"Bearer abc"}},
		{"token fails the expression", tok, nil, inv(map[string]string{"Authorization": "Bearer abc def"}, ""), nil},
		{"token prefix only matches nothing", tok, nil, inv(map[string]string{"Authorization": "xBearer abc"}, ""), nil},
		{"no token", tok, nil, inv(nil, ""), nil},
		{"request, all sources", req, map[string]string{"v": "1"}, inv(map[string]string{"H": "h"}, "q=2"), []string{"h", "2", "1", "GET"}},
		{"request, no stage variable", req, nil, inv(map[string]string{"H": "h"}, "q=2"), nil},
		{"request, empty query", req, map[string]string{"v": "1"}, inv(map[string]string{"H": "h"}, "q="), nil},
		{"request without cache, missing source", reqOff, nil, inv(nil, ""), []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			z, err := New(Config{Authorizer: tt.a, StageVariables: tt.vars})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := z.identity(tt.inv, nil)
			if (tt.want != nil) != ok || len(got) != len(tt.want) {
				t.Fatalf("identity = %q, %v; want %q", got, ok, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("identity = %q; want %q", got, tt.want)
				}
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	for _, a := range []*apigateway.Authorizer{
		{ID: "a", Type: apigateway.AuthorizerToken, IdentitySource: "method.request.querystring.x"},
		{ID: "a", Type: apigateway.AuthorizerToken, IdentitySource: "method.request.header.A", IdentityValidationExpression: "("},
		{ID: "a", Type: apigateway.AuthorizerRequest, IdentitySource: "method.request.path.id"},
		{ID: "a", Type: apigateway.AuthorizerCognitoUserPools},
	} {
		if _, err := New(Config{Authorizer: a}); err == nil {
			t.Errorf("New(%+v) succeeded; want an error", a)
		}
	}
}

func TestMemoryCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := NewMemoryCache(10)
	now := time.Unix(1000, 0)
	c.Set(ctx, "a/s/x/1", []byte("v"), now, now.Add(time.Minute))
	c.Set(ctx, "a/t/x/1", []byte("w"), now, now.Add(time.Minute))
	if v, ok, _ := c.Get(ctx, "a/s/x/1", now.Add(59*time.Second)); !ok || string(v) != "v" {
		t.Fatalf("Get within the TTL = %q, %v; want v", v, ok)
	}
	if _, ok, _ := c.Get(ctx, "a/s/x/1", now.Add(time.Minute)); ok {
		t.Fatal("Get at expiry hit; want a miss")
	}
	c.FlushStage(ctx, "a", "s")
	if _, ok, _ := c.Get(ctx, "a/s/x/1", now); ok {
		t.Fatal("Get after FlushStage hit")
	}
	if _, ok, _ := c.Get(ctx, "a/t/x/1", now); !ok {
		t.Fatal("FlushStage(a, s) dropped stage t's entry")
	}
	for i := range 100 {
		c.Set(ctx, "a/s/x/"+string(rune('A'+i)), []byte("v"), now, now.Add(time.Minute))
	}
	if n := c.Len(); n > 10 {
		t.Fatalf("Len = %d after 100 sets; want at most 10", n)
	}
}

// TestCachedValueReplaced: a cache hit is decided by the value the cache holds now, not by
// the answer this node parsed before (another node may have stored a new one), and a value
// that does not parse is a miss that calls the function.
func TestCachedValueReplaced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	allow := []byte(`{"principalId":"u1","policyDocument":` + allowAll + `}`)
	deny := []byte(`{"principalId":"u2","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Deny","Resource":"*"}]}}`)
	calls := 0
	cache := NewMemoryCache(0)
	z, err := New(Config{
		Authorizer: &apigateway.Authorizer{ID: "tok", Type: apigateway.AuthorizerToken, IdentitySource: "method.request.header.Authorization"},
		Region:     "us-east-1", AccountID: "123456789012", APIID: "api1", Stage: "prod",
		Call: func(context.Context, []byte) ([]byte, string, error) {
			calls++
			return allow, "", nil
		},
		Cache: cache,
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	inv := &invoke.Invocation{HTTPMethod: "GET", RequestTime: now,
		Request: invoke.Request{Path: "/pets/7", Header: map[string][]string{"Authorization": {"tok"}}}}
	for range 2 {
		if res, err := z.Authorize(ctx, inv); err != nil || res.PrincipalID != "u1" || calls != 1 {
			t.Fatalf("Authorize = %v, %v after %d calls; want u1 after 1", res, err, calls)
		}
	}
	var in [512]byte
	key := z.cacheKey(identityBytes(in[:0], []string{"tok"}))
	cache.Set(ctx, key, deny, now, now.Add(time.Minute))
	if _, err := z.Authorize(ctx, inv); err != explicitDeny || calls != 1 {
		t.Fatalf("Authorize after another node's deny = %v after %d calls; want the explicit deny, no call", err, calls)
	}
	cache.Set(ctx, key, []byte("not JSON"), now, now.Add(time.Minute))
	if res, err := z.Authorize(ctx, inv); err != nil || res.PrincipalID != "u1" || calls != 2 {
		t.Fatalf("Authorize on an unparsable value = %v, %v after %d calls; want u1 after 2", res, err, calls)
	}
}
