package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// tokenAuthorizerSource is a TOKEN authorizer written as users write them with aws-lambda-go
// (the docs' example): "allow" and "deny" answer a policy on the whole API with a context,
// anything else is the error "Unauthorized".
const tokenAuthorizerSource = `package main

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, e events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	api, _, _ := strings.Cut(e.MethodArn, "/")
	effect := ""
	switch e.AuthorizationToken {
	case "allow":
		effect = "Allow"
	case "deny":
		effect = "Deny"
	default:
		return events.APIGatewayCustomAuthorizerResponse{}, errors.New("Unauthorized")
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: "user-1",
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{api + "/*"}}}},
		Context: map[string]any{"tier": "gold", "quota": 42},
	}, nil
}

func main() { lambda.Start(handle) }
`

// TestLambdaTokenAuthorizer drives a TOKEN authorizer through the SDK and the data plane:
// the function deployed with the Lambda API, CreateAuthorizer, a CUSTOM method, then 200 /
// 403 / 401 as AWS answers them, TestInvokeAuthorizer and FlushStageAuthorizersCache.
func TestLambdaTokenAuthorizer(t *testing.T) {
	t.Parallel()
	code := buildFunctionZip(t, tokenAuthorizerSource)
	g := startGatehouse(t, options{})
	ctx := t.Context()
	fn, err := g.lambdaClient().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("auth"), Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::" + testAccount + ":role/auth"), Code: &lambdatypes.FunctionCode{ZipFile: code}, Timeout: aws.Int32(10),
	})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	uri := "arn:aws:apigateway:" + testRegion + ":lambda:path/2015-03-31/functions/" + aws.ToString(fn.FunctionArn) + "/invocations"
	c := g.client("AKIDEXAMPLE", "secret")
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("authorizer-e2e")})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	apiID, rootID := aws.ToString(api.Id), aws.ToString(api.RootResourceId)
	az, err := c.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: &apiID, Name: aws.String("tok"), Type: agtypes.AuthorizerTypeToken,
		AuthorizerUri: &uri, IdentitySource: aws.String("method.request.header.Authorization"), AuthorizerResultTtlInSeconds: aws.Int32(300)})
	if err != nil {
		t.Fatalf("CreateAuthorizer: %v", err)
	}
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"),
		AuthorizationType: aws.String("CUSTOM"), AuthorizerId: az.Id}); err != nil {
		t.Fatalf("PutMethod: %v", err)
	}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"),
		Type: agtypes.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
		t.Fatalf("PutIntegration: %v", err)
	}
	if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}); err != nil {
		t.Fatalf("PutMethodResponse: %v", err)
	}
	if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"),
		StatusCode: aws.String("200"), ResponseTemplates: map[string]string{"application/json": `{"user":"$context.authorizer.principalId","tier":"$context.authorizer.tier","quota":$context.authorizer.quota}`}}); err != nil {
		t.Fatalf("PutIntegrationResponse: %v", err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("prod")}); err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	base, host := g.hostURL(apiID)
	var r httpResult
	if !waitFor(propagateDeadline, func() bool {
		r, err = call(ctx, "GET", base+"/prod/", host, http.Header{"Authorization": {"allow"}}, "")
		return err == nil && r.Status == http.StatusOK
	}) || r.Body != `{"user":"user-1","tier":"gold","quota":42}` {
		t.Fatalf("GET /prod/ with an allowed token = %d %s, %v; want 200 with the authorizer's context", r.Status, r.Body, err)
	}
	for _, tt := range []struct {
		token, errorType, body string
		status                 int
	}{
		{"deny", "AccessDeniedException", `{"Message":"User is not authorized to access this resource with an explicit deny"}`, 403},
		{"nope", "UnauthorizedException", `{"message":"Unauthorized"}`, 401},
		{"", "UnauthorizedException", `{"message":"Unauthorized"}`, 401},
	} {
		h := http.Header{}
		if tt.token != "" {
			h.Set("Authorization", tt.token)
		}
		r, err := call(ctx, "GET", base+"/prod/", host, h, "")
		if err != nil || r.Status != tt.status || r.Body != tt.body || r.Header.Get("x-amzn-ErrorType") != tt.errorType {
			t.Errorf("GET /prod/ with token %q = %d %s (%s), %v; want %d %s (%s)", tt.token, r.Status, r.Body, r.Header.Get("x-amzn-ErrorType"), err, tt.status, tt.body, tt.errorType)
		}
	}
	ti, err := c.TestInvokeAuthorizer(ctx, &apigateway.TestInvokeAuthorizerInput{RestApiId: &apiID, AuthorizerId: az.Id,
		Headers: map[string]string{"Authorization": "allow"}})
	if err != nil || ti.ClientStatus != 200 || aws.ToString(ti.PrincipalId) != "user-1" || !strings.Contains(aws.ToString(ti.Policy), "execute-api:Invoke") {
		t.Errorf("TestInvokeAuthorizer = %+v, %v; want clientStatus 200, principalId user-1 and the policy", ti, err)
	}
	if _, err := c.FlushStageAuthorizersCache(ctx, &apigateway.FlushStageAuthorizersCacheInput{RestApiId: &apiID, StageName: aws.String("prod")}); err != nil {
		t.Errorf("FlushStageAuthorizersCache: %v", err)
	}
	if r, err := call(ctx, "GET", base+"/prod/", host, http.Header{"Authorization": {"allow"}}, ""); err != nil || r.Status != 200 {
		t.Errorf("GET /prod/ after the flush = %d %s, %v; want 200", r.Status, r.Body, err)
	}
}
