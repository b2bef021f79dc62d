package mgmt

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestAPIKeyLifecycle drives the API key operations through the real SDK: create (value
// generated or given), get with and without the value, list with a name prefix, update,
// delete; a duplicate value and bad inputs are refused.
func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	gen, err := e.client.CreateApiKey(ctx(t), &apigateway.CreateApiKeyInput{Name: aws.String("alpha"), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(aws.ToString(gen.Id)) != 10 || len(aws.ToString(gen.Value)) != 40 || !gen.Enabled {
		t.Fatalf("created = id %q value %q enabled %v", aws.ToString(gen.Id), aws.ToString(gen.Value), gen.Enabled)
	}
	const given = "abcdefghijklmnopqrstuvwxyz"
	if _, err := e.client.CreateApiKey(ctx(t), &apigateway.CreateApiKeyInput{Name: aws.String("beta"), Value: aws.String(given)}); err != nil {
		t.Fatal(err)
	}

	refusals := []struct {
		name string
		in   apigateway.CreateApiKeyInput
		code string
	}{
		{"duplicate value", apigateway.CreateApiKeyInput{Value: aws.String(given)}, "ConflictException"},
		{"short value", apigateway.CreateApiKeyInput{Value: aws.String("short")}, "BadRequestException"},
		{"unknown stage", apigateway.CreateApiKeyInput{StageKeys: []types.StageKey{{RestApiId: aws.String("nope"), StageName: aws.String("dev")}}}, "BadRequestException"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.CreateApiKey(ctx(t), &tc.in)
			if code, _ := apiErr(t, err); code != tc.code {
				t.Errorf("code = %s; want %s", code, tc.code)
			}
		})
	}

	got, err := e.client.GetApiKey(ctx(t), &apigateway.GetApiKeyInput{ApiKey: gen.Id})
	if err != nil || got.Value != nil || aws.ToString(got.Name) != "alpha" {
		t.Fatalf("get = %+v, %v; want alpha without value", got, err)
	}
	got, err = e.client.GetApiKey(ctx(t), &apigateway.GetApiKeyInput{ApiKey: gen.Id, IncludeValue: aws.Bool(true)})
	if err != nil || aws.ToString(got.Value) != aws.ToString(gen.Value) {
		t.Fatalf("get includeValue = %+v, %v", got, err)
	}

	list, err := e.client.GetApiKeys(ctx(t), &apigateway.GetApiKeysInput{NameQuery: aws.String("al")})
	if err != nil || len(list.Items) != 1 || aws.ToString(list.Items[0].Name) != "alpha" || list.Items[0].Value != nil {
		t.Fatalf("list name=al = %+v, %v", list, err)
	}
	all, err := e.client.GetApiKeys(ctx(t), &apigateway.GetApiKeysInput{IncludeValues: aws.Bool(true), Limit: aws.Int32(1)})
	if err != nil || len(all.Items) != 1 || all.Items[0].Value == nil || all.Position == nil {
		t.Fatalf("list page = %+v, %v", all, err)
	}

	up, err := e.client.UpdateApiKey(ctx(t), &apigateway.UpdateApiKeyInput{ApiKey: gen.Id, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("d")},
		{Op: types.OpReplace, Path: aws.String("/enabled"), Value: aws.String("false")},
	}})
	if err != nil || aws.ToString(up.Description) != "d" || up.Enabled {
		t.Fatalf("update = %+v, %v", up, err)
	}
	_, err = e.client.UpdateApiKey(ctx(t), &apigateway.UpdateApiKeyInput{ApiKey: gen.Id, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/value"), Value: aws.String("x")}}})
	if code, _ := apiErr(t, err); code != "BadRequestException" {
		t.Errorf("update /value = %s; want BadRequestException", code)
	}

	if _, err := e.client.DeleteApiKey(ctx(t), &apigateway.DeleteApiKeyInput{ApiKey: gen.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetApiKey(ctx(t), &apigateway.GetApiKeyInput{ApiKey: gen.Id})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid API Key identifier specified" {
		t.Errorf("get deleted = %s %q", code, msg)
	}
	// The deleted key's value is free again.
	if _, err := e.client.CreateApiKey(ctx(t), &apigateway.CreateApiKeyInput{Value: gen.Value}); err != nil {
		t.Errorf("reuse of a deleted key's value: %v", err)
	}
}

// TestAPIKeyAndUsagePlanTags: TagResource, GetTags and UntagResource on an API key's ARN and
// a usage plan's (the plan document written directly: its handlers are another file's).
func TestAPIKeyAndUsagePlanTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	k, err := e.client.CreateApiKey(ctx(t), &apigateway.CreateApiKeyInput{Name: aws.String("k"), Tags: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	plan := model.UsagePlanDocument{UsagePlan: model.UsagePlan{ID: "plan000001", Name: "p"}}
	op, err := store.PutJSON(e.scope.UsagePlanKey(plan.ID), plan, store.Absent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Txn(ctx(t), op); err != nil {
		t.Fatal(err)
	}
	for _, arn := range []string{"arn:aws:apigateway:us-east-1::/apikeys/" + aws.ToString(k.Id), "arn:aws:apigateway:us-east-1::/usageplans/plan000001"} {
		t.Run(arn, func(t *testing.T) {
			if _, err := e.client.TagResource(ctx(t), &apigateway.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"b": "2"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.client.UntagResource(ctx(t), &apigateway.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a"}}); err != nil {
				t.Fatal(err)
			}
			got, err := e.client.GetTags(ctx(t), &apigateway.GetTagsInput{ResourceArn: aws.String(arn)})
			if err != nil || len(got.Tags) != 1 || got.Tags["b"] != "2" {
				t.Fatalf("tags = %v, %v; want {b: 2}", got, err)
			}
		})
	}
	for arn, want := range map[string]string{
		"arn:aws:apigateway:us-east-1::/apikeys/nope000000":    "Invalid API Key identifier specified",
		"arn:aws:apigateway:us-east-1::/usageplans/nope000000": "Invalid Usage Plan ID specified",
	} {
		_, err := e.client.GetTags(ctx(t), &apigateway.GetTagsInput{ResourceArn: aws.String(arn)})
		if code, msg := apiErr(t, err); code != "NotFoundException" || msg != want {
			t.Errorf("GetTags %s = %s %q; want NotFoundException %q", arn, code, msg, want)
		}
	}
}
