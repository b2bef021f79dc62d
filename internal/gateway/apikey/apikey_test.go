package apikey

import (
	"context"
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/meter"
)

func testIndex() *Index {
	keys := []*apigateway.APIKeyDocument{
		{APIKey: apigateway.APIKey{ID: "k1", Value: "value-one-abcdefghijkl", Enabled: true}, UsagePlanIDs: []string{"p1"}},
		{APIKey: apigateway.APIKey{ID: "k2", Value: "value-two-abcdefghijkl", Enabled: false}, UsagePlanIDs: []string{"p1"}},
		{APIKey: apigateway.APIKey{ID: "k3", Value: "value-three-abcdefghij", Enabled: true}},                                 // in no plan
		{APIKey: apigateway.APIKey{ID: "k4", Value: "value-four-abcdefghijk", Enabled: true}, UsagePlanIDs: []string{"gone"}}, // plan deleted
		{APIKey: apigateway.APIKey{ID: "k5", Value: "value-five-abcdefghijk", Enabled: true}, UsagePlanIDs: []string{"p3", "p2"}},
	}
	plans := []*apigateway.UsagePlanDocument{
		{UsagePlan: apigateway.UsagePlan{ID: "p1",
			APIStages: []apigateway.APIStage{{APIID: "api1", Stage: "prod", Throttle: map[string]apigateway.ThrottleSettings{
				"/pets/GET": {RateLimit: 5, BurstLimit: 2},
				"/*/*":      {RateLimit: 1, BurstLimit: 1},
			}}, {APIID: "api1", Stage: "beta"}},
			Throttle: &apigateway.ThrottleSettings{RateLimit: 100, BurstLimit: 50},
			Quota:    &apigateway.QuotaSettings{Limit: 1000, Period: "MONTH"}}},
		{UsagePlan: apigateway.UsagePlan{ID: "p2", APIStages: []apigateway.APIStage{{APIID: "api1", Stage: "prod"}}}},
		{UsagePlan: apigateway.UsagePlan{ID: "p3", APIStages: []apigateway.APIStage{{APIID: "api1", Stage: "prod"}}}},
	}
	return NewIndex(keys, plans)
}

// planBucket is the key k1's bucket in plan p1 of testIndex.
var planBucket = &meter.Bucket{Key: "k/p1/k1", Rate: 100, Burst: 50}

func sameBucket(a, b *meter.Bucket) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func TestLookup(t *testing.T) {
	t.Parallel()
	ix := testIndex()
	tests := []struct {
		value, api, stage, resource, verb string
		wantID, wantPlan                  string
		wantMethod, wantBucket            *meter.Bucket
		wantQuota                         bool
	}{
		// The API stage's per-method throttle is the key's bucket for the method; the
		// plan's bucket, shared by the key's stages, applies too.
		{"value-one-abcdefghijkl", "api1", "prod", "/pets", "GET", "k1", "p1", &meter.Bucket{Key: "k/p1/k1/api1/prod/pets/GET", Rate: 5, Burst: 2}, planBucket, true},
		// "/*/*" is the API stage's throttle for every other method.
		{"value-one-abcdefghijkl", "api1", "prod", "/pets", "POST", "k1", "p1", &meter.Bucket{Key: "k/p1/k1/api1/prod/*/*", Rate: 1, Burst: 1}, planBucket, true},
		// A stage without per-method throttles: the plan's bucket only.
		{"value-one-abcdefghijkl", "api1", "beta", "/pets", "GET", "k1", "p1", nil, planBucket, true},
		// Two plans on one stage (the management plane refuses it): the smaller id, on every node.
		{"value-five-abcdefghijk", "api1", "prod", "/", "GET", "k5", "p2", nil, nil, false},
	}
	for _, tt := range tests {
		id, m, ok := ix.Lookup(tt.value, tt.api, tt.stage, MethodPaths(tt.resource, tt.verb))
		if !ok || id != tt.wantID || m.PlanID != tt.wantPlan {
			t.Errorf("Lookup(%s, %s/%s, %s %s) = %q, %+v, %v; want %q in plan %q", tt.value, tt.api, tt.stage, tt.verb, tt.resource, id, m, ok, tt.wantID, tt.wantPlan)
			continue
		}
		if !sameBucket(m.MethodThrottle, tt.wantMethod) || !sameBucket(m.Throttle, tt.wantBucket) {
			t.Errorf("Lookup(%s, %s/%s, %s %s) buckets = %+v, %+v; want %+v, %+v", tt.value, tt.api, tt.stage, tt.verb, tt.resource, m.MethodThrottle, m.Throttle, tt.wantMethod, tt.wantBucket)
		}
		if got := m.Quota != nil; got != tt.wantQuota || (got && m.QuotaKey != meter.QuotaKey(tt.wantPlan, tt.wantID)) {
			t.Errorf("Lookup(%s ...).Quota = %+v (key %q); want quota %v under %q", tt.value, m.Quota, m.QuotaKey, tt.wantQuota, meter.QuotaKey(tt.wantPlan, tt.wantID))
		}
	}
	refused := []struct{ why, value, api, stage string }{
		{"unknown value", "no-such-value-abcdefghij", "api1", "prod"},
		{"empty value", "", "api1", "prod"},
		{"disabled key", "value-two-abcdefghijkl", "api1", "prod"},
		{"key in no plan", "value-three-abcdefghij", "api1", "prod"},
		{"key's plan deleted", "value-four-abcdefghijk", "api1", "prod"},
		{"stage not in the key's plans", "value-one-abcdefghijkl", "api1", "dev"},
		{"api not in the key's plans", "value-one-abcdefghijkl", "api2", "prod"},
	}
	for _, tt := range refused {
		if id, m, ok := ix.Lookup(tt.value, tt.api, tt.stage, MethodPaths("/", "GET")); ok {
			t.Errorf("Lookup(%s: %q, %s/%s) = %q, %+v, true; want refused", tt.why, tt.value, tt.api, tt.stage, id, m)
		}
	}
	if _, _, ok := (*Index)(nil).Lookup("value-one-abcdefghijkl", "api1", "prod", nil); ok {
		t.Error("nil Index admitted a key; want refused (not loaded yet)")
	}
}

