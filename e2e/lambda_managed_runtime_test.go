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

// TestLambdaProxyManagedRuntimes deploys a python3.12 and a nodejs22.x function (a zip with
// the handler's file) through the Lambda API of a gatehouse started with --lambda-runtime,
// and calls each through an AWS_PROXY method: the answer carries what the function saw, and
// its log line reaches gatehouse's log in the runtime's AWS format.
func TestLambdaProxyManagedRuntimes(t *testing.T) {
	for _, tc := range []struct {
		name, interpreter, file, src, handler string
		runtime                               lambdatypes.Runtime
		logLine                               string // what follows the request id in its log line
	}{
		{"python", "python3", "app.py", pythonProxyApp, "app.lambda_handler", lambdatypes.RuntimePython312, `\tpath /hello`},
		{"node", "node", "index.js", nodeProxyApp, "index.handler", lambdatypes.RuntimeNodejs22x, `\tINFO\tpath /hello`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			interpreter, err := exec.LookPath(tc.interpreter)
			if err != nil {
				t.Skip(tc.interpreter + " not installed")
			}
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.Create(tc.file)
			w.Write([]byte(tc.src))
			zw.Close()

			g := startGatehouse(t, options{args: []string{"--lambda-runtime", string(tc.runtime) + "=" + interpreter}})
			ctx := t.Context()
			fnName := tc.name + "hello"
			fn, err := g.lambdaClient().CreateFunction(ctx, &lambda.CreateFunctionInput{
				FunctionName: aws.String(fnName),
				Runtime:      tc.runtime,
				Handler:      aws.String(tc.handler),
				Role:         aws.String("arn:aws:iam::" + testAccount + ":role/lambda-" + tc.name),
				Code:         &lambdatypes.FunctionCode{ZipFile: buf.Bytes()},
				MemorySize:   aws.Int32(256),
			})
			if err != nil {
				t.Fatalf("CreateFunction(%s): %v", tc.runtime, err)
			}
			uri := "arn:aws:apigateway:" + testRegion + ":lambda:path/2015-03-31/functions/" + aws.ToString(fn.FunctionArn) + "/invocations"

			c := g.client("AKIDEXAMPLE", "secret")
			api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(tc.name + "-e2e")})
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
				r, err = call(ctx, "GET", base+"/dev/hello?name="+tc.name, host, nil, "")
				return err == nil && r.Status != http.StatusForbidden // 403 until the stage is served
			}) {
				t.Fatalf("GET /dev/hello = %d %s, %v; want the function's answer", r.Status, r.Body, err)
			}
			var body map[string]any
			if r.Status != 200 || json.Unmarshal([]byte(r.Body), &body) != nil || body["hello"] != tc.name || body["method"] != "GET" ||
				body["path"] != "/hello" || body["function"] != fnName || body["memory"] != "256" || r.Header.Get("X-Request-Id") == "" {
				t.Fatalf("GET /dev/hello?name=%s = %d %v %s; want 200 with hello %s, GET /hello, %s, memory 256", tc.name, r.Status, r.Header, r.Body, tc.name, fnName)
			}
			// Its log line, in the runtime's AWS format, reached gatehouse's log.
			if !waitFor(propagateDeadline, func() bool {
				return strings.Contains(g.stderr.String(), r.Header.Get("X-Request-Id")+tc.logLine)
			}) {
				t.Errorf("gatehouse's log has no line %q of the function with request id %s:\n%s", tc.logLine, r.Header.Get("X-Request-Id"), g.stderr.String())
			}
		})
	}
}
