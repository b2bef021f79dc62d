package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestLambdaTerraformVersions applies testdata/terraform-lambda-versions with the real
// Terraform and AWS provider against gatehouse (--strict-permissions): aws_lambda_function
// with publish = true, an aws_lambda_alias to its version, and a REST API invoking the alias
// with the alias's permission. A second plan is empty; a change of the function publishes
// version 2, the alias follows it with a routing_config keeping 50% on version 1, and the
// API runs both; destroy removes everything.
func TestLambdaTerraformVersions(t *testing.T) {
	t.Parallel()
	zipPath := functionZip(t)
	g := startGatehouse(t, options{args: []string{"--strict-permissions"}})
	internet := newRecordingProxy(t)
	tf := newTerraform(t, internet.URL, "terraform-lambda-versions")
	client := g.lambdaClient()
	const fnARN = "arn:aws:lambda:" + testRegion + ":" + testAccount + ":function:e2e-terraform-versions"

	for _, step := range []struct{ version, greeting, previous string }{
		{"1", "hello from version 1", ""},
		{"2", "hello from version 2", "1"}, // the alias keeps 50% on version 1
	} {
		vars := []string{"-var", "endpoint=" + g.AdminURL, "-var", "zip=" + zipPath, "-var", "greeting=" + step.greeting, "-var", "previous=" + step.previous}
		tf.run(t, append([]string{"apply", "-auto-approve", "-input=false"}, vars...)...)
		outputs := tf.outputs(t)
		if outputs["version"] != step.version || outputs["qualified_arn"] != fnARN+":"+step.version || outputs["alias_arn"] != fnARN+":live" {
			t.Errorf("terraform outputs = %+v; want version %s, qualified_arn %s:%s, alias_arn %s:live", outputs, step.version, fnARN, step.version, fnARN)
		}
		alias, err := client.GetAlias(t.Context(), &lambdasdk.GetAliasInput{FunctionName: aws.String("e2e-terraform-versions"), Name: aws.String("live")})
		if err != nil || aws.ToString(alias.FunctionVersion) != step.version || (step.previous != "") != (alias.RoutingConfig != nil) {
			t.Errorf("GetAlias(live) = %+v, %v; want FunctionVersion %s, routing to %q", alias, err, step.version, step.previous)
		}

		base, host := g.hostURL(outputs["api_id"])
		var r httpResult
		want := `"greeting":"` + step.greeting + `"`
		// The stage compiles asynchronously after Terraform's last call.
		waitFor(propagateDeadline, func() bool {
			r = mustCall(t, "GET", base+"/dev/hello?name=tf", host, nil, "")
			return r.Status == 200 && strings.Contains(r.Body, want)
		})
		if r.Status != 200 || !strings.Contains(r.Body, want) {
			t.Errorf("version %s: GET /dev/hello = %d %q; want 200 with %s", step.version, r.Status, r.Body, want)
		}
		if step.previous != "" {
			// Half the calls run the previous version: within 60 calls both answer (the
			// chance that one does not is 2^-59).
			old := `"greeting":"hello from version ` + step.previous + `"`
			seen := map[bool]int{}
			for range 60 {
				r := mustCall(t, "GET", base+"/dev/hello?name=tf", host, nil, "")
				seen[strings.Contains(r.Body, old)]++
			}
			if seen[true] == 0 || seen[false] == 0 {
				t.Errorf("60 calls through a 50%% alias: %d ran version %s, %d version %s; want both", seen[true], step.previous, seen[false], step.version)
			}
		}

		out, code := tf.exec(t, append([]string{"plan", "-detailed-exitcode", "-input=false"}, vars...)...)
		if code != 0 {
			t.Errorf("version %s: terraform plan -detailed-exitcode: exit status %d; want 0 (no changes):\n%s", step.version, code, planSummary(out))
		}
	}

	vars := []string{"-var", "endpoint=" + g.AdminURL, "-var", "zip=" + zipPath, "-var", "greeting=hello from version 2", "-var", "previous=1"}
	destroyLambdaTerraform(t, tf, g, internet, vars)
}
