package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/gatehouse/gatehouse/internal/testwait"
	"github.com/redis/rueidis"
)

// AWS's answers to a refused request ([A] api-gateway-api-usage-plans.md,
// AWS_REFERENCE.md §4, §7): a missing, unknown or disabled key; a throttle; a used-up quota.
const (
	forbiddenBody  = `{"message":"Forbidden"}`
	throttledBody  = `{"message":"Too Many Requests"}`
	quotaBody      = `{"message":"Limit Exceeded"}`
	internalBody   = `{"message": "Internal server error"}` // DEFAULT_5XX as AWS writes it (with the space)
	meteredAnswer  = `{"metered": true}`
	openAnswer     = `{"open": true}`
	e2eUsageKeyID  = "AKIAE2EUSAGEPLAN0001"
	e2eUsageSecret = "e2e-usage-secret"
)

// sharedRedis is the Redis the multi-node test shares between two gatehouse processes, with a
// database of its own (internal/redisstate's tests use 9), flushed when the test starts.
const sharedRedis = "127.0.0.1:6379"
const sharedRedisDB = 11

// today is the UTC date quotas count in (gatehouse's clock and the test's are the machine's).
func today() string { return time.Now().UTC().Format("2006-01-02") }

// withKey is the header that sends an API key.
func withKey(value string) http.Header { return http.Header{"X-Api-Key": {value}} }

// firstAnswer polls GET url until the answer is not 403 (the stage, key or plan is not yet
// on the data plane; a refused key is not counted) and returns it. Use it once a request
// must be admitted: the first non-403 answer has been counted.
func firstAnswer(t *testing.T, url string, header http.Header) httpResult {
	t.Helper()
	var r httpResult
	if !waitFor(propagateDeadline, func() bool {
		r = mustCall(t, "GET", url, "", header, "")
		return r.Status != 403
	}) {
		t.Fatalf("GET %s = %d %q for %v; want the configuration on the data plane (not 403)", url, r.Status, r.Body, propagateDeadline)
	}
	return r
}

// waitForAnswer polls GET url until it answers status, and returns the last answer.
func waitForAnswer(t *testing.T, url string, header http.Header, status int, why string) httpResult {
	t.Helper()
	var r httpResult
	if !waitFor(propagateDeadline, func() bool {
		r = mustCall(t, "GET", url, "", header, "")
		return r.Status == status
	}) {
		t.Fatalf("GET %s = %d %q after %v; want %d (%s)", url, r.Status, r.Body, propagateDeadline, status, why)
	}
	return r
}

// expectAnswers sends n GETs and checks each answers status with body.
func expectAnswers(t *testing.T, what, url string, header http.Header, n, status int, body string) {
	t.Helper()
	for i := range n {
		if r := mustCall(t, "GET", url, "", header, ""); r.Status != status || r.Body != body {
			t.Fatalf("%s: request %d of %d = %d %q; want %d %q", what, i+1, n, r.Status, r.Body, status, body)
		}
	}
}

// usagePairs reads the aws CLI's get-usage answer: key id → [used, remaining] per day.
func usagePairs(t *testing.T, answer any) map[string][][]float64 {
	t.Helper()
	m, _ := answer.(map[string]any)
	raw, _ := m["items"].(map[string]any)
	out := map[string][][]float64{}
	for k, v := range raw {
		days, _ := v.([]any)
		for _, d := range days {
			pair, _ := d.([]any)
			var p []float64
			for _, n := range pair {
				f, _ := n.(float64)
				p = append(p, f)
			}
			out[k] = append(out[k], p)
		}
	}
	return out
}

