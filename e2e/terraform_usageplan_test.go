package e2e

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestTerraformUsagePlan applies testdata/terraform-usageplan (an API key, a usage plan with
// a plan throttle, a weekly quota with an offset and a per-method throttle, the key in the
// plan, stage-wide method throttling and the account's CloudWatch role) with the real
// Terraform and AWS provider, checks that a second plan finds nothing to change and that the
// management API holds what was declared, applies changed values (updates in place) and
// checks again, and checks that destroy removes it all.
func TestTerraformUsagePlan(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	internet := newRecordingProxy(t)
	tf := newTerraform(t, internet.URL, "terraform-usageplan")
	vars := []string{"-var", "endpoint=" + g.AdminURL}
	client := g.client("AKIAE2ETERRAFORMUP01", "e2e-terraform-usageplan-secret")

	tf.run(t, append([]string{"apply", "-auto-approve", "-input=false"}, vars...)...)
	outputs := tf.outputs(t)
	apiID, keyID, planID := outputs["api_id"], outputs["api_key_id"], outputs["usage_plan_id"]
	if apiID == "" || keyID == "" || planID == "" {
		t.Fatalf("terraform outputs = %+v; want api_id, api_key_id and usage_plan_id", outputs)
	}

	declared := usagePlanVars{quotaLimit: 5000, methodRate: 5, stageBurst: 20, keyDescription: "a partner's key"}
	checkTerraformUsagePlan(t, tf, client, vars, declared, apiID, keyID, planID)

	// A second apply with other values updates every resource in place (UpdateUsagePlan,
	// UpdateApiKey, UpdateStage patch operations as the provider writes them).
	changed := usagePlanVars{quotaLimit: 7000, methodRate: 3, stageBurst: 30, keyDescription: "renamed"}
	more := slices.Concat(vars, changed.args())
	out := tf.run(t, append([]string{"apply", "-auto-approve", "-input=false"}, more...)...)
	if !strings.Contains(out, "0 added, 3 changed, 0 destroyed") {
		t.Errorf("second apply = %q; want 3 resources changed in place", planSummary(out))
	}
	if got := tf.outputs(t); got["api_key_id"] != keyID || got["usage_plan_id"] != planID {
		t.Errorf("after the update, outputs = %+v; want the same key %s and plan %s", got, keyID, planID)
	}
	checkTerraformUsagePlan(t, tf, client, more, changed, apiID, keyID, planID)

	tf.run(t, append([]string{"destroy", "-auto-approve", "-input=false"}, more...)...)

	t.Run("destroy removed it all", func(t *testing.T) {
		ctx := t.Context()
		if _, err := client.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: &keyID}); !isNotFound(err) {
			t.Errorf("GetApiKey %s after destroy = %v; want NotFoundException", keyID, err)
		}
		if _, err := client.GetUsagePlan(ctx, &apigateway.GetUsagePlanInput{UsagePlanId: &planID}); !isNotFound(err) {
			t.Errorf("GetUsagePlan %s after destroy = %v; want NotFoundException", planID, err)
		}
		if _, err := client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &apiID}); !isNotFound(err) {
			t.Errorf("GetRestApi %s after destroy = %v; want NotFoundException", apiID, err)
		}
		keys, err := client.GetApiKeys(ctx, &apigateway.GetApiKeysInput{})
		if err != nil {
			t.Fatalf("GetApiKeys after destroy: %v", err)
		}
		if len(keys.Items) != 0 {
			t.Errorf("GetApiKeys after destroy = %d keys; want none", len(keys.Items))
		}
		plans, err := client.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{})
		if err != nil {
			t.Fatalf("GetUsagePlans after destroy: %v", err)
		}
		if len(plans.Items) != 0 {
			t.Errorf("GetUsagePlans after destroy = %d plans; want none", len(plans.Items))
		}
		acct, err := client.GetAccount(ctx, &apigateway.GetAccountInput{})
		if err != nil || aws.ToString(acct.CloudwatchRoleArn) != "" {
			t.Errorf("GetAccount after destroy = cloudwatchRoleArn %q, %v; want none (reset_on_delete)", aws.ToString(acct.CloudwatchRoleArn), err)
		}
	})
	if hosts := internet.hosts(); len(hosts) > 0 {
		t.Errorf("Terraform tried to reach the internet: %v", hosts)
	}
	g.stop()
	g.expectNoErrorLogs()
}

// usagePlanVars are main.tf's variables that the test changes.
type usagePlanVars struct {
	quotaLimit, methodRate, stageBurst int
	keyDescription                     string
}

func (v usagePlanVars) args() []string {
	return []string{
		"-var", fmt.Sprintf("quota_limit=%d", v.quotaLimit),
		"-var", fmt.Sprintf("method_rate=%d", v.methodRate),
		"-var", fmt.Sprintf("stage_burst=%d", v.stageBurst),
		"-var", "key_description=" + v.keyDescription,
	}
}

