package e2e

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestTerraformUsagePlan applies testdata/terraform-usageplan (an API key, a usage plan with
// a plan throttle, a weekly quota with an offset and a per-method throttle, the key in the
// plan, stage-wide method throttling and the account's CloudWatch role) with the real
// Terraform and AWS provider, checks that a second plan finds nothing to change, that the
// management API holds what was declared, and that destroy removes it all.
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

	t.Run("a second plan has nothing to change", func(t *testing.T) {
		out, code := tf.exec(t, append([]string{"plan", "-detailed-exitcode", "-input=false"}, vars...)...)
		if code != 0 {
			t.Errorf("terraform plan -detailed-exitcode: exit status %d; want 0 (no changes): what gatehouse reads back differs from what Terraform wrote:\n%s", code, planSummary(out))
		}
	})

	t.Run("management API shows what Terraform wrote", func(t *testing.T) {
		checkTerraformUsagePlan(t, client, apiID, keyID, planID)
	})

	tf.run(t, append([]string{"destroy", "-auto-approve", "-input=false"}, vars...)...)

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

// checkTerraformUsagePlan reads back through the SDK every resource main.tf declares.
func checkTerraformUsagePlan(t *testing.T, client *apigateway.Client, apiID, keyID, planID string) {
	t.Helper()
	ctx := t.Context()

	key, err := client.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: &keyID, IncludeValue: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetApiKey: %v", err)
	}
	if aws.ToString(key.Name) != "e2e-partner" || aws.ToString(key.Value) != "e2ePartnerKeyValue0123456789abcdef" || !key.Enabled || aws.ToString(key.Description) != "a partner's key" {
		t.Errorf("GetApiKey = name %q value %q enabled %v description %q; want e2e-partner, the declared value, enabled, \"a partner's key\"",
			aws.ToString(key.Name), aws.ToString(key.Value), key.Enabled, aws.ToString(key.Description))
	}

	plan, err := client.GetUsagePlan(ctx, &apigateway.GetUsagePlanInput{UsagePlanId: &planID})
	if err != nil {
		t.Fatalf("GetUsagePlan: %v", err)
	}
	if plan.Throttle == nil || plan.Throttle.RateLimit != 10 || plan.Throttle.BurstLimit != 4 {
		t.Errorf("usage plan throttle = %+v; want rate 10, burst 4", plan.Throttle)
	}
	if q := plan.Quota; q == nil || q.Limit != 5000 || q.Offset != 2 || q.Period != types.QuotaPeriodTypeWeek {
		t.Errorf("usage plan quota = %+v; want limit 5000, offset 2, WEEK", plan.Quota)
	}
	if len(plan.ApiStages) != 1 || aws.ToString(plan.ApiStages[0].ApiId) != apiID || aws.ToString(plan.ApiStages[0].Stage) != "prod" {
		t.Fatalf("usage plan apiStages = %+v; want %s:prod", plan.ApiStages, apiID)
	}
	if m := plan.ApiStages[0].Throttle["/items/GET"]; m.RateLimit != 5 || m.BurstLimit != 2 || len(plan.ApiStages[0].Throttle) != 1 {
		t.Errorf("usage plan stage throttle = %+v; want only /items/GET at rate 5, burst 2", plan.ApiStages[0].Throttle)
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
	if ms, ok := stage.MethodSettings["*/*"]; !ok || ms.ThrottlingRateLimit != 50 || ms.ThrottlingBurstLimit != 20 {
		t.Errorf("stage methodSettings = %+v; want */* throttled at rate 50, burst 20", stage.MethodSettings)
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
