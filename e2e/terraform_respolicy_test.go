package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// TestTerraformResourcePolicy applies testdata/terraform-respolicy with the real Terraform and
// AWS provider: a REST API whose aws_api_gateway_rest_api_policy allows 127.0.0.1/32 (the
// test's own address) and a private API whose inline policy admits one VPC endpoint, served
// by a --vpce listener. It checks that a second plan is empty (the policy round-trips), that
// a policy denying 127.0.0.1 does not apply before the API is deployed again and does after,
// and that the private API answers only on its endpoint's listener.
func TestTerraformResourcePolicy(t *testing.T) {
	t.Parallel()
	vpcePort := freePort(t)
	g := startGatehouse(t, options{args: []string{"--vpce", fmt.Sprintf("127.0.0.1:%d=vpce-1a2b3c4d,vpc-2f09a348", vpcePort)}})
	vpceURL := fmt.Sprintf("http://127.0.0.1:%d", vpcePort)
	internet := newRecordingProxy(t)
	tf := newTerraform(t, internet.URL, "terraform-respolicy")
	vars := []string{"-var", "endpoint=" + g.AdminURL}
	apply := func(more ...string) string {
		return tf.run(t, append(append([]string{"apply", "-auto-approve", "-input=false"}, vars...), more...)...)
	}
	emptyPlan := func(what string, more ...string) {
		t.Helper()
		out, code := tf.exec(t, append(append([]string{"plan", "-detailed-exitcode", "-input=false"}, vars...), more...)...)
		if code != 0 {
			t.Errorf("%s: terraform plan -detailed-exitcode: exit status %d; want 0 (no changes):\n%s", what, code, planSummary(out))
		}
	}

	apply()
	outputs := tf.outputs(t)
	apiID, privateID := outputs["api_id"], outputs["private_api_id"]
	if apiID == "" || privateID == "" {
		t.Fatalf("terraform outputs = %+v; want api_id and private_api_id", outputs)
	}
	emptyPlan("after the first apply")

	items := g.pathURL(apiID, "prod") + "/items"
	testwait.Until(t, testwait.Patient, "GET /items allowed by the policy", func() bool {
		return mustCall(t, "GET", items, "", nil, "").Status == http.StatusOK
	})

	// The policy now denies 127.0.0.1, but the stage still serves the old deployment.
	denyMe := []string{"-var", "denied_cidr=127.0.0.0/8"}
	apply(denyMe...)
	emptyPlan("after the policy change", denyMe...)
	if r := mustCall(t, "GET", items, "", nil, ""); r.Status != http.StatusOK {
		t.Errorf("GET /items after the policy change, before a deployment = %d %s; want 200 (the deployed policy)", r.Status, r.Body)
	}

	// Deployed again: the new policy applies.
	redeployed := append(denyMe, "-var", "deploy_rev=2")
	apply(redeployed...)
	emptyPlan("after the deployment", redeployed...)
	want := `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:000000000000:` + apiID + `/prod/GET/items with an explicit deny"}`
	testwait.Until(t, testwait.Patient, "GET /items denied after the deployment", func() bool {
		return mustCall(t, "GET", items, "", nil, "").Status == http.StatusForbidden
	})
	if r := mustCall(t, "GET", items, "", nil, ""); r.Body != want || r.Header.Get("x-amzn-ErrorType") != "AccessDeniedException" {
		t.Errorf("GET /items = %d %s (x-amzn-ErrorType %q); want 403 %s (AccessDeniedException)", r.Status, r.Body, r.Header.Get("x-amzn-ErrorType"), want)
	}

	// The private API: its endpoint's listener serves it, the public one refuses it, and the
	// public API is refused on the endpoint's listener, as AWS's VPC endpoints do.
	private := "/restapis/" + privateID + "/internal/_user_request_/"
	testwait.Until(t, testwait.Patient, "the private API on its VPC endpoint", func() bool {
		r, err := call(t.Context(), "GET", vpceURL+private, "", nil, "")
		return err == nil && r.Status == http.StatusOK && r.Body == `{"private": true}`
	})
	if r := mustCall(t, "GET", g.DataURL+private, "", nil, ""); r.Status != http.StatusForbidden || r.Body != `{"message":"Forbidden"}` {
		t.Errorf("private API on the public listener = %d %s; want 403 {\"message\":\"Forbidden\"}", r.Status, r.Body)
	}
	if r := mustCall(t, "GET", strings.Replace(items, g.DataURL, vpceURL, 1), "", nil, ""); r.Status != http.StatusForbidden || r.Body != `{"message":"Forbidden"}` {
		t.Errorf("regional API on the VPC endpoint listener = %d %s; want 403 {\"message\":\"Forbidden\"}", r.Status, r.Body)
	}

	tf.run(t, append(append([]string{"destroy", "-auto-approve", "-input=false"}, vars...), redeployed...)...)
	if hosts := internet.hosts(); len(hosts) > 0 {
		t.Errorf("Terraform tried to reach the internet: %v", hosts)
	}
	g.stop()
	g.expectNoErrorLogs()
}