// TestUsagePlansAWSCLI drives API keys, usage plans, quotas and throttles with the real aws
// CLI as the usage-plans guide does, and checks every refusal the data plane gives with
// AWS's status, error type and message.
func TestUsagePlansAWSCLI(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	cli := newAWSCLI(t, g.AdminURL, e2eUsageKeyID, e2eUsageSecret)
	v := vars{"today": today()}
	url := func(v vars, path string) string { return g.pathURL(v["api"], "prod") + path }

	// mockMethod is the steps of GET /{part}, a MOCK answering body, with or without a key.
	mockMethod := func(part, id, body string, keyRequired bool) []cliStep {
		keyFlag := "--no-api-key-required"
		if keyRequired {
			keyFlag = "--api-key-required"
		}
		return []cliStep{
			{name: "create-resource /" + part,
				args: []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "<root>", "--path-part", part},
				save: map[string]string{id: "id"}},
			{name: "put-method GET /" + part + " " + keyFlag,
				args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<" + id + ">", "--http-method", "GET",
					"--authorization-type", "NONE", keyFlag},
				want: fields{"apiKeyRequired": keyRequired}},
			{name: "put-method-response GET /" + part,
				args: []string{"put-method-response", "--rest-api-id", "<api>", "--resource-id", "<" + id + ">", "--http-method", "GET", "--status-code", "200"}},
			{name: "put-integration MOCK GET /" + part,
				args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<" + id + ">", "--http-method", "GET",
					"--type", "MOCK", "--request-templates", `{"application/json":"{\"statusCode\": 200}"}`}},
			{name: "put-integration-response GET /" + part,
				args: []string{"put-integration-response", "--rest-api-id", "<api>", "--resource-id", "<" + id + ">", "--http-method", "GET",
					"--status-code", "200", "--selection-pattern", "", "--response-templates", mustJSON(map[string]string{"application/json": body})}},
		}
	}

	steps := []cliStep{
		{name: "create-rest-api",
			args: []string{"create-rest-api", "--name", "e2e-usage-plans"},
			want: fields{"apiKeySource": "HEADER"},
			save: map[string]string{"api": "id", "root": "rootResourceId"}},
	}
	steps = append(steps, mockMethod("metered", "meteredRes", meteredAnswer, true)...)
	steps = append(steps, mockMethod("open", "openRes", openAnswer, false)...)
	steps = append(steps, []cliStep{
		{name: "create-deployment prod",
			args: []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "prod"}},

		// The key and the plan.
		{name: "create-api-key",
			args: []string{"create-api-key", "--name", "e2e-customer", "--enabled"},
			want: fields{"name": "e2e-customer", "enabled": true},
			save: map[string]string{"key": "id", "keyValue": "value"}},
		{name: "create-usage-plan with a throttle and a quota of 5 a day",
			args: []string{"create-usage-plan", "--name", "e2e-basic", "--api-stages", "apiId=<api>,stage=prod",
				"--throttle", "rateLimit=100,burstLimit=50", "--quota", "limit=5,period=DAY"},
			want: fields{"name": "e2e-basic", "apiStages.0.apiId": "<api>", "apiStages.0.stage": "prod",
				"throttle.rateLimit": 100, "throttle.burstLimit": 50, "quota.limit": 5, "quota.period": "DAY"},
			save: map[string]string{"plan": "id"}},
		{name: "create-usage-plan-key",
			args: []string{"create-usage-plan-key", "--usage-plan-id", "<plan>", "--key-id", "<key>", "--key-type", "API_KEY"},
			want: fields{"id": "<key>", "type": "API_KEY", "name": "e2e-customer"}},

		// A second key of the plan, disabled once it works.
		{name: "create-api-key (to disable)",
			args: []string{"create-api-key", "--name", "e2e-to-disable", "--enabled"},
			save: map[string]string{"key2": "id", "key2Value": "value"}},
		{name: "create-usage-plan-key (to disable)",
			args: []string{"create-usage-plan-key", "--usage-plan-id", "<plan>", "--key-id", "<key2>", "--key-type", "API_KEY"}},
		{name: "data plane: the second key is admitted", do: func(t *testing.T, v vars) {
			if r := firstAnswer(t, url(v, "/metered"), withKey(v["key2Value"])); r.Status != 200 || r.Body != meteredAnswer {
				t.Fatalf("GET /metered with a key of the plan = %d %q; want 200 %q", r.Status, r.Body, meteredAnswer)
			}
		}},
		{name: "update-api-key /enabled false",
			args: []string{"update-api-key", "--api-key", "<key2>", "--patch-operations", "op=replace,path=/enabled,value=false"},
			want: fields{"enabled": false}},

		// Refusals: no key, an unknown key, a disabled key.
		{name: "data plane: a disabled key is 403 Forbidden", do: func(t *testing.T, v vars) {
			r := waitForAnswer(t, url(v, "/metered"), withKey(v["key2Value"]), 403, "the key is disabled")
			checkGatewayError(t, "GET /metered with a disabled key", r, 403, "ForbiddenException", forbiddenBody)
		}},
		{name: "data plane: no x-api-key is 403 Forbidden", do: func(t *testing.T, v vars) {
			r := mustCall(t, "GET", url(v, "/metered"), "", nil, "")
			checkGatewayError(t, "GET /metered without a key", r, 403, "ForbiddenException", forbiddenBody)
		}},
		{name: "data plane: an unknown key is 403 Forbidden", do: func(t *testing.T, v vars) {
			r := mustCall(t, "GET", url(v, "/metered"), "", withKey("NotAKeyOfThisAccount0123456789"), "")
			checkGatewayError(t, "GET /metered with an unknown key", r, 403, "ForbiddenException", forbiddenBody)
		}},
		{name: "data plane: a method without apiKeyRequired needs no key", do: func(t *testing.T, v vars) {
			if r := mustCall(t, "GET", url(v, "/open"), "", nil, ""); r.Status != 200 || r.Body != openAnswer {
				t.Errorf("GET /open without a key = %d %q; want 200 %q", r.Status, r.Body, openAnswer)
			}
		}},

		// The quota: 5 a day, then 429 Limit Exceeded.
		{name: "data plane: the quota admits 5, then 429 Limit Exceeded", do: func(t *testing.T, v vars) {
			key := withKey(v["keyValue"])
			if r := firstAnswer(t, url(v, "/metered"), key); r.Status != 200 || r.Body != meteredAnswer {
				t.Fatalf("GET /metered with the key = %d %q; want 200 %q", r.Status, r.Body, meteredAnswer)
			}
			expectAnswers(t, "requests 2-5 of the quota", url(v, "/metered"), key, 4, 200, meteredAnswer)
			for i := range 2 {
				r := mustCall(t, "GET", url(v, "/metered"), "", key, "")
				checkGatewayError(t, fmt.Sprintf("GET /metered over the quota (%d)", i+1), r, 429, "LimitExceededException", quotaBody)
			}
			// The quota is the key's: the open method still answers.
			if r := mustCall(t, "GET", url(v, "/open"), "", key, ""); r.Status != 200 {
				t.Errorf("GET /open with the key over its quota = %d %q; want 200 (no key required, no plan applies)", r.Status, r.Body)
			}
		}},
		{name: "get-usage shows today's [used, remaining]",
			args: []string{"get-usage", "--usage-plan-id", "<plan>", "--start-date", "<today>", "--end-date", "<today>"},
			want: fields{"usagePlanId": "<plan>", "startDate": "<today>", "endDate": "<today>"},
			check: func(t *testing.T, answer any, v vars) {
				got := usagePairs(t, answer)
				if want := [][]float64{{5, 0}}; !slices.EqualFunc(got[v["key"]], want, slices.Equal) {
					t.Errorf("usage of key %s = %v; want %v (5 used, none left; refused requests are not counted)", v["key"], got[v["key"]], want)
				}
			}},
		{name: "get-usage of one key",
			args: []string{"get-usage", "--usage-plan-id", "<plan>", "--key-id", "<key>", "--start-date", "<today>", "--end-date", "<today>"},
			check: func(t *testing.T, answer any, v vars) {
				got := usagePairs(t, answer)
				if len(got) != 1 || len(got[v["key"]]) != 1 {
					t.Errorf("usage for --key-id %s = %v; want that key alone", v["key"], got)
				}
			}},
		{name: "update-usage grants 2 more",
			args: []string{"update-usage", "--usage-plan-id", "<plan>", "--key-id", "<key>", "--patch-operations", "op=replace,path=/remaining,value=2"},
			check: func(t *testing.T, answer any, v vars) {
				got := usagePairs(t, answer)[v["key"]]
				if len(got) != 1 || len(got[0]) != 2 || got[0][1] != 2 {
					t.Errorf("update-usage answer for key %s = %v; want today's pair with 2 remaining", v["key"], got)
				}
			}},
		{name: "data plane: the grant lets 2 more through", do: func(t *testing.T, v vars) {
			key := withKey(v["keyValue"])
			expectAnswers(t, "the 2 granted requests", url(v, "/metered"), key, 2, 200, meteredAnswer)
			r := mustCall(t, "GET", url(v, "/metered"), "", key, "")
			checkGatewayError(t, "GET /metered past the grant", r, 429, "LimitExceededException", quotaBody)
		}},

		// A plan whose throttle is a burst of 2 that barely refills.
		{name: "create-usage-plan with a burst of 2",
			args: []string{"create-usage-plan", "--name", "e2e-burst", "--api-stages", "apiId=<api>,stage=prod",
				"--throttle", "rateLimit=0.0001,burstLimit=2"},
			want: fields{"throttle.burstLimit": 2, "throttle.rateLimit": 0.0001},
			save: map[string]string{"burstPlan": "id"}},
		{name: "create-api-key (burst)",
			args: []string{"create-api-key", "--name", "e2e-burst", "--enabled"},
			save: map[string]string{"burstKey": "id", "burstKeyValue": "value"}},
		{name: "create-usage-plan-key (burst)",
			args: []string{"create-usage-plan-key", "--usage-plan-id", "<burstPlan>", "--key-id", "<burstKey>", "--key-type", "API_KEY"}},
		{name: "data plane: the burst admits 2, then 429 Too Many Requests", do: func(t *testing.T, v vars) {
			key := withKey(v["burstKeyValue"])
			if r := firstAnswer(t, url(v, "/metered"), key); r.Status != 200 {
				t.Fatalf("GET /metered with the burst key = %d %q; want 200", r.Status, r.Body)
			}
			expectAnswers(t, "the burst's second request", url(v, "/metered"), key, 1, 200, meteredAnswer)
			for i := range 3 {
				r := mustCall(t, "GET", url(v, "/metered"), "", key, "")
				checkGatewayError(t, fmt.Sprintf("GET /metered past the burst (%d)", i+1), r, 429, "TooManyRequestsException", throttledBody)
			}
		}},

		// Stage throttling: every method of the stage, keys or not.
		{name: "update-stage throttles */* to a burst of 1",
			args: []string{"update-stage", "--rest-api-id", "<api>", "--stage-name", "prod", "--patch-operations",
				"op=replace,path=/*/*/throttling/burstLimit,value=1", "op=replace,path=/*/*/throttling/rateLimit,value=0.0001"},
			want: fields{"methodSettings[*/*].throttlingBurstLimit": 1, "methodSettings[*/*].throttlingRateLimit": 0.0001}},
		{name: "data plane: the stage throttle applies without a key", do: func(t *testing.T, v vars) {
			r := waitForAnswer(t, url(v, "/open"), nil, 429, "the stage's */* burst of 1 is used")
			checkGatewayError(t, "GET /open over the stage throttle", r, 429, "TooManyRequestsException", throttledBody)
			r = mustCall(t, "GET", url(v, "/open"), "", nil, "")
			checkGatewayError(t, "GET /open over the stage throttle, again", r, 429, "TooManyRequestsException", throttledBody)
		}},
		{name: "get-account shows the account throttle",
			args: []string{"get-account"},
			want: fields{"throttleSettings.burstLimit": 5000, "throttleSettings.rateLimit": 10000}},
	}...)
	runScript(t, cli, v, steps)
	g.stop()
	g.expectNoErrorLogs()
}