// checkTerraformUsagePlan checks that a plan with the same variables has nothing to change,
// and reads back through the SDK every resource main.tf declares, as declared with want.
func checkTerraformUsagePlan(t *testing.T, tf *terraform, client *apigateway.Client, vars []string, want usagePlanVars, apiID, keyID, planID string) {
	t.Helper()
	ctx := t.Context()
	out, code := tf.exec(t, append([]string{"plan", "-detailed-exitcode", "-input=false"}, vars...)...)
	if code != 0 {
		t.Errorf("terraform plan -detailed-exitcode %v: exit status %d; want 0 (no changes): what gatehouse reads back differs from what Terraform wrote:\n%s", want, code, planSummary(out))
	}

	key, err := client.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: &keyID, IncludeValue: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetApiKey: %v", err)
	}
	if aws.ToString(key.Name) != "e2e-partner" || aws.ToString(key.Value) != "e2ePartnerKeyValue0123456789abcdef" || !key.Enabled || aws.ToString(key.Description) != want.keyDescription {
		t.Errorf("GetApiKey = name %q value %q enabled %v description %q; want e2e-partner, the declared value, enabled, %q",
			aws.ToString(key.Name), aws.ToString(key.Value), key.Enabled, aws.ToString(key.Description), want.keyDescription)
	}

	plan, err := client.GetUsagePlan(ctx, &apigateway.GetUsagePlanInput{UsagePlanId: &planID})
	if err != nil {
		t.Fatalf("GetUsagePlan: %v", err)
	}
	if plan.Throttle == nil || plan.Throttle.RateLimit != 10 || plan.Throttle.BurstLimit != 4 {
		t.Errorf("usage plan throttle = %+v; want rate 10, burst 4", plan.Throttle)
	}
	if q := plan.Quota; q == nil || q.Limit != int32(want.quotaLimit) || q.Offset != 2 || q.Period != types.QuotaPeriodTypeWeek {
		t.Errorf("usage plan quota = %+v; want limit %d, offset 2, WEEK", plan.Quota, want.quotaLimit)
	}
	if len(plan.ApiStages) != 1 || aws.ToString(plan.ApiStages[0].ApiId) != apiID || aws.ToString(plan.ApiStages[0].Stage) != "prod" {
		t.Fatalf("usage plan apiStages = %+v; want %s:prod", plan.ApiStages, apiID)
	}
	if m := plan.ApiStages[0].Throttle["/items/GET"]; m.RateLimit != float64(want.methodRate) || m.BurstLimit != 2 || len(plan.ApiStages[0].Throttle) != 1 {
		t.Errorf("usage plan stage throttle = %+v; want only /items/GET at rate %d, burst 2", plan.ApiStages[0].Throttle, want.methodRate)
	}

	pk, err := client.GetUsagePlanKey(ctx, &apigateway.GetUsagePlanKeyInput{UsagePlanId: &planID, KeyId: &keyID})
	if err != nil {
		t.Fatalf("GetUsagePlanKey: %v", err)
	}
	if aws.ToString(pk.Type) != "API_KEY" || aws.ToString(pk.Name) != "e2e-partner" {
		t.Errorf("GetUsagePlanKey = type %q name %q; want API_KEY e2e-partner", aws.ToString(pk.Type), aws.ToString(pk.Name))
	}

	stage, err := client.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &apiID, StageName: aws.String("prod")})
	if err != nil {
		t.Fatalf("GetStage: %v", err)
	}
	if ms, ok := stage.MethodSettings["*/*"]; !ok || ms.ThrottlingRateLimit != 50 || ms.ThrottlingBurstLimit != int32(want.stageBurst) {
		t.Errorf("stage methodSettings = %+v; want */* throttled at rate 50, burst %d", stage.MethodSettings, want.stageBurst)
	}

	res, err := client.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: &apiID, Embed: []string{"methods"}})
	if err != nil {
		t.Fatalf("GetResources: %v", err)
	}
	found := false
	for _, r := range res.Items {
		if aws.ToString(r.Path) == "/items" {
			m, ok := r.ResourceMethods["GET"]
			found = ok && aws.ToBool(m.ApiKeyRequired)
		}
	}
	if !found {
		t.Errorf("GET /items is not a method with apiKeyRequired true")
	}

	acct, err := client.GetAccount(ctx, &apigateway.GetAccountInput{})
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if got := aws.ToString(acct.CloudwatchRoleArn); got != "arn:aws:iam::123456789012:role/e2e-apigateway-cloudwatch" {
		t.Errorf("GetAccount cloudwatchRoleArn = %q; want the declared role", got)
	}
}

// isNotFound reports whether err is the management API's NotFoundException.
func isNotFound(err error) bool {
	var nf *types.NotFoundException
	return errors.As(err, &nf)
}
