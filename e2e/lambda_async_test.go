package e2e

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// workFunctionSource sleeps for the event's sleepMs, then writes its touch file (if any):
// a function whose concurrency a test can hold and whose asynchronous runs it can see. A
// proxy event gets a 200 Lambda proxy answer.
const workFunctionSource = `package main

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var e struct {
		HTTPMethod string ` + "`json:\"httpMethod\"`" + `
		SleepMS    int    ` + "`json:\"sleepMs\"`" + `
		Touch      string ` + "`json:\"touch\"`" + `
		Started    string ` + "`json:\"started\"`" + `
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	if e.HTTPMethod != "" {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "proxied"}, nil
	}
	if e.Started != "" {
		if err := os.WriteFile(e.Started, []byte("running"), 0o644); err != nil {
			return nil, err
		}
	}
	time.Sleep(time.Duration(e.SleepMS) * time.Millisecond)
	if e.Touch != "" {
		if err := os.WriteFile(e.Touch, []byte("ran"), 0o644); err != nil {
			return nil, err
		}
	}
	return map[string]any{"slept": e.SleepMS}, nil
}

func main() { lambda.Start(handle) }
`

// TestLambdaAsyncAndThrottled: a non-proxy method whose integration maps
// X-Amz-Invocation-Type 'Event' answers at once with its integration response on an empty
// body while the function runs in the background; a function at its reserved concurrency
// is throttled, which API Gateway answers 500 {"message": "Internal server error"} for
// proxy and non-proxy methods alike.
func TestLambdaAsyncAndThrottled(t *testing.T) {
	t.Parallel()
	code := buildFunctionZip(t, workFunctionSource)
	g := startGatehouse(t, options{})
	ctx := t.Context()
	lc := g.lambdaClient()
	fn, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("work"), Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::" + testAccount + ":role/lambda-work"), Code: &lambdatypes.FunctionCode{ZipFile: code},
		Timeout: aws.Int32(10),
	})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	if _, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("work"), ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatalf("PutFunctionConcurrency: %v", err)
	}
	uri := "arn:aws:apigateway:" + testRegion + ":lambda:path/2015-03-31/functions/" + aws.ToString(fn.FunctionArn) + "/invocations"

	c := g.client("AKIDEXAMPLE", "secret")
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("lambda-async")})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	apiID := aws.ToString(api.Id)
	jobs, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: api.RootResourceId, PathPart: aws.String("jobs")})
	if err != nil {
		t.Fatalf("CreateResource: %v", err)
	}
	method := func(verb string, integ *apigateway.PutIntegrationInput, template string) {
		t.Helper()
		if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: jobs.Id, HttpMethod: aws.String(verb), AuthorizationType: aws.String("NONE")}); err != nil {
			t.Fatalf("PutMethod %s: %v", verb, err)
		}
		integ.RestApiId, integ.ResourceId, integ.HttpMethod, integ.IntegrationHttpMethod, integ.Uri = &apiID, jobs.Id, aws.String(verb), aws.String("POST"), &uri
		if _, err := c.PutIntegration(ctx, integ); err != nil {
			t.Fatalf("PutIntegration %s: %v", verb, err)
		}
		if integ.Type == agtypes.IntegrationTypeAwsProxy {
			return
		}
		if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &apiID, ResourceId: jobs.Id, HttpMethod: aws.String(verb), StatusCode: aws.String("200")}); err != nil {
			t.Fatalf("PutMethodResponse %s: %v", verb, err)
		}
		if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &apiID, ResourceId: jobs.Id, HttpMethod: aws.String(verb),
			StatusCode: aws.String("200"), ResponseTemplates: map[string]string{"application/json": template}}); err != nil {
			t.Fatalf("PutIntegrationResponse %s: %v", verb, err)
		}
	}
	request := map[string]string{"application/json": `{"touch": "$util.escapeJavaScript($input.params('touch'))", "started": "$util.escapeJavaScript($input.params('started'))", "sleepMs": $input.params('ms')}`}
	// POST /jobs: asynchronous, for every request.
	method("POST", &apigateway.PutIntegrationInput{Type: agtypes.IntegrationTypeAws, RequestTemplates: request,
		RequestParameters: map[string]string{"integration.request.header.X-Amz-Invocation-Type": "'Event'"}}, `{"queued": true, "body": $input.json('$')}`)
	// GET /jobs: synchronous, the function's answer.
	method("GET", &apigateway.PutIntegrationInput{Type: agtypes.IntegrationTypeAws, RequestTemplates: request}, `$input.json('$')`)
	// PUT /jobs: Lambda proxy.
	method("PUT", &apigateway.PutIntegrationInput{Type: agtypes.IntegrationTypeAwsProxy}, "")
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("prod")}); err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	base, host := g.hostURL(apiID)
	jobsURL := func(touch string, ms int) string {
		return base + "/prod/jobs?" + url.Values{"touch": {touch}, "ms": {strconv.Itoa(ms)}}.Encode()
	}

	var r httpResult
	if !waitFor(propagateDeadline, func() bool {
		r, err = call(ctx, "GET", jobsURL("", 0), host, nil, "")
		return err == nil && r.Status == http.StatusOK
	}) || r.Body != `{"slept":0}` {
		t.Fatalf("GET /prod/jobs = %d %s, %v; want 200 {\"slept\":0}", r.Status, r.Body, err)
	}

	// Asynchronous: 200 at once with the template on an empty body, the function later.
	touch := filepath.Join(t.TempDir(), "async")
	start := time.Now()
	r = mustCall(t, "POST", jobsURL(touch, 2000), host, nil, "")
	if r.Status != 200 || r.Body != `{"queued": true, "body": {}}` || time.Since(start) > 1500*time.Millisecond {
		t.Errorf("POST /prod/jobs (Event) = %d %s after %v; want 200 {\"queued\": true, \"body\": {}} before the function's 2 s", r.Status, r.Body, time.Since(start))
	}
	if _, err := os.Stat(touch); err == nil {
		t.Errorf("the asynchronous function had run when POST /prod/jobs answered; want it still running")
	}
	if !waitFor(propagateDeadline, func() bool { _, err := os.Stat(touch); return err == nil }) {
		t.Fatalf("the asynchronous invocation never ran")
	}

	// Throttled: one call holds the reserved concurrency of 1, once the asynchronous
	// invocation (which wrote its file just before answering) has given it back.
	if !waitFor(propagateDeadline, func() bool {
		r, err = call(ctx, "GET", jobsURL("", 0), host, nil, "")
		return err == nil && r.Status == http.StatusOK
	}) {
		t.Fatalf("GET /prod/jobs after the asynchronous invocation = %d %s, %v; want 200 once it gave its place back", r.Status, r.Body, err)
	}
	started := filepath.Join(t.TempDir(), "held")
	held := make(chan httpResult, 1)
	go func() {
		r, _ := call(ctx, "GET", jobsURL("", 3000)+"&started="+url.QueryEscape(started), host, nil, "")
		held <- r
	}()
	if !waitFor(propagateDeadline, func() bool { _, err := os.Stat(started); return err == nil }) {
		t.Fatalf("the call meant to hold the reserved concurrency never started running")
	}
	for _, verb := range []string{"GET", "PUT"} {
		start := time.Now()
		r = mustCall(t, verb, jobsURL("", 0), host, nil, "")
		if r.Status != http.StatusInternalServerError || r.Body != `{"message": "Internal server error"}` || time.Since(start) > time.Second {
			t.Errorf("%s /prod/jobs while the reserved concurrency is held = %d %s after %v; want 500 {\"message\": \"Internal server error\"} at once", verb, r.Status, r.Body, time.Since(start))
		}
	}
	// An asynchronous one is accepted and waits for the function, as Lambda's queue does.
	later := filepath.Join(t.TempDir(), "later")
	if r = mustCall(t, "POST", jobsURL(later, 0), host, nil, ""); r.Status != 200 {
		t.Errorf("POST /prod/jobs (Event) while throttled = %d %s; want 200", r.Status, r.Body)
	}
	if r := testwait.Recv(t, held, propagateDeadline, "the answer of the call holding the concurrency"); r.Status != 200 || r.Body != `{"slept":3000}` {
		t.Errorf("the call holding the concurrency = %d %s; want 200 {\"slept\":3000}", r.Status, r.Body)
	}
	if !waitFor(propagateDeadline, func() bool { _, err := os.Stat(later); return err == nil }) {
		t.Errorf("the asynchronous invocation queued while throttled never ran")
	}
}