// meteredAPI is a REST API deployed to stage prod with GET /metered (apiKeyRequired, a MOCK
// answering meteredAnswer) and GET /open (no key, answering openAnswer), and one enabled key
// in a usage plan of the stage with a daily quota.
type meteredAPI struct {
	ID, PlanID, KeyID, KeyValue string
}

// createMeteredAPI creates a meteredAPI whose plan's quota is limit a day.
func createMeteredAPI(t *testing.T, c *apigateway.Client, limit int32) *meteredAPI {
	t.Helper()
	ctx := t.Context()
	restAPI, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("e2e-metered")})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	m := &meteredAPI{ID: aws.ToString(restAPI.Id)}
	for _, meth := range []struct {
		part, body  string
		keyRequired bool
	}{{"metered", meteredAnswer, true}, {"open", openAnswer, false}} {
		res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &m.ID, ParentId: restAPI.RootResourceId, PathPart: aws.String(meth.part)})
		if err != nil {
			t.Fatalf("CreateResource %s: %v", meth.part, err)
		}
		get := aws.String("GET")
		if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &m.ID, ResourceId: res.Id, HttpMethod: get,
			AuthorizationType: aws.String("NONE"), ApiKeyRequired: meth.keyRequired}); err != nil {
			t.Fatalf("PutMethod %s: %v", meth.part, err)
		}
		if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &m.ID, ResourceId: res.Id, HttpMethod: get, StatusCode: aws.String("200")}); err != nil {
			t.Fatalf("PutMethodResponse %s: %v", meth.part, err)
		}
		if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &m.ID, ResourceId: res.Id, HttpMethod: get,
			Type: types.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
			t.Fatalf("PutIntegration %s: %v", meth.part, err)
		}
		if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &m.ID, ResourceId: res.Id, HttpMethod: get,
			StatusCode: aws.String("200"), SelectionPattern: aws.String(""), ResponseTemplates: map[string]string{"application/json": meth.body}}); err != nil {
			t.Fatalf("PutIntegrationResponse %s: %v", meth.part, err)
		}
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &m.ID, StageName: aws.String("prod")}); err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	key, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("e2e-metered"), Enabled: true})
	if err != nil {
		t.Fatalf("CreateApiKey: %v", err)
	}
	m.KeyID, m.KeyValue = aws.ToString(key.Id), aws.ToString(key.Value)
	plan, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("e2e-metered"),
		ApiStages: []types.ApiStage{{ApiId: &m.ID, Stage: aws.String("prod")}},
		Quota:     &types.QuotaSettings{Limit: limit, Period: types.QuotaPeriodTypeDay}})
	if err != nil {
		t.Fatalf("CreateUsagePlan: %v", err)
	}
	m.PlanID = aws.ToString(plan.Id)
	if _, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: &m.PlanID, KeyId: &m.KeyID, KeyType: aws.String("API_KEY")}); err != nil {
		t.Fatalf("CreateUsagePlanKey: %v", err)
	}
	return m
}

