package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// echoFunctionSource is a Lambda function written as users write them with aws-lambda-go:
// a proxy event is answered with the event itself as the body (or an error when its query
// has fail=...); any other payload with {"got": payload}, or an error when it has "fail".
const echoFunctionSource = `package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		HTTPMethod string            ` + "`json:\"httpMethod\"`" + `
		Query      map[string]string ` + "`json:\"queryStringParameters\"`" + `
		Fail       string            ` + "`json:\"fail\"`" + `
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, err
	}
	if probe.HTTPMethod != "" {
		if msg := probe.Query["fail"]; msg != "" {
			return nil, errors.New(msg)
		}
		return events.APIGatewayProxyResponse{
			StatusCode:        201,
			Headers:           map[string]string{"Content-Type": "application/json", "X-Fn": "echo"},
			MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}},
			Body:              string(raw),
		}, nil
	}
	if probe.Fail != "" {
		return nil, errors.New(probe.Fail)
	}
	return map[string]json.RawMessage{"got": raw}, nil
}

func main() { lambda.Start(handle) }
`

// buildFunctionZip builds src as a provided.al2023 function (GOOS=linux, a static binary
// named bootstrap) in a temporary module, and zips it as Lambda takes it.
func buildFunctionZip(t *testing.T, src string) []byte {
	t.Helper()
	dir := t.TempDir()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	goMod := "module echofn\n\ngo 1.23\n\nrequire github.com/aws/aws-lambda-go " + lambdaGoVersion(t, root) + "\n"
	for name, data := range map[string][]byte{"go.mod": []byte(goMod), "go.sum": sum, "main.go": []byte(src)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(goCmd, "build", "-mod=mod", "-tags", "lambda.norpc", "-o", "bootstrap", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=", "GOSUMDB=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the function: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bin); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return zb.Bytes()
}

// lambdaGoVersion is the aws-lambda-go version gatehouse's own go.mod requires.
func lambdaGoVersion(t *testing.T, root string) string {
	t.Helper()
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mod), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "github.com/aws/aws-lambda-go" {
			return f[1]
		}
	}
	t.Fatal("go.mod does not require github.com/aws/aws-lambda-go")
	return ""
}

// lambdaClient is an aws-sdk-go-v2 Lambda client of gatehouse's management endpoint.
func (g *gatehouse) lambdaClient() *lambda.Client {
	return lambda.New(lambda.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(g.AdminURL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: startDeadline}, // a hang, not a slow machine
	})
}

