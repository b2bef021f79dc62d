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

// nodeProxyApp answers an API Gateway proxy event as users write Node.js functions (a
// CommonJS handler with a callback, AWS's classic form).
const nodeProxyApp = `exports.handler = (event, context, callback) => {
	console.log("path %s", event.path);
	const name = (event.queryStringParameters || {}).name || "world";
	callback(null, {
		statusCode: 200,
		headers: { "Content-Type": "application/json", "X-Request-Id": context.awsRequestId },
		body: JSON.stringify({ hello: name, method: event.httpMethod, path: event.path,
			function: context.functionName, memory: context.memoryLimitInMB }),
	});
};
`

// TestLambdaProxyNode deploys a nodejs22.x function (zip with index.js) through the Lambda
// API of a gatehouse started with --lambda-runtime, and calls it through an AWS_PROXY method.
func TestLambdaProxyNode(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("index.js")
	w.Write([]byte(nodeProxyApp))
	zw.Close()

	g := startGatehouse(t, options{args: []string{"--lambda-runtime", "nodejs22.x=" + node}})
	ctx := t.Context()
	fn, err := g.lambdaClient().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("nodehello"),
		Runtime:      lambdatypes.RuntimeNodejs22x,
		Handler:      aws.String("index.handler"),
		Role:         aws.String("arn:aws:iam::" + testAccount + ":role/lambda-node"),
		Code:         &lambdatypes.FunctionCode{ZipFile: buf.Bytes()},
		MemorySize:   aws.Int32(256),
	})
	if err != nil {
		t.Fatalf("CreateFunction(nodejs22.x): %v", err)
	}
	uri := "arn:aws:apigateway:" + testRegion + ":lambda:path/2015-03-31/functions/" + aws.ToString(fn.FunctionArn) + "/invocations"

	c := g.client("AKIDEXAMPLE", "secret")
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("node-e2e")})
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
		r, err = call(ctx, "GET", base+"/dev/hello?name=node", host, nil, "")
		return err == nil && r.Status != http.StatusForbidden // 403 until the stage is served
	}) {
		t.Fatalf("GET /dev/hello = %d %s, %v; want the function's answer", r.Status, r.Body, err)
	}
	var body map[string]any
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &body) != nil || body["hello"] != "node" || body["method"] != "GET" ||
		body["path"] != "/hello" || body["function"] != "nodehello" || body["memory"] != "256" || r.Header.Get("X-Request-Id") == "" {
		t.Fatalf("GET /dev/hello?name=node = %d %v %s; want 200 with hello node, GET /hello, nodehello, memory 256", r.Status, r.Header, r.Body)
	}
	// Its logging line, in AWS's format, reached gatehouse's log.
	if !waitFor(propagateDeadline, func() bool {
		return strings.Contains(g.stderr.String(), r.Header.Get("X-Request-Id")+`\tINFO\tpath /hello`)
	}) {
		t.Errorf("gatehouse's log has no INFO line of the function with request id %s:\n%s", r.Header.Get("X-Request-Id"), g.stderr.String())
	}
}
