package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// pythonProxyApp answers an API Gateway proxy event as users write Python functions.
const pythonProxyApp = `import json, logging
logger = logging.getLogger()
logger.setLevel(logging.INFO)

def lambda_handler(event, context):
    logger.info("path %s", event["path"])
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Request-Id": context.aws_request_id},
        "body": json.dumps({"hello": name, "method": event["httpMethod"], "path": event["path"],
                            "function": context.function_name, "memory": context.memory_limit_in_mb}),
    }
`

// TestLambdaProxyPython deploys a python3.12 function (zip with app.py) through the Lambda
// API of a gatehouse started with --lambda-runtime, and calls it through an AWS_PROXY method.
func TestLambdaProxyPython(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("app.py")
	w.Write([]byte(pythonProxyApp))
	zw.Close()

	g := startGatehouse(t, options{args: []string{"--lambda-runtime", "python3.12=" + py}})
	ctx := t.Context()
	fn, err := g.lambdaClient().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("pyhello"),
		Runtime:      lambdatypes.RuntimePython312,
		Handler:      aws.String("app.lambda_handler"),
		Role:         aws.String("arn:aws:iam::" + testAccount + ":role/lambda-py"),
		Code:         &lambdatypes.FunctionCode{ZipFile: buf.Bytes()},
		MemorySize:   aws.Int32(256),
	})
	if err != nil {
		t.Fatalf("CreateFunction(python3.12): %v", err)
	}
	uri := "arn:aws:apigateway:" + testRegion + ":lambda:path/2015-03-31/functions/" + aws.ToString(fn.FunctionArn) + "/invocations"

	c := g.client("AKIDEXAMPLE", "secret")
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("python-e2e")})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	apiID := aws.ToString(api.Id)
	res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: api.RootResourceId, PathPart: aws.String("hello")})
	if err != nil {
		t.Fatalf("CreateResource: %v", err)
	}
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: res.Id, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatalf("PutMethod: %v", err)
	}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: res.Id, HttpMethod: aws.String("GET"),
		Type: agtypes.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: &uri}); err != nil {
		t.Fatalf("PutIntegration: %v", err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("dev")}); err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	base, host := g.hostURL(apiID)
	var r httpResult
	if !waitFor(propagateDeadline, func() bool {
		r, err = call(ctx, "GET", base+"/dev/hello?name=py", host, nil, "")
		return err == nil && r.Status != http.StatusForbidden // 403 until the stage is served
	}) {
		t.Fatalf("GET /dev/hello = %d %s, %v; want the function's answer", r.Status, r.Body, err)
	}
	var body map[string]any
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &body) != nil || body["hello"] != "py" || body["method"] != "GET" ||
		body["path"] != "/hello" || body["function"] != "pyhello" || body["memory"] != "256" || r.Header.Get("X-Request-Id") == "" {
		t.Fatalf("GET /dev/hello?name=py = %d %v %s; want 200 with hello py, GET /hello, pyhello, memory 256", r.Status, r.Header, r.Body)
	}
	// Its logging line, in AWS's format, reached gatehouse's log.
	if !waitFor(propagateDeadline, func() bool {
		return strings.Contains(g.stderr.String(), "[INFO]") && strings.Contains(g.stderr.String(), r.Header.Get("X-Request-Id")+`\tpath /hello`)
	}) {
		t.Errorf("gatehouse's log has no [INFO] line of the function with request id %s:\n%s", r.Header.Get("X-Request-Id"), g.stderr.String())
	}
}
