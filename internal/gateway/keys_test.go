package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// clock is a settable clock for the throttle stage.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Key values of keysSetup.
const (
	valueQuota    = "quotaquotaquotaquota1"
	valueBurst    = "burstburstburstburst1"
	valueDisabled = "disableddisabledoff01"
	valueOther    = "otherotherotherother1" // in a plan of another stage only
)

// keysSetup deploys API "keys1" to stage "prod" with:
//
//	GET /pets   apiKeyRequired, MOCK answering $context.identity.apiKey and apiKeyId
//	GET /open   no key; methodSettings "open/GET" bursts 1 a second
//
// and API keys: kq in plan pq (quota 3 a DAY), kb in plan pb (burst 2, 1 a second),
// kd disabled in plan pq, ko in plan po (stage "beta" only).
func keysSetup(t *testing.T, s store.Store) {
	t.Helper()
	pets := mockMethod(`{"key":"$context.identity.apiKey","id":"$context.identity.apiKeyId"}`)
	pets.APIKeyRequired = true
	doc := buildAPI("keys1", map[string]*apigateway.Method{"GET /pets": pets, "GET /open": mockMethod(`{"open":true}`)}, nil)
	deploy(t, s, doc, "dep1", "prod", nil)
	stageKey := testScope.StageKey("keys1", "prod")
	kv, err := s.Get(context.Background(), stageKey)
	if err != nil {
		t.Fatal(err)
	}
	var sd apigateway.StageDocument
	if err := jsonUnmarshal(kv.Value, &sd); err != nil {
		t.Fatal(err)
	}
	sd.MethodSettings = map[string]*apigateway.MethodSetting{"open/GET": {ThrottlingRateLimit: 1, ThrottlingBurstLimit: 1}}
	plans := []apigateway.UsagePlanDocument{
		{UsagePlan: apigateway.UsagePlan{ID: "pq", APIStages: []apigateway.APIStage{{APIID: "keys1", Stage: "prod"}},
			Quota: &apigateway.QuotaSettings{Limit: 3, Period: "DAY"}}},
		{UsagePlan: apigateway.UsagePlan{ID: "pb", APIStages: []apigateway.APIStage{{APIID: "keys1", Stage: "prod"}},
			Throttle: &apigateway.ThrottleSettings{RateLimit: 1, BurstLimit: 2}}},
		{UsagePlan: apigateway.UsagePlan{ID: "po", APIStages: []apigateway.APIStage{{APIID: "keys1", Stage: "beta"}}}},
	}
	keys := []apigateway.APIKeyDocument{
		{APIKey: apigateway.APIKey{ID: "kq", Value: valueQuota, Enabled: true}, UsagePlanIDs: []string{"pq"}},
		{APIKey: apigateway.APIKey{ID: "kb", Value: valueBurst, Enabled: true}, UsagePlanIDs: []string{"pb"}},
		{APIKey: apigateway.APIKey{ID: "kd", Value: valueDisabled, Enabled: false}, UsagePlanIDs: []string{"pq"}},
		{APIKey: apigateway.APIKey{ID: "ko", Value: valueOther, Enabled: true}, UsagePlanIDs: []string{"po"}},
	}
	ops := []store.Op{mustPut(t, stageKey, sd)}
	for _, p := range plans {
		ops = append(ops, mustPut(t, testScope.UsagePlanKey(p.ID), p))
	}
	for _, k := range keys {
		ops = append(ops, mustPut(t, testScope.APIKeyKey(k.ID), k))
	}
	if _, err := s.Txn(context.Background(), ops...); err != nil {
		t.Fatal(err)
	}
}

func mustPut(t *testing.T, key string, v any) store.Op {
	t.Helper()
	op, err := putJSONOp(key, v)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// keyCall sends GET path on stage keys1/prod with x-api-key value (none when "").
func keyCall(srv *Server, path, value string) (int, string) {
	req := httptest.NewRequest("GET", "/restapis/keys1/prod/_user_request_"+path, nil)
	if value != "" {
		req.Header.Set("x-api-key", value)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestAPIKeysThrottlesAndQuotas(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	keysSetup(t, s)
	clk := &clock{now: time.Date(2026, 12, 2, 23, 59, 0, 0, time.UTC)}
	srv := startServer(t, s, Config{Logger: testLogger(t), State: newTestState(t), Now: clk.Now})
	waitFor(t, servedStage(srv, "keys1", "prod", "dep1"))

	const (
		forbidden = `{"message":"Forbidden"}`
		throttled = `{"message":"Too Many Requests"}`
		exceeded  = `{"message":"Limit Exceeded"}`
	)
	steps := []struct {
		what        string
		advance     time.Duration
		path, value string
		status      int
		body        string
	}{
		{what: "no key", path: "/pets", status: 403, body: forbidden},
		{what: "unknown key", path: "/pets", value: "nosuchkeynosuchkey0001", status: 403, body: forbidden},
		{what: "disabled key", path: "/pets", value: valueDisabled, status: 403, body: forbidden},
		{what: "key of another stage's plan", path: "/pets", value: valueOther, status: 403, body: forbidden},
		{what: "quota 1 of 3", path: "/pets", value: valueQuota, status: 200, body: `{"key":"` + valueQuota + `","id":"kq"}`},
		{what: "quota 2 of 3", path: "/pets", value: valueQuota, status: 200},
		{what: "quota 3 of 3", path: "/pets", value: valueQuota, status: 200},
		{what: "quota used up", path: "/pets", value: valueQuota, status: 429, body: exceeded},
		{what: "next UTC day: a new period", advance: time.Minute, path: "/pets", value: valueQuota, status: 200},
		{what: "burst 1 of 2", path: "/pets", value: valueBurst, status: 200, body: `{"key":"` + valueBurst + `","id":"kb"}`},
		{what: "burst 2 of 2", path: "/pets", value: valueBurst, status: 200},
		{what: "bucket empty", path: "/pets", value: valueBurst, status: 429, body: throttled},
		{what: "half a token refilled", advance: 500 * time.Millisecond, path: "/pets", value: valueBurst, status: 429, body: throttled},
		{what: "a token refilled", advance: 500 * time.Millisecond, path: "/pets", value: valueBurst, status: 200},
		{what: "stage method bucket 1 of 1, no key needed", path: "/open", status: 200, body: `{"open":true}`},
		{what: "stage method bucket empty", path: "/open", status: 429, body: throttled},
		{what: "stage method bucket refilled", advance: time.Second, path: "/open", status: 200},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		status, body := keyCall(srv, st.path, st.value)
		if status != st.status || (st.body != "" && body != st.body) {
			t.Errorf("%s: GET %s = %d %s; want %d %s", st.what, st.path, status, body, st.status, st.body)
		}
	}

	// Disabling a key takes effect without a redeployment.
	var kd apigateway.APIKeyDocument
	kv, err := s.Get(context.Background(), testScope.APIKeyKey("kb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal(kv.Value, &kd); err != nil {
		t.Fatal(err)
	}
	kd.Enabled = false
	if _, err := s.Txn(context.Background(), mustPut(t, testScope.APIKeyKey("kb"), kd)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour) // the bucket is full again: only the key's state decides
	testwait.Until(t, testwait.Patient, "a disabled key's 403", func() bool {
		status, _ := keyCall(srv, "/pets", valueBurst)
		return status == http.StatusForbidden
	})
}
