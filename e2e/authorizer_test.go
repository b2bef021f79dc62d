package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
)

// e2eAuthorizerURI names a Lambda function by its invocation URI; the management calls here
// never invoke it.
const e2eAuthorizerURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:e2e-authorizer/invocations"

// TestAWSCLIAuthorizers drives a REST API's authorizers with the real aws CLI as a user
// would: create-authorizer (and AWS's refusal of a URI that is no Lambda invocation),
// get-authorizers, update-authorizer, put-method naming it with --authorizer-id (and the
// refusal of an id that does not exist), delete-authorizer refused while the method uses
// it, flush-stage-authorizers-cache on a deployed stage, then the delete once nothing
// uses it.
func TestAWSCLIAuthorizers(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	cli := newAWSCLI(t, g.AdminURL, "AKIAE2ETESTCLIAUTH01", "e2e-cli-auth-secret")
	v := vars{}
	flush := cliStep{name: "flush-stage-authorizers-cache",
		args: []string{"flush-stage-authorizers-cache", "--rest-api-id", "<api>", "--stage-name", "prod"}}

	steps := []cliStep{
		{name: "create-rest-api",
			args: []string{"create-rest-api", "--name", "cli-authorizers"},
			save: map[string]string{"api": "id", "root": "rootResourceId"}},
		{name: "create-authorizer",
			args: []string{"create-authorizer", "--rest-api-id", "<api>", "--name", "cli-token", "--type", "TOKEN",
				"--authorizer-uri", e2eAuthorizerURI, "--identity-source", "method.request.header.Authorization",
				"--identity-validation-expression", "^Bearer .+$", "--authorizer-result-ttl-in-seconds", "120"},
			want: fields{"name": "cli-token", "type": "TOKEN", "authorizerUri": e2eAuthorizerURI, "authorizerResultTtlInSeconds": 120,
				"identitySource": "method.request.header.Authorization", "identityValidationExpression": "^Bearer .+$"},
			save: map[string]string{"auth": "id"}},
		{name: "create-authorizer with a URI that is no Lambda invocation",
			args: []string{"create-authorizer", "--rest-api-id", "<api>", "--name", "bad", "--type", "TOKEN",
				"--authorizer-uri", "arn:aws:lambda:us-east-1:123456789012:function:e2e-authorizer", "--identity-source", "method.request.header.Authorization"},
			wantErr: "BadRequestException",
			wantMsg: "Invalid Authorizer URI: arn:aws:lambda:us-east-1:123456789012:function:e2e-authorizer. Authorizer URI should be a valid API Gateway ARN that represents a Lambda function invocation."},
		{name: "create-authorizer REQUEST with a path parameter source",
			args: []string{"create-authorizer", "--rest-api-id", "<api>", "--name", "bad", "--type", "REQUEST",
				"--authorizer-uri", e2eAuthorizerURI, "--identity-source", "method.request.path.id"},
			wantErr: "BadRequestException", wantMsg: "Invalid identity source expression: method.request.path.id."},
		{name: "get-authorizers",
			args: []string{"get-authorizers", "--rest-api-id", "<api>"},
			want: fields{"items.#": 1, "items.0.id": "<auth>", "items.0.name": "cli-token"}},
		{name: "update-authorizer",
			args: []string{"update-authorizer", "--rest-api-id", "<api>", "--authorizer-id", "<auth>", "--patch-operations",
				"op=replace,path=/name,value=cli-renamed", "op=replace,path=/authorizerResultTtlInSeconds,value=0"},
			want: fields{"id": "<auth>", "name": "cli-renamed", "authorizerResultTtlInSeconds": 0}},
		{name: "update-authorizer with a TTL over an hour",
			args:    []string{"update-authorizer", "--rest-api-id", "<api>", "--authorizer-id", "<auth>", "--patch-operations", "op=replace,path=/authorizerResultTtlInSeconds,value=3601"},
			wantErr: "BadRequestException", wantMsg: "Invalid authorizer result TTL specified: 3601."},
		{name: "put-method with --authorizer-id",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "GET",
				"--authorization-type", "CUSTOM", "--authorizer-id", "<auth>"},
			want: fields{"authorizationType": "CUSTOM", "authorizerId": "<auth>"}},
		{name: "put-method with an authorizer that does not exist",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "POST",
				"--authorization-type", "CUSTOM", "--authorizer-id", "nope00"},
			wantErr: "BadRequestException",
			wantMsg: "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."},
		{name: "put-method COGNITO_USER_POOLS with the TOKEN authorizer",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "POST",
				"--authorization-type", "COGNITO_USER_POOLS", "--authorizer-id", "<auth>"},
			wantErr: "BadRequestException", wantMsg: "requires a valid authorizer."},
		{name: "delete-authorizer while the method uses it",
			args:    []string{"delete-authorizer", "--rest-api-id", "<api>", "--authorizer-id", "<auth>"},
			wantErr: "ConflictException", wantMsg: "Cannot delete authorizer 'cli-renamed', is referenced in method: GET//"},
		{name: "put-integration",
			args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "GET", "--type", "MOCK",
				"--request-templates", `{"application/json":"{\"statusCode\": 200}"}`},
			want: fields{"type": "MOCK"}},
		{name: "create-deployment",
			args: []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "prod"},
			save: map[string]string{"deployment": "id"}},
		flush,
		{name: "flush-stage-authorizers-cache of a stage that does not exist",
			args:    []string{"flush-stage-authorizers-cache", "--rest-api-id", "<api>", "--stage-name", "nope"},
			wantErr: "NotFoundException", wantMsg: "Invalid stage identifier specified"},
		{name: "update-method back to NONE",
			args: []string{"update-method", "--rest-api-id", "<api>", "--resource-id", "<root>", "--http-method", "GET",
				"--patch-operations", "op=replace,path=/authorizationType,value=NONE"},
			want: fields{"authorizationType": "NONE", "authorizerId": absent}},
		{name: "delete-authorizer once nothing uses it",
			args: []string{"delete-authorizer", "--rest-api-id", "<api>", "--authorizer-id", "<auth>"}},
		{name: "get-authorizer after the delete",
			args:    []string{"get-authorizer", "--rest-api-id", "<api>", "--authorizer-id", "<auth>"},
			wantErr: "NotFoundException", wantMsg: "Invalid Authorizer identifier specified"},
	}
	runScript(t, cli, v, steps)
	g.stop()
	g.expectNoErrorLogs()
}