// usageToday is the key's [used, remaining] of today, as GetUsage reports it.
func (m *meteredAPI) usageToday(t *testing.T, c *apigateway.Client) []int64 {
	t.Helper()
	u, err := c.GetUsage(t.Context(), &apigateway.GetUsageInput{UsagePlanId: &m.PlanID, KeyId: &m.KeyID, StartDate: aws.String(today()), EndDate: aws.String(today())})
	if err != nil {
		t.Fatalf("GetUsage: %v", err)
	}
	days := u.Items[m.KeyID]
	if len(days) != 1 {
		t.Fatalf("GetUsage of today = %v; want one day of key %s", u.Items, m.KeyID)
	}
	return days[0]
}

// startMetered starts a gatehouse on dataDir with createMeteredAPI's API under a daily quota
// of limit, and spends before requests of it; it returns the gatehouse, the API and the
// metered method's URL.
func startMetered(t *testing.T, dataDir string, limit int32, before int, what string) (*gatehouse, *meteredAPI, string) {
	t.Helper()
	g := startGatehouse(t, options{dataDir: dataDir})
	m := createMeteredAPI(t, g.client(e2eUsageKeyID, e2eUsageSecret), limit)
	metered := g.pathURL(m.ID, "prod") + "/metered"
	if r := firstAnswer(t, metered, withKey(m.KeyValue)); r.Status != 200 {
		t.Fatalf("GET /metered with the key = %d %q; want 200", r.Status, r.Body)
	}
	expectAnswers(t, what, metered, withKey(m.KeyValue), before-1, 200, meteredAnswer)
	return g, m, metered
}