// TestLambdaProxy deploys a real aws-lambda-go function through the Lambda API, puts an API
// in front of it with the apigateway API (an AWS_PROXY method and an AWS non-proxy one), and
// checks what the function receives and what clients get back.
func TestLambdaProxy(t *testing.T) {
	t.Parallel()
	code := buildFunctionZip(t, echoFunctionSource)
	g := startGatehouse(t, options{args: []string{"--strict-permissions"}})
	ctx := t.Context()

	fn, err := g.lambdaClient().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("echo"),
		Runtime:      lambdatypes.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String("arn:aws:iam::" + testAccount + ":role/lambda-echo"),
		Code:         &lambdatypes.FunctionCode{ZipFile: code},
		Timeout:      aws.Int32(10),
	})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	fnARN := aws.ToString(fn.FunctionArn)
	if want := "arn:aws:lambda:" + testRegion + ":" + testAccount + ":function:echo"; fnARN != want {
		t.Fatalf("CreateFunction FunctionArn = %q; want %q", fnARN, want)
	}
	uri := "arn:aws:apigateway:" + testRegion + ":lambda:path/2015-03-31/functions/" + fnARN + "/invocations"

	c := g.client("AKIDEXAMPLE", "secret")
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("lambda-e2e")})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	apiID, rootID := aws.ToString(api.Id), aws.ToString(api.RootResourceId)
	pets, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: &rootID, PathPart: aws.String("pets")})
	if err != nil {
		t.Fatalf("CreateResource: %v", err)
	}
	pet, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: pets.Id, PathPart: aws.String("{id}")})
	if err != nil {
		t.Fatalf("CreateResource: %v", err)
	}
	put := func(verb string, integ *apigateway.PutIntegrationInput) {
		t.Helper()
		if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: pet.Id, HttpMethod: aws.String(verb), AuthorizationType: aws.String("NONE")}); err != nil {
			t.Fatalf("PutMethod %s: %v", verb, err)
		}
		integ.RestApiId, integ.ResourceId, integ.HttpMethod = &apiID, pet.Id, aws.String(verb)
		if _, err := c.PutIntegration(ctx, integ); err != nil {
			t.Fatalf("PutIntegration %s: %v", verb, err)
		}
	}
	// POST /pets/{id}: Lambda proxy.
	put("POST", &apigateway.PutIntegrationInput{Type: agtypes.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: &uri})
	// GET /pets/{id}: Lambda custom integration, errors "Invalid ..." mapped to 400.
	put("GET", &apigateway.PutIntegrationInput{Type: agtypes.IntegrationTypeAws, IntegrationHttpMethod: aws.String("POST"), Uri: &uri,
		RequestTemplates: map[string]string{"application/json": `{"id": "$input.params('id')", "fail": "$input.params('fail')", "stage": "$context.stage"}`}})
	for _, status := range []string{"200", "400"} {
		if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &apiID, ResourceId: pet.Id, HttpMethod: aws.String("GET"), StatusCode: aws.String(status)}); err != nil {
			t.Fatalf("PutMethodResponse %s: %v", status, err)
		}
	}
	if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &apiID, ResourceId: pet.Id, HttpMethod: aws.String("GET"),
		StatusCode: aws.String("200")}); err != nil {
		t.Fatalf("PutIntegrationResponse 200: %v", err)
	}
	if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &apiID, ResourceId: pet.Id, HttpMethod: aws.String("GET"),
		StatusCode: aws.String("400"), SelectionPattern: aws.String("Invalid.*"),
		ResponseTemplates: map[string]string{"application/json": `{"error": $input.json('$.errorMessage')}`}}); err != nil {
		t.Fatalf("PutIntegrationResponse 400: %v", err)
	}
	dep, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("prod"),
		Variables: map[string]string{"color": "blue"}})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	base, host := g.hostURL(apiID)

	// With --strict-permissions, the function's policy must let this API invoke it: until
	// then, 500 as AWS answers ("Invalid permissions on Lambda function").
	var r httpResult
	if !waitFor(propagateDeadline, func() bool {
		r, err = call(ctx, "POST", base+"/prod/pets/1", host, nil, "")
		return err == nil && r.Status != http.StatusForbidden // 403 until the stage is served
	}) || r.Status != http.StatusInternalServerError || r.Body != `{"message": "Internal server error"}` {
		t.Fatalf("POST /prod/pets/1 without a permission = %d %s, %v; want 500 {\"message\": \"Internal server error\"}", r.Status, r.Body, err)
	}
	if _, err := g.lambdaClient().AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String("echo"),
		StatementId:  aws.String("apigateway"),
		Action:       aws.String("lambda:InvokeFunction"),
		Principal:    aws.String("apigateway.amazonaws.com"),
		SourceArn:    aws.String("arn:aws:execute-api:" + testRegion + ":" + testAccount + ":" + apiID + "/*/*/pets/*"),
	}); err != nil {
		t.Fatalf("AddPermission: %v", err)
	}

	// The proxy method: the event, as the function got it.
	if !waitFor(propagateDeadline, func() bool {
		r, err = call(ctx, "POST", base+"/prod/pets/7%20b?q=a+b&q=c%2Bd", host,
			http.Header{"Content-Type": {"application/json"}, "X-Custom": {"one", "two"}, "User-Agent": {"e2e/1.0"}}, `{"name":"Rex"}`)
		return err == nil && r.Status != http.StatusInternalServerError
	}) {
		t.Fatalf("POST /prod/pets/7%%20b = %d %s, %v; want the function's answer", r.Status, r.Body, err)
	}
	if r.Status != 201 || r.Header.Get("X-Fn") != "echo" || !reflect.DeepEqual(r.Header.Values("Set-Cookie"), []string{"a=1", "b=2"}) ||
		r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST /prod/pets/7%%20b = %d %v %s; want 201 with X-Fn: echo and two Set-Cookie", r.Status, r.Header, r.Body)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal([]byte(r.Body), &ev); err != nil {
		t.Fatalf("the event the function echoed: %v\n%s", err, r.Body)
	}
	rc := ev.RequestContext
	checks := []struct {
		field     string
		got, want any
	}{
		{"resource", ev.Resource, "/pets/{id}"},
		{"path", ev.Path, "/pets/7%20b"},
		{"httpMethod", ev.HTTPMethod, "POST"},
		{"headers[X-Custom]", ev.Headers["X-Custom"], "two"},
		{"multiValueHeaders[X-Custom]", ev.MultiValueHeaders["X-Custom"], []string{"one", "two"}},
		{"headers[Host]", ev.Headers["Host"], host},
		{"headers[User-Agent]", ev.Headers["User-Agent"], "e2e/1.0"},
		{"headers[X-Forwarded-For]", ev.Headers["X-Forwarded-For"], "127.0.0.1"},
		{"headers[X-Amzn-Trace-Id]", ev.Headers["X-Amzn-Trace-Id"] == r.Header.Get("X-Amzn-Trace-Id"), true},
		{"queryStringParameters", ev.QueryStringParameters, map[string]string{"q": "c+d"}},
		{"multiValueQueryStringParameters", ev.MultiValueQueryStringParameters, map[string][]string{"q": {"a b", "c+d"}}},
		{"pathParameters", ev.PathParameters, map[string]string{"id": "7 b"}},
		{"stageVariables", ev.StageVariables, map[string]string{"color": "blue"}},
		{"body", ev.Body, `{"name":"Rex"}`},
		{"isBase64Encoded", ev.IsBase64Encoded, false},
		{"requestContext.accountId", rc.AccountID, testAccount},
		{"requestContext.apiId", rc.APIID, apiID},
		{"requestContext.stage", rc.Stage, "prod"},
		{"requestContext.resourceId", rc.ResourceID, aws.ToString(pet.Id)},
		{"requestContext.resourcePath", rc.ResourcePath, "/pets/{id}"},
		{"requestContext.httpMethod", rc.HTTPMethod, "POST"},
		{"requestContext.path", rc.Path, "/prod/pets/7%20b"},
		{"requestContext.protocol", rc.Protocol, "HTTP/1.1"},
		{"requestContext.requestId", rc.RequestID, r.Header.Get("x-amzn-RequestId")},
		{"requestContext.extendedRequestId", rc.ExtendedRequestID, r.Header.Get("x-amz-apigw-id")},
		{"requestContext.domainName", rc.DomainName, apiID + ".execute-api.localhost"},
		{"requestContext.domainPrefix", rc.DomainPrefix, apiID},
		{"requestContext.identity.sourceIp", rc.Identity.SourceIP, "127.0.0.1"},
		{"requestContext.identity.userAgent", rc.Identity.UserAgent, "e2e/1.0"},
		{"requestContext.identity.caller", rc.Identity.Caller, ""},
		{"requestContext.requestTimeEpoch recent", time.Since(time.UnixMilli(rc.RequestTimeEpoch)) < time.Minute, true},
		{"requestContext.requestTime parses", func() bool {
			_, err := time.Parse("02/Jan/2006:15:04:05 -0700", rc.RequestTime)
			return err == nil
		}(), true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("event %s = %#v; want %#v", c.field, c.got, c.want)
		}
	}
	var raw map[string]any
	_ = json.Unmarshal([]byte(r.Body), &raw)
	if ctx, _ := raw["requestContext"].(map[string]any); ctx["deploymentId"] != aws.ToString(dep.Id) {
		t.Errorf("event requestContext.deploymentId = %v; want %q", ctx["deploymentId"], aws.ToString(dep.Id))
	}

	// A function error through the proxy method: 502.
	r = mustCall(t, "POST", base+"/prod/pets/1?fail=boom", host, nil, "")
	if r.Status != http.StatusBadGateway || r.Body != `{"message": "Internal server error"}` || r.Header.Get("x-amzn-ErrorType") != "InternalServerErrorException" {
		t.Errorf("POST /prod/pets/1?fail=boom = %d %s %v; want 502 {\"message\": \"Internal server error\"}", r.Status, r.Body, r.Header)
	}

	// The custom integration: the template's payload (compacted by the function's
	// json.Marshal), the result as the body.
	r = mustCall(t, "GET", base+"/prod/pets/42", host, nil, "")
	if want := `{"got":{"id":"42","fail":"","stage":"prod"}}`; r.Status != 200 || r.Body != want {
		t.Errorf("GET /prod/pets/42 = %d %s; want 200 %s", r.Status, r.Body, want)
	}
	// A function error whose message matches a selectionPattern.
	r = mustCall(t, "GET", base+"/prod/pets/42?fail=Invalid+pet", host, nil, "")
	if want := `{"error": "Invalid pet"}`; r.Status != 400 || r.Body != want {
		t.Errorf("GET /prod/pets/42?fail=Invalid+pet = %d %s; want 400 %s", r.Status, r.Body, want)
	}
	// One that matches none: the default response, 200 with the error document.
	r = mustCall(t, "GET", base+"/prod/pets/42?fail=other", host, nil, "")
	if r.Status != 200 || !strings.Contains(r.Body, `"errorMessage":"other"`) {
		t.Errorf("GET /prod/pets/42?fail=other = %d %s; want 200 with errorMessage other", r.Status, r.Body)
	}
	g.expectNoErrorLogs()
}
