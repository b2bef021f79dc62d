package lambdaapi_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/gatehouse/gatehouse/internal/lambda"
	"github.com/gatehouse/gatehouse/internal/lambdacall"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// invokePayload invokes arn with {"value":1} as the data plane would, and returns the
// function's answer as a string.
func invokePayload(ctx context.Context, inv *lambda.Invoker, arn string) (string, error) {
	res, err := inv.Invoke(ctx, lambdacall.Invocation{FunctionARN: arn, Payload: []byte(`{"value":1}`)})
	return string(res.Payload), err
}

// TestInvoker drives lambda.Invoker as the data plane does: by integration-URI ARN, with and
// without the calling API's execute-api ARN, locally and through another gatehouse's Lambda
// API as the remote endpoint (signed with the configured credentials).
func TestInvoker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	far := newEnv(t, envOptions{region: "us-west-2", auth: true})
	if _, err := far.client.CreateFunction(ctx, createInput("far", fnZip)); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{strict: true, remoteEndpoint: far.url})
	if _, err := e.client.CreateFunction(ctx, createInput("near", fnZip)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.AddPermission(ctx, &lambdasdk.AddPermissionInput{
		FunctionName: aws.String("near"), StatementId: aws.String("apigw"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("apigateway.amazonaws.com"), SourceArn: aws.String("arn:aws:execute-api:eu-west-1:123456789012:api1/*/GET/*"),
	}); err != nil {
		t.Fatal(err)
	}

	const near = "arn:aws:lambda:eu-west-1:123456789012:function:near"
	const allowed = "arn:aws:execute-api:eu-west-1:123456789012:api1/prod/GET/items/7"
	tests := []struct {
		name, arn, source string
		want              string // the payload, or "notfound" / "denied"
	}{
		{"ARN", near, allowed, `{"function":"near","greeting":"","value":1}`},
		{"bare name", "near", allowed, `{"function":"near","greeting":"","value":1}`},
		{"$LATEST", near + ":$LATEST", allowed, `{"function":"near","greeting":"","value":1}`},
		{"other verb", near, "arn:aws:execute-api:eu-west-1:123456789012:api1/prod/POST/items", "denied"},
		{"other API", near, "arn:aws:execute-api:eu-west-1:123456789012:api2/prod/GET/items", "denied"},
		{"no source", near, "", "denied"},
		{"alias", near + ":live", allowed, "notfound"},
		{"unknown", "arn:aws:lambda:eu-west-1:123456789012:function:nope", allowed, "notfound"},
		{"not an ARN", "arn:aws:s3:::bucket", allowed, "notfound"},
		{"remote", "arn:aws:lambda:us-west-2:123456789012:function:far", "arn:aws:execute-api:eu-west-1:123456789012:api1/prod/POST/x", `{"function":"far","greeting":"","value":1}`},
		{"remote unknown", "arn:aws:lambda:us-west-2:123456789012:function:nope", "", "notfound"},
	}
	for _, tt := range tests {
		res, err := e.invoker.Invoke(ctx, lambdacall.Invocation{FunctionARN: tt.arn, SourceARN: tt.source, Payload: []byte(`{"value":1}`)})
		out, fe := res.Payload, res.FunctionError
		var nf interface{ FunctionNotFound() bool }
		var ad interface{ AccessDenied() bool }
		switch tt.want {
		case "notfound":
			if !errors.As(err, &nf) || !nf.FunctionNotFound() {
				t.Errorf("%s: Invoke(%s) = %s, %v; want an error with FunctionNotFound() true", tt.name, tt.arn, out, err)
			}
		case "denied":
			if !errors.As(err, &ad) || !ad.AccessDenied() {
				t.Errorf("%s: Invoke(%s from %s) = %s, %v; want an error with AccessDenied() true", tt.name, tt.arn, tt.source, out, err)
			}
		default:
			if err != nil || fe != "" || string(out) != tt.want || (tt.name != "remote" && res.ExecutedVersion != "$LATEST") {
				t.Errorf("%s: Invoke(%s) = %s, %q, version %q, %v; want %s, $LATEST", tt.name, tt.arn, out, fe, res.ExecutedVersion, err, tt.want)
			}
		}
	}

	// A function error comes back as the function's error document and "Unhandled", locally
	// and remotely.
	for _, arn := range []string{near, "arn:aws:lambda:us-west-2:123456789012:function:far"} {
		res, err := e.invoker.Invoke(ctx, lambdacall.Invocation{FunctionARN: arn, SourceARN: allowed, Payload: []byte(`{"fail":"no"}`)})
		out, fe := res.Payload, res.FunctionError
		if err != nil || fe != "Unhandled" || string(out) != `{"errorMessage":"no","errorType":"errorString"}` {
			t.Errorf("Invoke(%s, fail) = %s, %q, %v; want the error document and Unhandled", arn, out, fe, err)
		}
	}
}

// TestInvokerSeesChanges: the data plane's calls use a decoded copy of the function, and the
// next call after any change to it (configuration, permissions, deletion) sees the change.
func TestInvokerSeesChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{strict: true})
	if _, err := e.client.CreateFunction(ctx, createInput("chg", fnZip)); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:eu-west-1:123456789012:function:chg"
	const source = "arn:aws:execute-api:eu-west-1:123456789012:api1/prod/GET/x"
	call := func() (string, error) {
		res, err := e.invoker.Invoke(ctx, lambdacall.Invocation{FunctionARN: arn, SourceARN: source, Payload: []byte(`{"value":1}`)})
		return string(res.Payload), err
	}
	var ad interface{ AccessDenied() bool }
	if out, err := call(); !errors.As(err, &ad) {
		t.Fatalf("call without a permission = %s, %v; want access denied", out, err)
	}
	if _, err := e.client.AddPermission(ctx, &lambdasdk.AddPermissionInput{
		FunctionName: aws.String("chg"), StatementId: aws.String("apigw"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("apigateway.amazonaws.com"), SourceArn: aws.String("arn:aws:execute-api:eu-west-1:123456789012:api1/*"),
	}); err != nil {
		t.Fatal(err)
	}
	if out, err := call(); err != nil || out != `{"function":"chg","greeting":"","value":1}` {
		t.Fatalf("call after AddPermission = %s, %v; want the function's answer", out, err)
	}
	if _, err := e.client.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("chg"), Environment: &lambdatypes.Environment{Variables: map[string]string{"GREETING": "hello"}},
	}); err != nil {
		t.Fatal(err)
	}
	if out, err := call(); err != nil || out != `{"function":"chg","greeting":"hello","value":1}` {
		t.Errorf("call after UpdateFunctionConfiguration = %s, %v; want greeting hello", out, err)
	}
	if _, err := e.client.RemovePermission(ctx, &lambdasdk.RemovePermissionInput{FunctionName: aws.String("chg"), StatementId: aws.String("apigw")}); err != nil {
		t.Fatal(err)
	}
	if out, err := call(); !errors.As(err, &ad) {
		t.Errorf("call after RemovePermission = %s, %v; want access denied", out, err)
	}
	if _, err := e.client.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String("chg")}); err != nil {
		t.Fatal(err)
	}
	var nf interface{ FunctionNotFound() bool }
	if out, err := call(); !errors.As(err, &nf) {
		t.Errorf("call after DeleteFunction = %s, %v; want not found", out, err)
	}
}