// TestUsagePlanQuotaSurvivesRestart: the in-process state persists quota counts in the
// embedded store, so a graceful restart continues the day's count instead of resetting it.
func TestUsagePlanQuotaSurvivesRestart(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	const limit, before = 10, 4
	g, m, metered := startMetered(t, dataDir, limit, before, "before the restart")
	if got := m.usageToday(t, g.client(e2eUsageKeyID, e2eUsageSecret)); !slices.Equal(got, []int64{before, limit - before}) {
		t.Errorf("GetUsage before the restart = %v; want [%d %d]", got, before, limit-before)
	}
	g.stop()

	g = startGatehouse(t, options{dataDir: dataDir})
	if got := m.usageToday(t, g.client(e2eUsageKeyID, e2eUsageSecret)); !slices.Equal(got, []int64{before, limit - before}) {
		t.Errorf("GetUsage after the restart = %v; want [%d %d]: the count is kept", got, before, limit-before)
	}
	metered = g.pathURL(m.ID, "prod") + "/metered"
	if r := firstAnswer(t, metered, withKey(m.KeyValue)); r.Status != 200 {
		t.Fatalf("GET /metered after the restart = %d %q; want 200", r.Status, r.Body)
	}
	expectAnswers(t, "the rest of the quota after the restart", metered, withKey(m.KeyValue), limit-before-1, 200, meteredAnswer)
	r := mustCall(t, "GET", metered, "", withKey(m.KeyValue), "")
	checkGatewayError(t, fmt.Sprintf("request %d of a quota of %d, across a restart", limit+1, limit), r, 429, "LimitExceededException", quotaBody)
	g.stop()
	g.expectNoErrorLogs()
}