func TestMethodPaths(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		resource, verb string
		want           []string
	}{
		{"/pets/{id}", "GET", []string{"/pets/{id}/GET", "/pets/{id}/*", "/*/GET", "/*/*"}},
		{"/", "POST", []string{"//POST", "//*", "/*/POST", "/*/*"}},
	} {
		got := MethodPaths(tt.resource, tt.verb)
		if len(got) != len(tt.want) {
			t.Fatalf("MethodPaths(%q, %q) = %q; want %q", tt.resource, tt.verb, got, tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("MethodPaths(%q, %q) = %q; want %q", tt.resource, tt.verb, got, tt.want)
				break
			}
		}
	}
}

// next records the invocation the stage passed on.
type next struct{ inv *invoke.Invocation }

func (n *next) Invoke(_ context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
	n.inv = inv
	return &invoke.Response{StatusCode: 200}, nil
}

func TestStage(t *testing.T) {
	t.Parallel()
	ix := testIndex()
	tests := []struct {
		name    string
		source  string
		header  http.Header
		usage   *invoke.AuthorizerResult // the Lambda authorizer's answer, nil without one
		wantKey string                   // "" means 403 Forbidden
	}{
		{"no header", "HEADER", http.Header{}, nil, ""},
		{"empty header", "HEADER", http.Header{"X-Api-Key": {""}}, nil, ""},
		{"unknown key", "HEADER", http.Header{"X-Api-Key": {"nope-nope-nope-nope-nope"}}, nil, ""},
		{"disabled key", "HEADER", http.Header{"X-Api-Key": {"value-two-abcdefghijkl"}}, nil, ""},
		{"valid key", "HEADER", http.Header{"X-Api-Key": {"value-one-abcdefghijkl"}}, nil, "k1"},
		{"empty source means HEADER", "", http.Header{"X-Api-Key": {"value-one-abcdefghijkl"}}, nil, "k1"},
		{"first of repeated headers", "", http.Header{"X-Api-Key": {"value-one-abcdefghijkl", "x"}}, nil, "k1"},
		// AUTHORIZER takes the authorizer's usageIdentifierKey, never the header.
		{"AUTHORIZER source without authorizer", "AUTHORIZER", http.Header{"X-Api-Key": {"value-one-abcdefghijkl"}}, nil, ""},
		{"AUTHORIZER source without usageIdentifierKey", "AUTHORIZER", http.Header{"X-Api-Key": {"value-one-abcdefghijkl"}}, &invoke.AuthorizerResult{PrincipalID: "u"}, ""},
		{"AUTHORIZER source with unknown key", "AUTHORIZER", nil, &invoke.AuthorizerResult{UsageIdentifierKey: "nope-nope-nope-nope-nope"}, ""},
		{"AUTHORIZER source with key", "AUTHORIZER", nil, &invoke.AuthorizerResult{UsageIdentifierKey: "value-one-abcdefghijkl"}, "k1"},
		{"unknown source fails closed", "COOKIE", http.Header{"X-Api-Key": {"value-one-abcdefghijkl"}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := &next{}
			h := Stage{Index: func() *Index { return ix }, APIID: "api1", StageName: "prod",
				MethodPaths: MethodPaths("/pets", "GET"), Source: tt.source}.Middleware()(n)
			inv := &invoke.Invocation{Request: invoke.Request{Header: tt.header}, Authorizer: tt.usage}
			resp, err := h.Invoke(context.Background(), inv)
			if tt.wantKey == "" {
				e, ok := invoke.AsError(err)
				if !ok || e.Type != apigateway.ResponseInvalidAPIKey || e.Message != "Forbidden" || n.inv != nil {
					t.Fatalf("Invoke = %v, %v (next called: %v); want INVALID_API_KEY Forbidden, next not called", resp, err, n.inv != nil)
				}
				return
			}
			if err != nil || n.inv == nil {
				t.Fatalf("Invoke = %v, %v; want admitted", resp, err)
			}
			wantValue := "value-one-abcdefghijkl"
			if inv.APIKeyID != tt.wantKey || inv.APIKey != wantValue || inv.Metering == nil || inv.Metering.PlanID != "p1" {
				t.Errorf("admitted with APIKey %q, APIKeyID %q, Metering %+v; want key %s in plan p1", inv.APIKey, inv.APIKeyID, inv.Metering, tt.wantKey)
			}
		})
	}
}
