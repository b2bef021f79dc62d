package e2e

import (
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestTerraformConvergence applies testdata/terraform-convergence, which holds every
// aws_api_gateway_* and aws_lambda_* resource type gatehouse supports, with the real Terraform
// and AWS provider: apply, a plan that must find nothing to change, a second apply that
// changes every resource in place (tags included), again a plan that must be empty, then
// destroy, after which the management and Lambda APIs must hold nothing. A plan that is not
// empty means that what gatehouse answers differs from what Terraform wrote: the provider
// reads back what AWS would answer.
func TestTerraformConvergence(t *testing.T) {
	t.Parallel()
	zipPath := functionZip(t)
	g := startGatehouse(t, options{})
	backend := newEchoBackend(t)
	internet := newRecordingProxy(t)
	tf := newTerraform(t, internet.URL, "terraform-convergence")
	vars := func(phase string) []string {
		return []string{"-var", "endpoint=" + g.AdminURL, "-var", "backend=" + backend.URL, "-var", "zip=" + zipPath, "-var", "phase=" + phase}
	}
	client := g.client("AKIAE2ETERRAFORM0001", "e2e-terraform-secret")
	lambdaClient := g.lambdaClient()

	planEmpty := func(t *testing.T, phase string) {
		t.Helper()
		out, code := tf.exec(t, append([]string{"plan", "-detailed-exitcode", "-input=false"}, vars(phase)...)...)
		if code != 0 {
			t.Errorf("terraform plan -detailed-exitcode (phase %s): exit status %d; want 0 (no changes):\n%s", phase, code, planSummary(out))
		}
	}

	tf.run(t, append([]string{"apply", "-auto-approve", "-input=false"}, vars("1")...)...)
	outputs := tf.outputs(t)
	apiID := outputs["api_id"]
	if apiID == "" {
		t.Fatalf("terraform outputs = %+v; want api_id", outputs)
	}

	t.Run("phase 1 serves", func(t *testing.T) {
		base, host := g.hostURL(apiID)
		var r httpResult
		waitFor(propagateDeadline, func() bool {
			r = mustCall(t, "GET", base+"/dev/hello", host, nil, "")
			return r.Status == 200
		})
		if want := `{"message": "hello"}`; r.Status != 200 || r.Body != want || r.Header.Get("X-Phase") != "1" {
			t.Errorf("GET /dev/hello = %d %q (X-Phase %q); want 200 %s, X-Phase 1", r.Status, r.Body, r.Header.Get("X-Phase"), want)
		}
	})
	t.Run("phase 1 plans empty", func(t *testing.T) { planEmpty(t, "1") })

	t.Run("tags and policy read back as AWS answers them", func(t *testing.T) {
		api, err := client.GetRestApi(t.Context(), &apigateway.GetRestApiInput{RestApiId: &apiID})
		if err != nil {
			t.Fatalf("GetRestApi: %v", err)
		}
		if api.Tags["suite"] != "e2e" || !strings.Contains(aws.ToString(api.Policy), `\"Version\":\"2012-10-17\"`) || !strings.Contains(aws.ToString(api.Policy), `127.0.0.0\/8`) {
			t.Errorf("GetRestApi = tags %v, policy %q; want suite=e2e and the policy JSON-escaped", api.Tags, aws.ToString(api.Policy))
		}
		arn := "arn:aws:apigateway:" + testRegion + "::/restapis/" + apiID + "/stages/dev"
		tags, err := client.GetTags(t.Context(), &apigateway.GetTagsInput{ResourceArn: &arn})
		if err != nil || tags.Tags["suite"] != "e2e" {
			t.Errorf("GetTags(%s) = %v, %v; want suite=e2e", arn, tags, err)
		}
	})

	tf.run(t, append([]string{"apply", "-auto-approve", "-input=false"}, vars("2")...)...)

	t.Run("phase 2 changed everything in place", func(t *testing.T) {
		api, err := client.GetRestApi(t.Context(), &apigateway.GetRestApiInput{RestApiId: &apiID})
		if err != nil {
			t.Fatalf("GetRestApi: %v (phase 2 must update the API in place, not replace it)", err)
		}
		wantTags := map[string]string{"phase": "2", "owner": "tf"} // suite untagged
		if aws.ToString(api.Name) != "e2e-convergence-2" || !maps.Equal(api.Tags, wantTags) || !strings.Contains(aws.ToString(api.Policy), `10.0.0.0\/8`) {
			t.Errorf("GetRestApi = name %q, tags %v, policy %q; want phase 2's", aws.ToString(api.Name), api.Tags, aws.ToString(api.Policy))
		}
		st, err := client.GetStage(t.Context(), &apigateway.GetStageInput{RestApiId: &apiID, StageName: aws.String("dev")})
		if err != nil {
			t.Fatalf("GetStage: %v", err)
		}
		all := st.MethodSettings["*/*"]
		if !maps.Equal(st.Tags, wantTags) || st.Variables["size"] != "xl" || all.ThrottlingBurstLimit != 100 || all.ThrottlingRateLimit != 50 {
			t.Errorf("GetStage = tags %v, variables %v, */* %+v; want phase 2's", st.Tags, st.Variables, all)
		}
		fn, err := lambdaClient.GetFunction(t.Context(), &lambdasdk.GetFunctionInput{FunctionName: aws.String("e2e-convergence")})
		if err != nil || aws.ToInt32(fn.Configuration.Timeout) != 20 || !maps.Equal(fn.Tags, wantTags) {
			t.Errorf("GetFunction = %v, %v; want timeout 20 and tag phase=2", fn, err)
		}
	})
	t.Run("phase 2 plans empty", func(t *testing.T) { planEmpty(t, "2") })

	tf.run(t, append([]string{"destroy", "-auto-approve", "-input=false"}, vars("2")...)...)
	apis, err := client.GetRestApis(t.Context(), &apigateway.GetRestApisInput{})
	if err != nil || len(apis.Items) != 0 {
		t.Errorf("GetRestApis after destroy = %v, %v; want no API", apis, err)
	}
	acct, err := client.GetAccount(t.Context(), &apigateway.GetAccountInput{})
	if err != nil {
		t.Errorf("GetAccount after destroy: %v", err)
	} else if acct.CloudwatchRoleArn != nil {
		t.Errorf("GetAccount after destroy = role %q; want none (reset_on_delete)", aws.ToString(acct.CloudwatchRoleArn))
	}
	fns, err := lambdaClient.ListFunctions(t.Context(), &lambdasdk.ListFunctionsInput{})
	if err != nil || len(fns.Functions) != 0 {
		t.Errorf("ListFunctions after destroy = %v, %v; want none", fns, err)
	}
	if hosts := internet.hosts(); len(hosts) > 0 {
		t.Errorf("Terraform tried to reach the internet: %v", hosts)
	}
	g.stop()
	g.expectNoErrorLogs()
}