// TestTerraformAuthorizer applies testdata/terraform-authorizer (a TOKEN authorizer and a
// CUSTOM method using it) with the real Terraform and AWS provider, checks that a second
// plan finds nothing to change and that the management API holds what was declared,
// applies a changed TTL (an update in place) and checks again, and destroys it all.
func TestTerraformAuthorizer(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	internet := newRecordingProxy(t)
	tf := newTerraform(t, internet.URL, "terraform-authorizer")
	vars := []string{"-var", "endpoint=" + g.AdminURL}
	client := g.client("AKIAE2ETERRAFORMAU01", "e2e-terraform-authorizer-secret")

	tf.run(t, append([]string{"apply", "-auto-approve", "-input=false"}, vars...)...)
	outputs := tf.outputs(t)
	apiID, authID := outputs["api_id"], outputs["authorizer_id"]
	if apiID == "" || authID == "" {
		t.Fatalf("terraform outputs = %+v; want api_id and authorizer_id", outputs)
	}
	check := func(t *testing.T, vars []string, ttl int32) {
		t.Helper()
		out, code := tf.exec(t, append([]string{"plan", "-detailed-exitcode", "-input=false"}, vars...)...)
		if code != 0 {
			t.Errorf("terraform plan -detailed-exitcode: exit status %d; want 0 (no changes): what gatehouse reads back differs from what Terraform wrote:\n%s", code, planSummary(out))
		}
		a, err := client.GetAuthorizer(t.Context(), &apigateway.GetAuthorizerInput{RestApiId: &apiID, AuthorizerId: &authID})
		if err != nil {
			t.Fatalf("GetAuthorizer: %v", err)
		}
		if aws.ToString(a.Name) != "e2e-token" || a.Type != "TOKEN" || aws.ToString(a.AuthorizerUri) != e2eAuthorizerURI ||
			aws.ToString(a.IdentitySource) != "method.request.header.Authorization" || aws.ToInt32(a.AuthorizerResultTtlInSeconds) != ttl {
			t.Errorf("GetAuthorizer = %+v; want e2e-token, TOKEN, the declared URI and source, ttl %d", a, ttl)
		}
		res, err := client.GetResources(t.Context(), &apigateway.GetResourcesInput{RestApiId: &apiID, Embed: []string{"methods"}})
		if err != nil {
			t.Fatalf("GetResources: %v", err)
		}
		found := false
		for _, r := range res.Items {
			if m, ok := r.ResourceMethods["GET"]; ok && aws.ToString(r.Path) == "/items" {
				found = aws.ToString(m.AuthorizationType) == "CUSTOM" && aws.ToString(m.AuthorizerId) == authID
			}
		}
		if !found {
			t.Errorf("GET /items is not CUSTOM with authorizer %s", authID)
		}
	}
	check(t, vars, 60)

	more := append(vars[:len(vars):len(vars)], "-var", "ttl=300")
	out := tf.run(t, append([]string{"apply", "-auto-approve", "-input=false"}, more...)...)
	if !strings.Contains(out, "0 added, 1 changed, 0 destroyed") {
		t.Errorf("second apply = %q; want the authorizer changed in place", planSummary(out))
	}
	check(t, more, 300)

	tf.run(t, append([]string{"destroy", "-auto-approve", "-input=false"}, more...)...)
	if _, err := client.GetRestApi(t.Context(), &apigateway.GetRestApiInput{RestApiId: &apiID}); !isNotFound(err) {
		t.Errorf("GetRestApi %s after destroy = %v; want NotFoundException", apiID, err)
	}
	g.stop()
	g.expectNoErrorLogs()
}
