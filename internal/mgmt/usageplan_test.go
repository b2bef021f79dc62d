package mgmt

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/memory"
)

// newConfigEnv is newEnv with the test's changes to the server's Config.
func newConfigEnv(t *testing.T, change func(*Config)) *env {
	t.Helper()
	st := memory.New()
	scope := model.Scope{AccountID: testAccount, Region: "us-east-1"}
	cfg := Config{Store: st, Scope: scope}
	if change != nil {
		change(&cfg)
	}
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { st.Close() })
	client := apigateway.New(apigateway.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       testClient,
	})
	return &env{client: client, store: st, scope: scope, url: srv.URL}
}

// stagedAPI creates a deployable API with the given stages and returns its id.
func (e *env) stagedAPI(t *testing.T, stages ...string) string {
	t.Helper()
	apiID := e.deployableAPI(t)
	for _, st := range stages {
		e.deploy(t, apiID, st)
	}
	return apiID
}

// putAPIKey stores an API key document directly (CreateApiKey is another file's
// operation) and returns its id.
func (e *env) putAPIKey(t *testing.T, id, name string) string {
	t.Helper()
	b, err := json.Marshal(model.APIKeyDocument{APIKey: model.APIKey{ID: id, Name: name, Value: "value-of-" + id + "-0123456789", Enabled: true, StageKeys: []string{}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Txn(ctx(t), store.Op{Key: e.scope.APIKeyKey(id), Value: b, IfRevision: store.Absent}); err != nil {
		t.Fatal(err)
	}
	return id
}

func stages(apiID string, names ...string) []types.ApiStage {
	out := make([]types.ApiStage, len(names))
	for i, n := range names {
		out[i] = types.ApiStage{ApiId: aws.String(apiID), Stage: aws.String(n)}
	}
	return out
}

func (e *env) createPlan(t *testing.T, in *apigateway.CreateUsagePlanInput) string {
	t.Helper()
	out, err := e.client.CreateUsagePlan(ctx(t), in)
	if err != nil {
		t.Fatalf("CreateUsagePlan: %v", err)
	}
	return *out.Id
}

// planCount is the number of stored usage plans.
func planCount(t *testing.T, e *env) int {
	t.Helper()
	kvs, _, err := e.store.List(ctx(t), e.scope.UsagePlanPrefix())
	if err != nil {
		t.Fatal(err)
	}
	return len(kvs)
}

// TestUsagePlanLifecycle drives a plan through the real SDK the way the aws CLI and
// Terraform do: create with stages, throttle, quota and tags (the recorded create's
// values), read it back one and many, update it as Terraform's provider does (remove every
// stage and add the new set, per-method throttles with the method key's slashes as they
// are, add /productCode), and delete it.
func TestUsagePlanLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.stagedAPI(t, "dev", "prod")

	created, err := e.client.CreateUsagePlan(ctx(t), &apigateway.CreateUsagePlanInput{
		Name:        aws.String("gold"),
		Description: aws.String("Test Usage Plan for API key"),
		Quota:       &types.QuotaSettings{Limit: 10, Period: types.QuotaPeriodTypeDay, Offset: 0},
		Throttle:    &types.ThrottleSettings{RateLimit: 2, BurstLimit: 1},
		ApiStages:   stages(apiID, "dev"),
		Tags:        map[string]string{"tag_key": "tag_value"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.Id)
	if len(id) != usagePlanIDLen || *created.Name != "gold" || created.Quota.Limit != 10 || created.Quota.Period != "DAY" ||
		created.Throttle.BurstLimit != 1 || created.Throttle.RateLimit != 2 || len(created.ApiStages) != 1 || created.Tags["tag_key"] != "tag_value" {
		t.Errorf("CreateUsagePlan = %+v", created)
	}

	code, raw := e.rawGet(t, "/usageplans/"+id)
	want := map[string]any{
		"id": id, "name": "gold", "description": "Test Usage Plan for API key",
		"apiStages": []any{map[string]any{"apiId": apiID, "stage": "dev"}},
		"quota":     map[string]any{"limit": float64(10), "offset": float64(0), "period": "DAY"},
		"throttle":  map[string]any{"burstLimit": float64(1), "rateLimit": float64(2)},
		"tags":      map[string]any{"tag_key": "tag_value"},
	}
	if code != 200 || !reflect.DeepEqual(raw, want) {
		t.Errorf("GET /usageplans/%s = %d %v; want %v", id, code, raw, want)
	}

	// A plan with a name only has apiStages [] and no quota or throttle.
	bare := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("bare")})
	if _, raw := e.rawGet(t, "/usageplans/"+bare); !reflect.DeepEqual(raw, map[string]any{"id": bare, "name": "bare", "apiStages": []any{}}) {
		t.Errorf("bare plan = %v", raw)
	}
	list, err := e.client.GetUsagePlans(ctx(t), &apigateway.GetUsagePlansInput{Limit: aws.Int32(1)})
	if err != nil || len(list.Items) != 1 || list.Position == nil {
		t.Fatalf("GetUsagePlans limit 1 = %+v, %v", list, err)
	}
	rest, err := e.client.GetUsagePlans(ctx(t), &apigateway.GetUsagePlansInput{Position: list.Position})
	if err != nil || len(rest.Items) != 1 || rest.Position != nil || *rest.Items[0].Id == *list.Items[0].Id {
		t.Errorf("GetUsagePlans page 2 = %+v, %v", rest, err)
	}

	updated, err := e.client.UpdateUsagePlan(ctx(t), &apigateway.UpdateUsagePlanInput{UsagePlanId: aws.String(id), PatchOperations: []types.PatchOperation{
		op(types.OpRemove, "/apiStages", apiID+":dev"),
		op(types.OpAdd, "/apiStages", apiID+":dev"),
		op(types.OpReplace, "/apiStages/"+apiID+":dev/throttle//pets/GET/rateLimit", "5"),
		op(types.OpReplace, "/apiStages/"+apiID+":dev/throttle//pets/GET/burstLimit", "3"),
		op(types.OpAdd, "/apiStages", apiID+":prod"),
		op(types.OpReplace, "/apiStages/"+apiID+":prod/throttle/~1*~1*/rateLimit", "1.5"),
		op(types.OpAdd, "/productCode", "CODE"),
		op(types.OpReplace, "/quota/limit", "1000"),
		op(types.OpReplace, "/quota/period", "WEEK"),
		op(types.OpReplace, "/quota/offset", "6"),
		op(types.OpReplace, "/throttle/rateLimit", "500"),
		op(types.OpReplace, "/name", "platinum"),
		op(types.OpReplace, "/description", "new"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantStages := []model.APIStage{
		{APIID: apiID, Stage: "dev", Throttle: map[string]model.ThrottleSettings{"/pets/GET": {BurstLimit: 3, RateLimit: 5}}},
		{APIID: apiID, Stage: "prod", Throttle: map[string]model.ThrottleSettings{"/*/*": {RateLimit: 1.5}}},
	}
	stored, _ := storedJSON[model.UsagePlanDocument](t, e, e.scope.UsagePlanKey(id))
	if !reflect.DeepEqual(stored.APIStages, wantStages) || stored.ProductCode != "CODE" || *stored.Quota != (model.QuotaSettings{Limit: 1000, Offset: 6, Period: "WEEK"}) ||
		*stored.Throttle != (model.ThrottleSettings{BurstLimit: 1, RateLimit: 500}) || stored.Name != "platinum" || stored.Description != "new" {
		t.Errorf("stored after update = %+v", stored.UsagePlan)
	}
	if *updated.Name != "platinum" || len(updated.ApiStages) != 2 || updated.ApiStages[0].Throttle["/pets/GET"].BurstLimit != 3 {
		t.Errorf("UpdateUsagePlan = %+v", updated)
	}

	// Removing the throttle, the quota, a method throttle and the product code.
	_, err = e.client.UpdateUsagePlan(ctx(t), &apigateway.UpdateUsagePlanInput{UsagePlanId: aws.String(id), PatchOperations: []types.PatchOperation{
		op(types.OpRemove, "/throttle"), op(types.OpRemove, "/quota"), op(types.OpRemove, "/productCode"),
		op(types.OpRemove, "/apiStages/"+apiID+":dev/throttle/~1pets~1GET"),
		op(types.OpRemove, "/apiStages/"+apiID+":prod/throttle"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, raw := e.rawGet(t, "/usageplans/"+id); raw["throttle"] != nil || raw["quota"] != nil || raw["productCode"] != nil ||
		!reflect.DeepEqual(raw["apiStages"], []any{map[string]any{"apiId": apiID, "stage": "dev"}, map[string]any{"apiId": apiID, "stage": "prod"}}) {
		t.Errorf("after removals = %v", raw)
	}

	if _, err := e.client.DeleteUsagePlan(ctx(t), &apigateway.DeleteUsagePlanInput{UsagePlanId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetUsagePlan(ctx(t), &apigateway.GetUsagePlanInput{UsagePlanId: aws.String(id)})
	wantAPIError(t, "GetUsagePlan after delete", err, "NotFoundException", "Invalid Usage Plan ID specified")
	_, err = e.client.DeleteUsagePlan(ctx(t), &apigateway.DeleteUsagePlanInput{UsagePlanId: aws.String(id)})
	wantAPIError(t, "DeleteUsagePlan again", err, "NotFoundException", "Invalid Usage Plan ID specified")
}

// TestCreateUsagePlanRefusals: CreateUsagePlan(input) = error; every problem reported at
// once, and no plan written.
func TestCreateUsagePlanRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.stagedAPI(t, "dev")
	many := map[string]types.ThrottleSettings{}
	for i := range maxMethodThrottles + 1 {
		many[fmt.Sprintf("/r%02d/GET", i)] = types.ThrottleSettings{RateLimit: 1, BurstLimit: 1}
	}
	tests := []struct {
		name string
		in   apigateway.CreateUsagePlanInput
		code string
		msg  string
	}{
		{"empty name", apigateway.CreateUsagePlanInput{Name: aws.String("")}, "BadRequestException", "Usage Plan name must be specified"},
		{"stage without API id", apigateway.CreateUsagePlanInput{Name: aws.String("p"), ApiStages: []types.ApiStage{{Stage: aws.String("dev")}}},
			"BadRequestException", "Invalid API Stage {api: %s, stage: %s} specified for usageplan %s"},
		{"unknown stage", apigateway.CreateUsagePlanInput{Name: aws.String("p"), ApiStages: stages(apiID, "nope")},
			"BadRequestException", "API Stage not found: " + apiID + ":nope"},
		{"unknown API", apigateway.CreateUsagePlanInput{Name: aws.String("p"), ApiStages: stages("noapi", "dev")},
			"BadRequestException", "API Stage not found: noapi:dev"},
		{"duplicate stage", apigateway.CreateUsagePlanInput{Name: aws.String("p"), ApiStages: stages(apiID, "dev", "dev")},
			"BadRequestException", "Duplicate API Stage " + apiID + ":dev specified for usage plan"},
		{"quota without period", apigateway.CreateUsagePlanInput{Name: aws.String("p"), Quota: &types.QuotaSettings{Limit: 5}},
			"BadRequestException", "Usage Plan quota period must be specified. Must be one of: [DAY, WEEK, MONTH]"},
		{"DAY offset", apigateway.CreateUsagePlanInput{Name: aws.String("p"), Quota: &types.QuotaSettings{Limit: 5, Period: "DAY", Offset: 1}},
			"BadRequestException", "Usage Plan quota offset must be zero in the DAY period"},
		{"WEEK offset", apigateway.CreateUsagePlanInput{Name: aws.String("p"), Quota: &types.QuotaSettings{Limit: 5, Period: "WEEK", Offset: 7}},
			"BadRequestException", "Usage Plan quota offset must be between 0 and 6 inclusive in the WEEK period"},
		{"MONTH offset", apigateway.CreateUsagePlanInput{Name: aws.String("p"), Quota: &types.QuotaSettings{Limit: 5, Period: "MONTH", Offset: 28}},
			"BadRequestException", "Usage Plan quota offset must be between 0 and 27 inclusive in the MONTH period"},
		{"bad period", apigateway.CreateUsagePlanInput{Name: aws.String("p"), Quota: &types.QuotaSettings{Limit: 5, Period: "YEAR"}},
			"ValidationException", "1 validation error detected: Value 'YEAR' at 'createUsagePlanInput.quota.period' failed to satisfy constraint: Member must satisfy enum value set: [DAY, WEEK, MONTH]"},
		{"negative limits", apigateway.CreateUsagePlanInput{Name: aws.String("p"), Throttle: &types.ThrottleSettings{BurstLimit: -1, RateLimit: -2}},
			"BadRequestException", "Invalid throttle burstLimit -1: must be a non-negative integer Invalid throttle rateLimit -2: must be a non-negative number"},
		{"bad method key", apigateway.CreateUsagePlanInput{Name: aws.String("p"), ApiStages: []types.ApiStage{{ApiId: aws.String(apiID), Stage: aws.String("dev"),
			Throttle: map[string]types.ThrottleSettings{"pets/GET": {}}}}},
			"BadRequestException", "Invalid method throttle key 'pets/GET'. Must be of the form /{resourcePath}/{httpMethod}"},
		{"too many method throttles", apigateway.CreateUsagePlanInput{Name: aws.String("p"), ApiStages: []types.ApiStage{{ApiId: aws.String(apiID), Stage: aws.String("dev"), Throttle: many}}},
			"BadRequestException", "API Stage " + apiID + ":dev has 21 method throttle settings. At most 20 are allowed"},
		{"every problem at once", apigateway.CreateUsagePlanInput{Name: aws.String(""), Quota: &types.QuotaSettings{Limit: -1, Period: "DAY", Offset: 2},
			Tags: map[string]string{"aws:x": "y"}},
			"BadRequestException", "Usage Plan name must be specified Usage Plan quota limit must be a non-negative integer Usage Plan quota offset must be zero in the DAY period Tag key 'aws:x' must not start with 'aws:'"},
	}
	for _, tt := range tests {
		_, err := e.client.CreateUsagePlan(ctx(t), &tt.in)
		wantAPIError(t, tt.name, err, tt.code, tt.msg)
	}
	if n := planCount(t, e); n != 0 {
		t.Errorf("refused creates wrote %d plans", n)
	}
	// Rate with a burst of 0 and a quota limit of 0 are valid (they admit nothing).
	if _, err := e.client.CreateUsagePlan(ctx(t), &apigateway.CreateUsagePlanInput{Name: aws.String("zero"),
		Throttle: &types.ThrottleSettings{RateLimit: 10}, Quota: &types.QuotaSettings{Period: "MONTH", Offset: 27}}); err != nil {
		t.Errorf("burst 0, limit 0: %v", err)
	}
}

// TestUpdateUsagePlanRefusals: UpdateUsagePlan(ops) = error, and the plan is unchanged.
func TestUpdateUsagePlanRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.stagedAPI(t, "dev", "prod")
	id := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("p"), ApiStages: stages(apiID, "dev"),
		Quota: &types.QuotaSettings{Limit: 5, Period: "DAY"}})
	before, rev := storedJSON[model.UsagePlanDocument](t, e, e.scope.UsagePlanKey(id))
	dev := "/apiStages/" + apiID + ":dev"
	tests := []struct {
		name string
		ops  []types.PatchOperation
		code string
		msg  string
	}{
		{"unknown path", []types.PatchOperation{op(types.OpReplace, "/nope", "x")}, "BadRequestException",
			"Invalid patch path '/nope' specified for op 'replace'. Must be one of: " + usagePlanUpdatePaths},
		{"empty name", []types.PatchOperation{op(types.OpReplace, "/name", "")}, "BadRequestException", "Usage Plan name must be specified"},
		{"bad limit", []types.PatchOperation{op(types.OpReplace, "/quota/limit", "ten")}, "BadRequestException", "Invalid integer value 'ten' for /quota/limit"},
		{"bad period", []types.PatchOperation{op(types.OpReplace, "/quota/period", "YEAR")}, "BadRequestException",
			"Invalid quota period specified: 'YEAR'. Must be one of: [DAY, WEEK, MONTH]"},
		{"offset checked against the period", []types.PatchOperation{op(types.OpReplace, "/quota/offset", "3")}, "BadRequestException",
			"Usage Plan quota offset must be zero in the DAY period"},
		{"new quota needs a period", []types.PatchOperation{op(types.OpRemove, "/quota"), op(types.OpAdd, "/quota/limit", "3")}, "BadRequestException",
			"Usage Plan quota period must be specified. Must be one of: [DAY, WEEK, MONTH]"},
		{"bad rate", []types.PatchOperation{op(types.OpReplace, "/throttle/rateLimit", "-1")}, "BadRequestException", "Invalid number value '-1' for /throttle/rateLimit"},
		{"unknown stage", []types.PatchOperation{op(types.OpAdd, "/apiStages", apiID+":nope")}, "BadRequestException", "API Stage not found: " + apiID + ":nope"},
		{"malformed stage", []types.PatchOperation{op(types.OpAdd, "/apiStages", "nocolon")}, "BadRequestException", "Invalid API Stage {api: %s, stage: %s} specified for usageplan %s"},
		{"stage twice", []types.PatchOperation{op(types.OpAdd, "/apiStages", apiID+":dev")}, "BadRequestException", "API Stage " + apiID + ":dev is already in the usage plan"},
		{"remove absent stage", []types.PatchOperation{op(types.OpRemove, "/apiStages", apiID+":prod")}, "BadRequestException", "API Stage " + apiID + ":prod is not in the usage plan"},
		{"method throttle on absent stage", []types.PatchOperation{op(types.OpReplace, "/apiStages/"+apiID+":prod/throttle//pets/GET/rateLimit", "1")}, "BadRequestException",
			"API Stage " + apiID + ":prod is not in the usage plan"},
		{"bad method key", []types.PatchOperation{op(types.OpReplace, dev+"/throttle/pets/rateLimit", "1")}, "BadRequestException",
			"Invalid method throttle key 'pets'. Must be of the form /{resourcePath}/{httpMethod}"},
		{"bad method member", []types.PatchOperation{op(types.OpReplace, dev+"/throttle//pets/GET/other", "1")}, "BadRequestException",
			"Invalid patch path '" + dev + "/throttle//pets/GET/other' specified for op 'replace'. Must be one of: " + usagePlanUpdatePaths},
		{"remove absent method throttle", []types.PatchOperation{op(types.OpRemove, dev+"/throttle/~1pets~1GET")}, "BadRequestException",
			"Method throttle /pets/GET is not set for API Stage " + apiID + ":dev"},
		{"every problem at once", []types.PatchOperation{op(types.OpReplace, "/name", "ok"), op(types.OpReplace, "/throttle/burstLimit", "x"), op(types.OpMove, "/name", "y")}, "BadRequestException",
			"Invalid integer value 'x' for /throttle/burstLimit Invalid patch path '/name' specified for op 'move'. Must be one of: " + usagePlanUpdatePaths},
		{"unknown plan", nil, "NotFoundException", "Invalid Usage Plan ID specified"},
	}
	for _, tt := range tests {
		planID := id
		if tt.ops == nil {
			planID = "nope00"
			tt.ops = []types.PatchOperation{op(types.OpReplace, "/name", "x")}
		}
		_, err := e.client.UpdateUsagePlan(ctx(t), &apigateway.UpdateUsagePlanInput{UsagePlanId: aws.String(planID), PatchOperations: tt.ops})
		wantAPIError(t, tt.name, err, tt.code, tt.msg)
	}
	after, afterRev := storedJSON[model.UsagePlanDocument](t, e, e.scope.UsagePlanKey(id))
	if afterRev != rev || !reflect.DeepEqual(after, before) {
		t.Errorf("refused updates changed the plan: %+v (rev %d -> %d)", after, rev, afterRev)
	}
}

// TestMethodThrottleKeyProblem: methodThrottleKeyProblem(key) = "" exactly for AWS's
// "/{resourcePath}/{httpMethod}" forms.
func TestMethodThrottleKeyProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key string
		ok  bool
	}{
		{"/pets/GET", true}, {"//GET", true}, {"/*/*", true}, {"/pets/{id}/DELETE", true}, {"/pets/ANY", true}, {"/a/b/c/OPTIONS", true},
		{"", false}, {"/", false}, {"GET", false}, {"pets/GET", false}, {"/pets/get", false}, {"/pets/", false},
		{"/pets//GET", false}, {"///GET", false}, {"/pets/GET/", false}, {"/FETCH", false},
	}
	for _, tt := range tests {
		if got := methodThrottleKeyProblem(tt.key) == ""; got != tt.ok {
			t.Errorf("methodThrottleKeyProblem(%q) valid = %v; want %v", tt.key, got, tt.ok)
		}
	}
}

// FuzzPatchUsagePlan: no patch operation panics patchUsagePlan, and a plan it accepts
// without problems stays well formed: method throttle keys of AWS's form, no stage twice.
func FuzzPatchUsagePlan(f *testing.F) {
	for _, s := range []struct{ op, path, value string }{
		{"replace", "/apiStages/a:dev/throttle//pets/GET/rateLimit", "1"},
		{"replace", "/apiStages/a:dev/throttle/~1pets~1GET/burstLimit", "2"},
		{"remove", "/apiStages/a:dev/throttle/~1*~1*", ""},
		{"add", "/apiStages", "b:prod"},
		{"remove", "/apiStages", "a:dev"},
		{"replace", "/quota/offset", "3"},
		{"replace", "/throttle/rateLimit", "1e308"},
		{"remove", "/apiStages/a:dev/throttle", ""},
		{"replace", "/apiStages/~1:x/throttle/", ""},
	} {
		f.Add(s.op, s.path, s.value)
	}
	f.Fuzz(func(t *testing.T, o, path, value string) {
		p := &model.UsagePlan{ID: "p", Name: "n", APIStages: []model.APIStage{{APIID: "a", Stage: "dev",
			Throttle: map[string]model.ThrottleSettings{"/*/*": {RateLimit: 1}}}}}
		var pl problemList
		patchUsagePlan(p, awsjson.PatchOperation{Op: o, Path: path, Value: &value}, &pl)
		if len(pl) > 0 {
			return
		}
		seen := map[string]bool{}
		for _, st := range p.APIStages {
			if seen[apiStageID(st)] {
				t.Fatalf("stage %s twice after %s %s %q", apiStageID(st), o, path, value)
			}
			seen[apiStageID(st)] = true
			for k := range st.Throttle {
				if msg := methodThrottleKeyProblem(k); msg != "" {
					t.Fatalf("%s %s %q left method key %q: %s", o, path, value, k, msg)
				}
			}
		}
	})
}
