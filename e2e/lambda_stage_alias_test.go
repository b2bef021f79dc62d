package e2e

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// pythonZip is a deployment package of one file, app.py, whose proxy handler answers body.
func pythonZip(t *testing.T, body string) []byte {
	t.Helper()
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, err := zw.Create("app.py")
	if err != nil {
		t.Fatal(err)
	}
	// The answer says the version that ran and the function as invoked (name:qualifier).
	src := "def lambda_handler(event, context):\n" +
		"    invoked = context.invoked_function_arn.split(':', 6)[-1]\n" +
		"    return {'statusCode': 200, 'body': " + pyString(body) + " + ' ' + context.function_version + ' ' + invoked}\n"
	if _, err := io.WriteString(w, src); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return zb.Bytes()
}

func pyString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// TestStageAliasPattern is the pattern AWS documents for stages and aliases: one API whose
// Lambda integration URI names the function's alias by a stage variable; stage prod says
// alias live (version 2), stage dev alias dev ($LATEST). Moving the alias moves prod's traffic without
// a redeployment.
func TestStageAliasPattern(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	ctx := t.Context()
	lc := g.lambdaClient()

	if _, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("orders"),
		Runtime:      lambdatypes.RuntimePython312,
		Handler:      aws.String("app.lambda_handler"),
		Role:         aws.String("arn:aws:iam::" + testAccount + ":role/orders"),
		Code:         &lambdatypes.FunctionCode{ZipFile: pythonZip(t, "one")},
		Publish:      true, // version 1
	}); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	if _, err := lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("orders"), ZipFile: pythonZip(t, "two"), Publish: true, // version 2
	}); err != nil {
		t.Fatalf("UpdateFunctionCode (version 2): %v", err)
	}
	if _, err := lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("orders"), ZipFile: pythonZip(t, "latest"),
	}); err != nil {
		t.Fatalf("UpdateFunctionCode ($LATEST): %v", err)
	}
	// A stage variable's value cannot hold "$" (AWS's rule), so dev names an alias of
	// $LATEST, as on AWS.
	for alias, version := range map[string]string{"live": "2", "dev": "$LATEST"} {
		if _, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{
			FunctionName: aws.String("orders"), Name: aws.String(alias), FunctionVersion: aws.String(version),
		}); err != nil {
			t.Fatalf("CreateAlias %s: %v", alias, err)
		}
	}

	c := g.client("AKIDEXAMPLE", "secret")
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("orders")})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	apiID := aws.ToString(api.Id)
	res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: api.RootResourceId, PathPart: aws.String("orders")})
	if err != nil {
		t.Fatalf("CreateResource: %v", err)
	}
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: res.Id, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatalf("PutMethod: %v", err)
	}
	uri := "arn:aws:apigateway:" + testRegion + ":lambda:path/2015-03-31/functions/arn:aws:lambda:" + testRegion + ":" + testAccount +
		":function:orders:${stageVariables.alias}/invocations"
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: res.Id, HttpMethod: aws.String("GET"),
		Type: agtypes.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: &uri}); err != nil {
		t.Fatalf("PutIntegration: %v", err)
	}
	for stage, alias := range map[string]string{"prod": "live", "dev": "dev"} {
		if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String(stage),
			Variables: map[string]string{"alias": alias}}); err != nil {
			t.Fatalf("CreateDeployment %s: %v", stage, err)
		}
	}

	hc := &http.Client{Timeout: 30 * time.Second}
	expect := func(stage, want string) {
		t.Helper()
		resp, err := hc.Get(g.pathURL(apiID, stage) + "/orders")
		if err != nil {
			t.Fatalf("GET %s/orders: %v", stage, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != want {
			t.Fatalf("GET %s/orders = %d %q; want 200 %q", stage, resp.StatusCode, body, want)
		}
	}
	expect("prod", "two 2 orders:live")
	expect("dev", "latest $LATEST orders:dev")

	// Moving the alias moves prod's traffic, with no new deployment.
	if _, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1"),
	}); err != nil {
		t.Fatalf("UpdateAlias: %v", err)
	}
	expect("prod", "one 1 orders:live")
	expect("dev", "latest $LATEST orders:dev")

	// The Lambda API names the alias to the function too, and answers the version that ran.
	out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live")})
	if err != nil {
		t.Fatalf("Invoke orders:live: %v", err)
	}
	if got := string(out.Payload); aws.ToString(out.ExecutedVersion) != "1" || !strings.Contains(got, `"one 1 orders:live"`) {
		t.Errorf("Invoke orders:live = %s, executed %q; want version 1 invoked as orders:live", got, aws.ToString(out.ExecutedVersion))
	}
}
