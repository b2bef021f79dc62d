package mgmt

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
)

func TestAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A new account as AWS reports it, on the raw wire.
	code, body := e.rawGet(t, "/account")
	want := map[string]any{
		"throttleSettings": map[string]any{"burstLimit": float64(5000), "rateLimit": float64(10000)},
		"features":         []any{"UsagePlans"},
		"apiKeyVersion":    "4",
	}
	if code != 200 || !reflect.DeepEqual(body, want) {
		t.Errorf("GET /account = %d %v; want %v", code, body, want)
	}

	const role = "arn:aws:iam::123456789012:role/APIGatewayToCloudWatchLogs"
	out, err := e.client.UpdateAccount(ctx(t), &apigateway.UpdateAccountInput{
		PatchOperations: []types.PatchOperation{op(types.OpReplace, "/cloudwatchRoleArn", role)},
	})
	if err != nil || aws.ToString(out.CloudwatchRoleArn) != role || out.ThrottleSettings.BurstLimit != 5000 || out.ThrottleSettings.RateLimit != 10000 {
		t.Fatalf("UpdateAccount = %+v, %v", out, err)
	}
	stored, _ := storedJSON[model.Account](t, e, e.scope.AccountKey())
	if stored.CloudwatchRoleArn != role {
		t.Errorf("stored account = %+v", stored)
	}
	got, err := e.client.GetAccount(ctx(t), &apigateway.GetAccountInput{})
	if err != nil || aws.ToString(got.CloudwatchRoleArn) != role || got.ApiKeyVersion == nil || *got.ApiKeyVersion != "4" || !reflect.DeepEqual(got.Features, []string{"UsagePlans"}) {
		t.Errorf("GetAccount = %+v, %v", got, err)
	}

	tests := []struct {
		name string
		ops  []types.PatchOperation
		code string
		msg  string
	}{
		{"not an ARN", []types.PatchOperation{op(types.OpReplace, "/cloudwatchRoleArn", "my-role")}, "BadRequestException", "Invalid ARN specified in the request"},
		{"not a role", []types.PatchOperation{op(types.OpReplace, "/cloudwatchRoleArn", "arn:aws:iam::123456789012:user/bob")}, "BadRequestException", "Invalid ARN specified in the request"},
		{"every problem", []types.PatchOperation{
			op(types.OpReplace, "/cloudwatchRoleArn", "arn:aws:iam::123456789012:role/other"),
			op(types.OpAdd, "/cloudwatchRoleArn", "x"),
			op(types.OpReplace, "/throttleSettings/burstLimit", "1"),
		}, "BadRequestException", "Invalid patch operation specified. Must be one of: [replace] Invalid patch path  '/throttleSettings/burstLimit' specified for op 'replace'. Must be one of: [/cloudwatchRoleArn, /features]"},
		{"bad op", []types.PatchOperation{op("nope", "/cloudwatchRoleArn", "x")}, "ValidationException",
			"1 validation error detected: Value 'nope' at 'updateAccountInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"},
	}
	for _, tt := range tests {
		_, err := e.client.UpdateAccount(ctx(t), &apigateway.UpdateAccountInput{PatchOperations: tt.ops})
		wantAPIError(t, tt.name, err, tt.code, tt.msg)
	}
	if after, _ := storedJSON[model.Account](t, e, e.scope.AccountKey()); after.CloudwatchRoleArn != role {
		t.Errorf("rejected updates changed the role to %q", after.CloudwatchRoleArn)
	}

	// An empty value clears the role.
	out, err = e.client.UpdateAccount(ctx(t), &apigateway.UpdateAccountInput{
		PatchOperations: []types.PatchOperation{op(types.OpReplace, "/cloudwatchRoleArn", "")},
	})
	if err != nil || out.CloudwatchRoleArn != nil {
		t.Errorf("clearing the role = %+v, %v", out, err)
	}
}