// redisCommand sends one command to the Redis at addr (database db) with the project's
// Redis client and returns its answer as text (an integer answer in decimal).
func redisCommand(addr string, db int, args ...string) (string, error) {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, SelectDB: db,
		DisableCache: true, ForceSingleClient: true, Dialer: net.Dialer{Timeout: time.Second}})
	if err != nil {
		return "", err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := c.Do(ctx, c.B().Arbitrary(args...).Build()).ToAny()
	if err != nil {
		return "", err
	}
	return fmt.Sprint(v), nil
}

// copyDir copies the regular files of a flat directory (a stopped gatehouse's data dir).
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUsagePlanQuotaSharedRedis: two gatehouse processes with the same configuration (one
// data dir, copied) and one Redis admit together exactly the quota's limit under concurrent
// load split over both.
func TestUsagePlanQuotaSharedRedis(t *testing.T) {
	t.Parallel()
	if _, err := redisCommand(sharedRedis, sharedRedisDB, "FLUSHDB"); err != nil {
		t.Fatalf("flush Redis %s db %d (Redis must run on %s for this test; .ci/run starts it): %v", sharedRedis, sharedRedisDB, sharedRedis, err)
	}
	const limit, requests, workers = 50, 200, 16
	seed := startGatehouse(t, options{})
	m := createMeteredAPI(t, seed.client(e2eUsageKeyID, e2eUsageSecret), limit)
	seed.stop()

	state := fmt.Sprintf("redis://%s/%d", sharedRedis, sharedRedisDB)
	var nodes []*gatehouse
	for range 2 {
		dir := t.TempDir()
		copyDir(t, seed.opts.dataDir, dir)
		g := startGatehouse(t, options{dataDir: dir, args: []string{"--state", state}})
		if !strings.Contains(g.stderr.String(), "Redis") {
			t.Errorf("gatehouse --state %s does not log the Redis state at start:\n%s", state, g.stderr.String())
		}
		// The stage is served (the open method counts toward no quota).
		waitForAnswer(t, g.pathURL(m.ID, "prod")+"/open", nil, 200, "the copied data dir's stage")
		nodes = append(nodes, g)
	}

	var (
		mu     sync.Mutex
		counts = map[string]int{}
		wg     sync.WaitGroup
		next   = make(chan int, requests)
	)
	for i := range requests {
		next <- i
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				g := nodes[i%2]
				r, err := call(t.Context(), "GET", g.pathURL(m.ID, "prod")+"/metered", "", withKey(m.KeyValue), "")
				outcome := fmt.Sprintf("%d %s", r.Status, r.Body)
				if err != nil {
					outcome = "error " + err.Error()
				}
				mu.Lock()
				counts[outcome]++
				mu.Unlock()
			}
		}()
	}
	testwait.Group(t, &wg, startDeadline, fmt.Sprintf("%d requests over two gatehouse processes", requests))
	want := map[string]int{"200 " + meteredAnswer: limit, "429 " + quotaBody: requests - limit}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("%d concurrent requests over two processes sharing Redis, quota %d: answers %v; want exactly %v", requests, limit, counts, want)
	}
	t.Logf("%d requests over two processes, quota %d: %v", requests, limit, counts)
	// The count is Redis's: the processes have no other way to agree.
	if n, err := redisCommand(sharedRedis, sharedRedisDB, "DBSIZE"); err != nil || n == "0" {
		t.Errorf("Redis db %d after the load: DBSIZE = %q, %v; want the shared buckets and counts there", sharedRedisDB, n, err)
	}
	for i, g := range nodes {
		if got := m.usageToday(t, g.client(e2eUsageKeyID, e2eUsageSecret)); !slices.Equal(got, []int64{limit, 0}) {
			t.Errorf("GetUsage on process %d = %v; want [%d 0], the shared count", i+1, got, limit)
		}
	}
	for _, g := range nodes {
		g.stop()
		g.expectNoErrorLogs()
	}
}