// TestReservedConcurrencyZero: a function whose reserved concurrency is 0 is stopped, as on
// AWS: the Lambda API's Invoke is throttled, and so is the data plane's call; a data-plane
// Event is accepted (Lambda's queue takes it and retries the throttle), as the Lambda API's
// own Invoke Event is; deleting the reservation lets it run again.
func TestReservedConcurrencyZero(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	if _, err := e.client.CreateFunction(ctx, createInput("stopped", fnZip)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PutFunctionConcurrency(ctx, &lambdasdk.PutFunctionConcurrencyInput{
		FunctionName: aws.String("stopped"), ReservedConcurrentExecutions: aws.Int32(0),
	}); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:eu-west-1:123456789012:function:stopped"
	_, err := e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("stopped")})
	var tm *lambdatypes.TooManyRequestsException
	if !errors.As(err, &tm) || tm.Reason != lambdatypes.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded || aws.ToString(tm.Message) != "Rate Exceeded." {
		t.Errorf("Invoke(reserved 0) = %v; want TooManyRequestsException Rate Exceeded. (ReservedFunctionConcurrentInvocationLimitExceeded)", err)
	}
	if out, err := invokePayload(ctx, e.invoker, arn); !errors.Is(err, lambda.ErrThrottled) {
		t.Errorf("Invoke(reserved 0) = %s, %v; want an error wrapping ErrThrottled", out, err)
	}
	if _, err := e.invoker.Invoke(ctx, lambdacall.Invocation{FunctionARN: arn, Type: lambdacall.Event, Payload: []byte(`{}`)}); err != nil {
		t.Errorf("Invoke Event at reserved concurrency 0 = %v; want it accepted", err)
	}
	if _, err := e.client.DeleteFunctionConcurrency(ctx, &lambdasdk.DeleteFunctionConcurrencyInput{FunctionName: aws.String("stopped")}); err != nil {
		t.Fatal(err)
	}
	if out, err := invokePayload(ctx, e.invoker, arn); err != nil || out != `{"function":"stopped","greeting":"","value":1}` {
		t.Errorf("InvokeFunction after DeleteFunctionConcurrency = %s, %v; want the function's answer", out, err)
	}
}

