package mgmt

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

func (e *env) addKey(planID, keyID string, t *testing.T) (*apigateway.CreateUsagePlanKeyOutput, error) {
	t.Helper()
	return e.client.CreateUsagePlanKey(ctx(t), &apigateway.CreateUsagePlanKeyInput{UsagePlanId: aws.String(planID), KeyId: aws.String(keyID), KeyType: aws.String("API_KEY")})
}

// keyPlans is the stored UsagePlanIDs of an API key.
func keyPlans(t *testing.T, e *env, keyID string) []string {
	t.Helper()
	key, _ := storedJSON[model.APIKeyDocument](t, e, e.scope.APIKeyKey(keyID))
	return key.UsagePlanIDs
}

func memberExists(t *testing.T, e *env, planID, keyID string) bool {
	t.Helper()
	_, err := e.store.Get(ctx(t), e.scope.UsagePlanKeyKey(planID, keyID))
	return err == nil
}

// TestUsagePlanKeys: a key joins and leaves a plan (membership document and the key's
// UsagePlanIDs together), is listed, filtered and paged, and GetUsagePlans?keyId finds its
// plans.
func TestUsagePlanKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.stagedAPI(t, "dev")
	plan := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("gold"), ApiStages: stages(apiID, "dev")})
	other := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("other")})
	e.putAPIKey(t, "key001", "test-key-a")
	e.putAPIKey(t, "key002", "test-key-b")
	e.putAPIKey(t, "key003", "other-key")

	out, err := e.addKey(plan, "key001", t)
	if err != nil {
		t.Fatal(err)
	}
	if *out.Id != "key001" || *out.Type != "API_KEY" || *out.Name != "test-key-a" || *out.Value != "value-of-key001-0123456789" {
		t.Errorf("CreateUsagePlanKey = %+v", out)
	}
	if !memberExists(t, e, plan, "key001") || !reflect.DeepEqual(keyPlans(t, e, "key001"), []string{plan}) {
		t.Errorf("after CreateUsagePlanKey: membership %v, key plans %v", memberExists(t, e, plan, "key001"), keyPlans(t, e, "key001"))
	}
	for _, k := range []string{"key002", "key003"} {
		if _, err := e.addKey(plan, k, t); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.addKey(other, "key001", t); err != nil {
		t.Fatal(err)
	}

	got, err := e.client.GetUsagePlanKey(ctx(t), &apigateway.GetUsagePlanKeyInput{UsagePlanId: aws.String(plan), KeyId: aws.String("key002")})
	if err != nil || *got.Name != "test-key-b" || *got.Value == "" {
		t.Errorf("GetUsagePlanKey = %+v, %v", got, err)
	}
	list := func(in *apigateway.GetUsagePlanKeysInput) ([]string, *string) {
		t.Helper()
		in.UsagePlanId = aws.String(plan)
		out, err := e.client.GetUsagePlanKeys(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range out.Items {
			ids = append(ids, *k.Id)
		}
		return ids, out.Position
	}
	tests := []struct {
		name string
		in   apigateway.GetUsagePlanKeysInput
		want []string
	}{
		{"all", apigateway.GetUsagePlanKeysInput{}, []string{"key001", "key002", "key003"}},
		{"name prefix", apigateway.GetUsagePlanKeysInput{NameQuery: aws.String("test-key")}, []string{"key001", "key002"}},
		{"whole name", apigateway.GetUsagePlanKeysInput{NameQuery: aws.String("other-key")}, []string{"key003"}},
		{"no match", apigateway.GetUsagePlanKeysInput{NameQuery: aws.String("nothing")}, nil},
		{"page", apigateway.GetUsagePlanKeysInput{Limit: aws.Int32(2)}, []string{"key001", "key002"}},
		{"next page", apigateway.GetUsagePlanKeysInput{Limit: aws.Int32(2), Position: aws.String("key003")}, []string{"key003"}},
	}
	for _, tt := range tests {
		if got, _ := list(&tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("GetUsagePlanKeys(%s) = %v; want %v", tt.name, got, tt.want)
		}
	}
	if _, pos := list(&apigateway.GetUsagePlanKeysInput{Limit: aws.Int32(2)}); aws.ToString(pos) != "key003" {
		t.Errorf("position after 2 = %v; want key003", aws.ToString(pos))
	}
	// An unknown plan lists no keys (AWS answers it without an error).
	if out, err := e.client.GetUsagePlanKeys(ctx(t), &apigateway.GetUsagePlanKeysInput{UsagePlanId: aws.String("bad-id")}); err != nil || len(out.Items) != 0 {
		t.Errorf("GetUsagePlanKeys(bad-id) = %+v, %v", out, err)
	}

	plans, err := e.client.GetUsagePlans(ctx(t), &apigateway.GetUsagePlansInput{KeyId: aws.String("key002")})
	if err != nil || len(plans.Items) != 1 || *plans.Items[0].Id != plan {
		t.Errorf("GetUsagePlans(keyId key002) = %+v, %v", plans, err)
	}
	if plans, err := e.client.GetUsagePlans(ctx(t), &apigateway.GetUsagePlansInput{KeyId: aws.String("key001")}); err != nil || len(plans.Items) != 2 {
		t.Errorf("GetUsagePlans(keyId key001) = %+v, %v", plans, err)
	}

	if _, err := e.client.DeleteUsagePlanKey(ctx(t), &apigateway.DeleteUsagePlanKeyInput{UsagePlanId: aws.String(plan), KeyId: aws.String("key001")}); err != nil {
		t.Fatal(err)
	}
	if memberExists(t, e, plan, "key001") || !reflect.DeepEqual(keyPlans(t, e, "key001"), []string{other}) {
		t.Errorf("after DeleteUsagePlanKey: membership %v, key plans %v", memberExists(t, e, plan, "key001"), keyPlans(t, e, "key001"))
	}

	// DeleteUsagePlan takes every membership with it.
	if _, err := e.client.DeleteUsagePlan(ctx(t), &apigateway.DeleteUsagePlanInput{UsagePlanId: aws.String(plan)}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"key002", "key003"} {
		if memberExists(t, e, plan, k) || len(keyPlans(t, e, k)) != 0 {
			t.Errorf("after DeleteUsagePlan, key %s: membership %v, plans %v", k, memberExists(t, e, plan, k), keyPlans(t, e, k))
		}
	}
	if !reflect.DeepEqual(keyPlans(t, e, "key001"), []string{other}) {
		t.Errorf("key001 plans = %v; want [%s]", keyPlans(t, e, "key001"), other)
	}
}

// TestUsagePlanKeyRefusals: CreateUsagePlanKey, GetUsagePlanKey and DeleteUsagePlanKey
// refuse what AWS refuses, and a refused create writes nothing.
func TestUsagePlanKeyRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.stagedAPI(t, "dev", "prod")
	gold := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("gold"), ApiStages: stages(apiID, "dev")})
	silver := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("silver"), ApiStages: stages(apiID, "dev", "prod")})
	bronze := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("bronze"), ApiStages: stages(apiID, "prod")})
	e.putAPIKey(t, "key001", "k1")
	e.putAPIKey(t, "key002", "k2")
	if _, err := e.addKey(gold, "key001", t); err != nil {
		t.Fatal(err)
	}
	if _, err := e.addKey(bronze, "key002", t); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name          string
		plan, key, kt string
		code, msg     string
	}{
		{"unknown key", gold, "nokey", "API_KEY", "NotFoundException", "Invalid API Key identifier specified"},
		{"unknown plan", "noplan", "key002", "API_KEY", "NotFoundException", "Invalid Usage Plan ID specified"},
		{"key type", gold, "key002", "SECRET", "BadRequestException", "Invalid Usage Plan Key type specified: 'SECRET'. Must be one of: [API_KEY]"},
		{"already in the plan", gold, "key001", "API_KEY", "ConflictException", "API Key key001 is already in Usage Plan " + gold},
		{"another plan on the same stage", silver, "key001", "API_KEY", "ConflictException",
			"API Key key001 is already associated with API Stage " + apiID + ":dev through Usage Plan " + gold + ". An API key can be in only one usage plan per API stage"},
	}
	for _, tt := range tests {
		_, err := e.client.CreateUsagePlanKey(ctx(t), &apigateway.CreateUsagePlanKeyInput{UsagePlanId: aws.String(tt.plan), KeyId: aws.String(tt.key), KeyType: aws.String(tt.kt)})
		wantAPIError(t, "CreateUsagePlanKey "+tt.name, err, tt.code, tt.msg)
	}
	if memberExists(t, e, silver, "key001") || !reflect.DeepEqual(keyPlans(t, e, "key001"), []string{gold}) {
		t.Error("a refused CreateUsagePlanKey wrote a membership")
	}

	// Adding a stage to a plan must not put one of its keys in two plans for that stage:
	// key001 is in gold (dev) and bronze (prod); bronze may not take dev.
	if _, err := e.addKey(bronze, "key001", t); err != nil {
		t.Fatal(err)
	}
	_, rev := storedJSON[model.UsagePlanDocument](t, e, e.scope.UsagePlanKey(bronze))
	_, err := e.client.UpdateUsagePlan(ctx(t), &apigateway.UpdateUsagePlanInput{UsagePlanId: aws.String(bronze),
		PatchOperations: []types.PatchOperation{op(types.OpAdd, "/apiStages", apiID+":dev")}})
	wantAPIError(t, "UpdateUsagePlan giving key001 a second plan on dev", err, "ConflictException",
		"API Key key001 is already associated with API Stage "+apiID+":dev through Usage Plan "+gold+". An API key can be in only one usage plan per API stage")
	if _, after := storedJSON[model.UsagePlanDocument](t, e, e.scope.UsagePlanKey(bronze)); after != rev {
		t.Error("a refused UpdateUsagePlan wrote the plan")
	}

	gets := []struct {
		name, plan, key, code, msg string
	}{
		{"unknown plan", "noplan", "key001", "NotFoundException", "Invalid Usage Plan ID specified"},
		{"unknown key", gold, "nokey", "NotFoundException", "Invalid API Key identifier specified"},
		{"key not in the plan", gold, "key002", "NotFoundException", "Invalid Usage Plan ID specified"},
	}
	for _, tt := range gets {
		_, err := e.client.GetUsagePlanKey(ctx(t), &apigateway.GetUsagePlanKeyInput{UsagePlanId: aws.String(tt.plan), KeyId: aws.String(tt.key)})
		wantAPIError(t, "GetUsagePlanKey "+tt.name, err, tt.code, tt.msg)
		_, err = e.client.DeleteUsagePlanKey(ctx(t), &apigateway.DeleteUsagePlanKeyInput{UsagePlanId: aws.String(tt.plan), KeyId: aws.String(tt.key)})
		wantAPIError(t, "DeleteUsagePlanKey "+tt.name, err, tt.code, tt.msg)
	}
}