// TestRedisStateUnreachableAtStart: a Redis that does not answer fails the start at once,
// with an error that names it.
func TestRedisStateUnreachableAtStart(t *testing.T) {
	t.Parallel()
	state := fmt.Sprintf("redis://127.0.0.1:%d/0", freePort(t))
	ctx, cancel := context.WithTimeout(t.Context(), startDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatehouseBin, "serve", "--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"--admin-listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--data-dir", t.TempDir(), "--state", state)
	cmd.Env = cleanEnv()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if code := exitCode(err); code != 2 {
		t.Fatalf("gatehouse serve --state %s: exit %d (%v); want 2\n%s", state, code, err, out)
	}
	if want := "state " + state + ": Redis does not answer"; !strings.Contains(string(out), want) {
		t.Errorf("gatehouse serve --state %s said:\n%s\nwant an error containing %q", state, out, want)
	}
	// The dial timeout is 1 s; a closed port is refused at once.
	if took > 10*time.Second {
		t.Errorf("gatehouse took %v to give up on an unreachable Redis; want a few seconds at most", took)
	}
	t.Logf("unreachable Redis: start failed after %v", took)
}

// privateRedis is a redis-server of one test, on a free port.
type privateRedis struct {
	cmd    *exec.Cmd
	addr   string
	exited chan struct{}
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is required by this test (.ci/run installs it): %v", err)
	}
	port := freePort(t)
	r := &privateRedis{addr: fmt.Sprintf("127.0.0.1:%d", port), exited: make(chan struct{})}
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	out := &syncBuffer{}
	r.cmd.Stdout, r.cmd.Stderr = out, out
	dieWithTests(r.cmd)
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	go func() { r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		r.cmd.Process.Signal(syscall.SIGCONT)
		r.cmd.Process.Kill()
		testwait.Recv(t, r.exited, testwait.Patient, "redis-server's exit after SIGKILL")
		if t.Failed() {
			t.Logf("redis-server output:\n%s", out.String())
		}
	})
	if !waitFor(startDeadline, func() bool {
		pong, err := redisCommand(r.addr, 0, "PING")
		return err == nil && pong == "PONG"
	}) {
		t.Fatalf("redis-server on %s does not answer PING after %v:\n%s", r.addr, startDeadline, out.String())
	}
	return r
}

// TestRedisStateGoesAway: with the default policies, when the Redis state stops answering
// (hung, then gone), a method under throttles only keeps answering (fail open) and a method
// under a quota answers 500 (fail closed), each request within a bounded time; when Redis
// answers again, so does the quota.
func TestRedisStateGoesAway(t *testing.T) {
	t.Parallel()
	redis := startPrivateRedis(t)
	const stateTimeout = 100 * time.Millisecond
	// A request's bound: the state's deadline plus the machine's slack (a busy 2-core box).
	const bound = 3 * time.Second
	g := startGatehouse(t, options{args: []string{"--state", "redis://" + redis.addr + "/0", "--state-timeout", stateTimeout.String()}})
	m := createMeteredAPI(t, g.client(e2eUsageKeyID, e2eUsageSecret), 1000)
	c := g.client(e2eUsageKeyID, e2eUsageSecret)
	// The open method is throttled by the stage (and the account), never by a quota.
	if _, err := c.UpdateStage(t.Context(), &apigateway.UpdateStageInput{RestApiId: &m.ID, StageName: aws.String("prod"),
		PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/*/*/throttling/burstLimit"), Value: aws.String("1000")},
			{Op: types.OpReplace, Path: aws.String("/*/*/throttling/rateLimit"), Value: aws.String("1000")},
		}}); err != nil {
		t.Fatalf("UpdateStage: %v", err)
	}
	metered, open := g.pathURL(m.ID, "prod")+"/metered", g.pathURL(m.ID, "prod")+"/open"
	if r := firstAnswer(t, metered, withKey(m.KeyValue)); r.Status != 200 {
		t.Fatalf("GET /metered with Redis up = %d %q; want 200", r.Status, r.Body)
	}
	waitForAnswer(t, open, nil, 200, "Redis is up")

	// timed checks that 5 requests each answer status within bound.
	timed := func(t *testing.T, what, url string, header http.Header, status int, body string) {
		t.Helper()
		var longest time.Duration
		defer func() { t.Logf("%s: 5 requests, the longest %v", what, longest) }()
		for i := range 5 {
			start := time.Now()
			r := mustCall(t, "GET", url, "", header, "")
			took := time.Since(start)
			longest = max(longest, took)
			if r.Status != status || r.Body != body {
				t.Errorf("%s: request %d = %d %q; want %d %q", what, i+1, r.Status, r.Body, status, body)
			}
			if took > bound {
				t.Errorf("%s: request %d took %v; want at most %v (state deadline %v)", what, i+1, took, bound, stateTimeout)
			}
		}
	}

	t.Run("hung", func(t *testing.T) {
		if err := redis.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatalf("SIGSTOP redis-server: %v", err)
		}
		timed(t, "throttled only, Redis hung", open, nil, 200, openAnswer)
		timed(t, "under a quota, Redis hung", metered, withKey(m.KeyValue), 500, internalBody)
		if err := redis.cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatalf("SIGCONT redis-server: %v", err)
		}
		waitForAnswer(t, metered, withKey(m.KeyValue), 200, "Redis answers again")
	})
	t.Run("gone", func(t *testing.T) {
		if err := redis.cmd.Process.Kill(); err != nil {
			t.Fatalf("kill redis-server: %v", err)
		}
		testwait.Recv(t, redis.exited, startDeadline, "redis-server's exit")
		timed(t, "throttled only, Redis gone", open, nil, 200, openAnswer)
		timed(t, "under a quota, Redis gone", metered, withKey(m.KeyValue), 500, internalBody)
	})
	g.stop()
}