// TestInvokerRetriesMissingCode: a function whose package is missing from the code store
// (a data directory being restored, say) fails while it is missing, and runs on the next
// call once it is back: the failure is not kept with the decoded function.
func TestInvokerRetriesMissingCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	out, err := e.client.CreateFunction(ctx, createInput("late", fnZip))
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := base64.StdEncoding.DecodeString(aws.ToString(out.CodeSha256))
	codeDir := filepath.Join(e.dataDir, "lambda", "code")
	aside := t.TempDir()
	for _, name := range []string{hex.EncodeToString(sum) + ".zip", hex.EncodeToString(sum)} {
		if err := os.Rename(filepath.Join(codeDir, name), filepath.Join(aside, name)); err != nil {
			t.Fatal(err)
		}
	}
	const arn = "arn:aws:lambda:eu-west-1:123456789012:function:late"
	if got, err := invokePayload(ctx, e.invoker, arn); err == nil {
		t.Fatalf("InvokeFunction with the package missing = %s, nil; want an error", got)
	}
	if err := os.Rename(filepath.Join(aside, hex.EncodeToString(sum)+".zip"), filepath.Join(codeDir, hex.EncodeToString(sum)+".zip")); err != nil {
		t.Fatal(err)
	}
	if got, err := invokePayload(ctx, e.invoker, arn); err != nil || got != `{"function":"late","greeting":"","value":1}` {
		t.Errorf("InvokeFunction once the package is back = %s, %v; want the function's answer", got, err)
	}
}

// TestInvokerEvent: an Event invocation from the data plane is checked (function, resource
// policy) before Invoke returns, then runs in the background; a denied one never runs.
func TestInvokerEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{strict: true})
	if _, err := e.client.CreateFunction(ctx, createInput("ev", fnZip)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.AddPermission(ctx, &lambdasdk.AddPermissionInput{
		FunctionName: aws.String("ev"), StatementId: aws.String("apigw"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("apigateway.amazonaws.com"), SourceArn: aws.String("arn:aws:execute-api:eu-west-1:123456789012:api1/*"),
	}); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:eu-west-1:123456789012:function:ev"
	dir := t.TempDir()
	event := func(source, touch string) (lambdacall.Result, error) {
		return e.invoker.Invoke(ctx, lambdacall.Invocation{FunctionARN: arn, SourceARN: source, Type: lambdacall.Event,
			Payload: []byte(`{"touch":"` + touch + `"}`)})
	}
	denied := filepath.Join(dir, "denied")
	var ad interface{ AccessDenied() bool }
	if res, err := event("arn:aws:execute-api:eu-west-1:123456789012:api2/prod/GET/x", denied); !errors.As(err, &ad) {
		t.Errorf("Event from another API = %+v, %v; want access denied", res, err)
	}
	ran := filepath.Join(dir, "ran")
	res, err := event("arn:aws:execute-api:eu-west-1:123456789012:api1/prod/GET/x", ran)
	if err != nil || res.Payload != nil || res.ExecutedVersion != "$LATEST" {
		t.Fatalf("Event = %+v, %v; want no payload, $LATEST", res, err)
	}
	testwait.Until(t, testwait.Patient, "the Event invocation's run", func() bool {
		_, err := os.Stat(ran)
		return err == nil
	})
	if _, err := os.Stat(denied); err == nil {
		t.Errorf("the denied Event invocation ran")
	}
}
