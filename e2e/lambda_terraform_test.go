package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestLambdaTerraform applies testdata/terraform-lambda with the real Terraform and AWS
// provider against gatehouse (run with --strict-permissions): a zip-packaged Go function, a
// REST API with an AWS_PROXY method in front of it and the aws_lambda_permission that lets API
// Gateway call it. It calls the function through the data plane, checks that a second plan
// finds nothing to change, and destroys it all, offline.
func TestLambdaTerraform(t *testing.T) {
	t.Parallel()
	zipPath := functionZip(t)
	g := startGatehouse(t, options{args: []string{"--strict-permissions"}})
	internet := newRecordingProxy(t)
	tf := newTerraform(t, internet.URL, "terraform-lambda")
	vars := []string{"-var", "endpoint=" + g.AdminURL, "-var", "zip=" + zipPath}
	client := g.lambdaClient()

	tf.run(t, append([]string{"apply", "-auto-approve", "-input=false"}, vars...)...)

	outputs := tf.outputs(t)
	apiID := outputs["api_id"]
	const fnARN = "arn:aws:lambda:" + testRegion + ":" + testAccount + ":function:e2e-terraform-hello"
	if outputs["function_arn"] != fnARN || outputs["invoke_arn"] != "arn:aws:apigateway:"+testRegion+":lambda:path/2015-03-31/functions/"+fnARN+"/invocations" {
		t.Errorf("terraform outputs = %+v; want function_arn %s and its invoke_arn", outputs, fnARN)
	}

	t.Run("the Lambda API shows what Terraform wrote", func(t *testing.T) {
		fn, err := client.GetFunction(t.Context(), &lambdasdk.GetFunctionInput{FunctionName: aws.String("e2e-terraform-hello")})
		if err != nil {
			t.Fatalf("GetFunction: %v", err)
		}
		c := fn.Configuration
		if aws.ToInt32(c.Timeout) != 10 || aws.ToInt32(c.MemorySize) != 256 || c.Environment.Variables["GREETING"] != "hello from terraform" || fn.Tags["suite"] != "e2e" {
			t.Errorf("GetFunction = timeout %d, memory %d, env %v, tags %v; want 10, 256, GREETING, suite=e2e",
				aws.ToInt32(c.Timeout), aws.ToInt32(c.MemorySize), c.Environment.Variables, fn.Tags)
		}
		pol, err := client.GetPolicy(t.Context(), &lambdasdk.GetPolicyInput{FunctionName: aws.String("e2e-terraform-hello")})
		if err != nil || !strings.Contains(aws.ToString(pol.Policy), `"Sid":"AllowAPIGatewayInvoke"`) {
			t.Errorf("GetPolicy = %v, %v; want the AllowAPIGatewayInvoke statement", pol, err)
		}
	})

	t.Run("the API calls the function", func(t *testing.T) {
		base, host := g.hostURL(apiID)
		var r httpResult
		// The stage compiles asynchronously after Terraform's last call.
		waitFor(propagateDeadline, func() bool {
			r = mustCall(t, "GET", base+"/dev/hello?name=tf", host, nil, "")
			return r.Status != 403 && r.Status != 404
		})
		want := `{"function":"e2e-terraform-hello","greeting":"hello from terraform","method":"GET","name":"tf","path":"/hello","resource":"/hello"}`
		if r.Status != 200 || r.Body != want || r.Header.Get("X-Function") != "e2e-terraform-hello" {
			t.Errorf("GET /dev/hello?name=tf = %d %q (X-Function %q); want 200 %s", r.Status, r.Body, r.Header.Get("X-Function"), want)
		}
	})

	t.Run("a second plan has nothing to change", func(t *testing.T) {
		out, code := tf.exec(t, append([]string{"plan", "-detailed-exitcode", "-input=false"}, vars...)...)
		if code != 0 {
			t.Errorf("terraform plan -detailed-exitcode: exit status %d; want 0 (no changes):\n%s", code, planSummary(out))
		}
	})

	destroyLambdaTerraform(t, tf, g, internet, vars)
}

// destroyLambdaTerraform destroys what a Lambda Terraform test applied and checks that no
// function is left, that Terraform stayed offline and that gatehouse logged no error.
func destroyLambdaTerraform(t *testing.T, tf *terraform, g *gatehouse, internet *recordingProxy, vars []string) {
	t.Helper()
	tf.run(t, append([]string{"destroy", "-auto-approve", "-input=false"}, vars...)...)
	fns, err := g.lambdaClient().ListFunctions(t.Context(), &lambdasdk.ListFunctionsInput{})
	if err != nil || len(fns.Functions) != 0 {
		t.Errorf("ListFunctions after destroy = %v, %v; want none", fns, err)
	}
	if hosts := internet.hosts(); len(hosts) > 0 {
		t.Errorf("Terraform tried to reach the internet: %v", hosts)
	}
	g.stop()
	g.expectNoErrorLogs()
}