// TestUsagePlanQuotaAfterCrash: the in-process state never lets a period admit more than its
// limit across a kill -9 (it may admit less: what was reserved before the crash counts as
// used).
func TestUsagePlanQuotaAfterCrash(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	const limit, before = 10, 4
	g, m, metered := startMetered(t, dataDir, limit, before, "before the crash")
	g.kill()

	g = startGatehouse(t, options{dataDir: dataDir})
	metered = g.pathURL(m.ID, "prod") + "/metered"
	r := firstAnswer(t, metered, withKey(m.KeyValue))
	after := 0
	for ; r.Status == 200 && after <= limit; after++ {
		r = mustCall(t, "GET", metered, "", withKey(m.KeyValue), "")
	}
	checkGatewayError(t, "GET /metered once the quota is used, after a crash", r, 429, "LimitExceededException", quotaBody)
	if before+after > limit {
		t.Errorf("a quota of %d admitted %d before kill -9 and %d after; want at most %d in all", limit, before, after, limit)
	}
	t.Logf("quota %d: %d admitted before kill -9, %d after the restart", limit, before, after)
	g.stop()
}

// TestAccountThrottleFlags: --account-rate-limit and --account-burst-limit are the account's
// bucket, applied to every request of every stage, keys or not, and GetAccount reports them.
func TestAccountThrottleFlags(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{args: []string{"--account-rate-limit", "0.0001", "--account-burst-limit", "3"}})
	c := g.client(e2eUsageKeyID, e2eUsageSecret)
	acct, err := c.GetAccount(t.Context(), &apigateway.GetAccountInput{})
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if ts := acct.ThrottleSettings; ts == nil || ts.RateLimit != 0.0001 || ts.BurstLimit != 3 {
		t.Errorf("GetAccount throttleSettings = %+v; want rateLimit 0.0001, burstLimit 3 (the serve flags)", ts)
	}
	m := createMeteredAPI(t, c, 1000)
	// Three tokens for the whole account: the first admitted request of each method takes one.
	if r := firstAnswer(t, g.pathURL(m.ID, "prod")+"/metered", withKey(m.KeyValue)); r.Status != 200 {
		t.Fatalf("GET /metered = %d %q; want 200", r.Status, r.Body)
	}
	open := g.pathURL(m.ID, "prod") + "/open"
	expectAnswers(t, "the account's last two tokens", open, nil, 2, 200, openAnswer)
	for _, req := range []struct {
		url    string
		header http.Header
	}{{open, nil}, {g.pathURL(m.ID, "prod") + "/metered", withKey(m.KeyValue)}} {
		r := mustCall(t, "GET", req.url, "", req.header, "")
		checkGatewayError(t, "GET "+req.url+" past the account's burst", r, 429, "TooManyRequestsException", throttledBody)
	}
	g.stop()
}