// TestUsagePlanKeyLimit: a key can be in at most 10 plans ([A] limits.md).
func TestUsagePlanKeyLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.putAPIKey(t, "key001", "k")
	for i := range maxPlansPerKey {
		id := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String(fmt.Sprint("p", i))})
		if _, err := e.addKey(id, "key001", t); err != nil {
			t.Fatal(err)
		}
	}
	id := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("eleventh")})
	_, err := e.addKey(id, "key001", t)
	wantAPIError(t, "11th plan", err, "LimitExceededException", "API Key key001 is already in 10 usage plans, the most an API key can be in")
	if n := len(keyPlans(t, e, "key001")); n != maxPlansPerKey {
		t.Errorf("key plans = %d; want %d", n, maxPlansPerKey)
	}
}

// TestUsagePlanKeyConcurrent: plans that share a stage race to take one key; exactly one
// wins, and the key's UsagePlanIDs and the memberships agree.
func TestUsagePlanKeyConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.stagedAPI(t, "dev")
	e.putAPIKey(t, "key001", "k")
	const n = 8
	plans := make([]string, n)
	for i := range plans {
		plans[i] = e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String(fmt.Sprint("p", i)), ApiStages: stages(apiID, "dev")})
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, p := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.addKey(p, "key001", t)
		}()
	}
	testwait.Group(t, &wg, testwait.Patient, "concurrent CreateUsagePlanKey")
	won := 0
	for i, err := range errs {
		if err == nil {
			won++
			if !memberExists(t, e, plans[i], "key001") {
				t.Errorf("winner %s has no membership", plans[i])
			}
			continue
		}
		if code, _ := apiErr(t, err); code != "ConflictException" {
			t.Errorf("loser %d: %v", i, err)
		}
	}
	if won != 1 || len(keyPlans(t, e, "key001")) != 1 {
		t.Errorf("%d winners, key plans %v; want exactly one", won, keyPlans(t, e, "key001"))
	}
	kvs, _, _ := e.store.List(ctx(t), e.scope.APIKeyPrefix())
	if len(kvs) != 1 {
		t.Errorf("%d key documents", len(kvs))
	}
}
