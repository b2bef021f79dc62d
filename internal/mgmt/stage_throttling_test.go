package mgmt

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestUpdateStageThrottlingUnset: UpdateStage accepts -1 for throttling/burstLimit and
// throttling/rateLimit, as Terraform's aws_api_gateway_method_settings sends them for limits
// left unset ("-1" and "-1.000000"), and answers -1 back; other negative values are refused.
func TestUpdateStageThrottlingUnset(t *testing.T) {
	e := newEnv(t)
	apiID := e.deployableAPI(t)
	e.deploy(t, apiID, "dev")
	op := func(path, v string) types.PatchOperation {
		return types.PatchOperation{Op: types.OpReplace, Path: aws.String(path), Value: aws.String(v)}
	}
	out, err := e.client.UpdateStage(ctx(t), &apigateway.UpdateStageInput{RestApiId: &apiID, StageName: aws.String("dev"), PatchOperations: []types.PatchOperation{
		op("/*/*/logging/loglevel", "INFO"),
		op("/*/*/throttling/burstLimit", "-1"),
		op("/*/*/throttling/rateLimit", "-1.000000"),
	}})
	if err != nil {
		t.Fatalf("UpdateStage with -1 limits: %v", err)
	}
	if ms := out.MethodSettings["*/*"]; ms.ThrottlingBurstLimit != -1 || ms.ThrottlingRateLimit != -1 || aws.ToString(ms.LoggingLevel) != "INFO" {
		t.Errorf("UpdateStage */* = %+v; want burst -1, rate -1.0, loglevel INFO", ms)
	}
	if _, body := e.rawGet(t, "/restapis/"+apiID+"/stages/dev"); body["methodSettings"].(map[string]any)["*/*"].(map[string]any)["throttlingBurstLimit"] != -1.0 {
		t.Errorf("GetStage methodSettings = %v; want throttlingBurstLimit -1", body["methodSettings"])
	}
	_, err = e.client.UpdateStage(ctx(t), &apigateway.UpdateStageInput{RestApiId: &apiID, StageName: aws.String("dev"), PatchOperations: []types.PatchOperation{
		op("/*/*/throttling/burstLimit", "-2"),
		op("/*/*/throttling/rateLimit", "-0.5"),
	}})
	wantAPIError(t, "UpdateStage with -2 and -0.5", err, "BadRequestException",
		"Invalid integer value '-2' for /throttling/burstLimit Invalid number value '-0.5' for /throttling/rateLimit")
}
