package lambdaapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// pyZip zips Python sources (name → source) as a deployment package.
func pyZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, src := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(src))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// invokeJSON invokes the function name with payload and decodes its JSON answer; it
// returns the answer and X-Amz-Function-Error.
func invokeJSON(t *testing.T, client *lambdasdk.Client, name, payload string) (map[string]any, *string) {
	t.Helper()
	res, err := client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String(name), Payload: []byte(payload)})
	if err != nil {
		t.Fatalf("Invoke(%s, %s) = %v", name, payload, err)
	}
	var got map[string]any
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("Invoke(%s, %s) payload %s: %v", name, payload, res.Payload, err)
	}
	return got, res.FunctionError
}

const pyApp = `
import os
def lambda_handler(event, context):
    if event.get("raise"):
        raise KeyError(event["raise"])
    return {"event": event, "memory": context.memory_limit_in_mb,
            "remaining_ok": 0 < context.get_remaining_time_in_millis() <= int(os.environ["TIMEOUT_MS"]),
            "greeting": os.environ.get("GREETING"), "arn": context.invoked_function_arn}
`

// A python3.12 function deployed, invoked and reconfigured through the Lambda API, as the
// aws CLI or Terraform would.
func TestPythonFunction(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	in := createInput("py", pyZip(t, map[string]string{"app.py": pyApp}))
	in.Runtime, in.Handler = types.RuntimePython312, aws.String("app.lambda_handler")
	in.Timeout, in.MemorySize = aws.Int32(5), aws.Int32(512)
	in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "hello", "TIMEOUT_MS": "5000"}}
	out, err := e.client.CreateFunction(ctx, in)
	if err != nil {
		t.Fatalf("CreateFunction(python3.12) = %v", err)
	}
	call := func(payload string) (map[string]any, *string) {
		t.Helper()
		return invokeJSON(t, e.client, "py", payload)
	}
	got, fe := call(`{"k":"v"}`)
	if fe != nil || mustJSON(got["event"]) != `{"k":"v"}` || got["memory"] != "512" || got["remaining_ok"] != true ||
		got["greeting"] != "hello" || got["arn"] != *out.FunctionArn {
		t.Errorf("Invoke = %v (function error %v); want the event, memory \"512\", the 5 s deadline, GREETING and the ARN", got, aws.ToString(fe))
	}

	got, fe = call(`{"raise":"missing"}`)
	if aws.ToString(fe) != "Unhandled" || got["errorType"] != "KeyError" || got["errorMessage"] != "'missing'" {
		t.Errorf("Invoke(raise) = %v (function error %v); want Unhandled KeyError 'missing'", got, aws.ToString(fe))
	}

	// A new configuration reaches a new process.
	if _, err := e.client.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("py"), MemorySize: aws.Int32(1024),
		Environment: &types.Environment{Variables: map[string]string{"GREETING": "again", "TIMEOUT_MS": "5000"}},
	}); err != nil {
		t.Fatalf("UpdateFunctionConfiguration = %v", err)
	}
	got, _ = call(`{}`)
	if got["memory"] != "1024" || got["greeting"] != "again" {
		t.Errorf("after UpdateFunctionConfiguration, Invoke = %v; want memory \"1024\", GREETING again", got)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Without an interpreter, a python function is refused when it is created (or when an
// update switches to python), with the way to configure one; other AWS runtimes are stored.
// Not parallel: it empties PATH before its runtime resolves interpreters.
func TestManagedRuntimeWithoutInterpreter(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	in := createInput("py", pyZip(t, map[string]string{"app.py": pyApp}))
	in.Runtime, in.Handler = types.RuntimePython313, aws.String("app.lambda_handler")
	_, err := e.client.CreateFunction(ctx, in)
	if code, msg := apiError(err); code != "InvalidParameterValueException" || !strings.Contains(msg, "python3.13") || !strings.Contains(msg, "--lambda-runtime python3.13=") {
		t.Errorf("CreateFunction(python3.13) = %s %q; want InvalidParameterValueException naming python3.13 and --lambda-runtime", code, msg)
	}
	if _, err := e.client.CreateFunction(ctx, createInput("go", smallZip)); err != nil {
		t.Fatalf("CreateFunction(provided.al2023) = %v", err)
	}
	_, err = e.client.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("go"), Runtime: types.RuntimePython39, Handler: aws.String("app.lambda_handler"),
	})
	if code, msg := apiError(err); code != "InvalidParameterValueException" || !strings.Contains(msg, "python3.9") {
		t.Errorf("UpdateFunctionConfiguration(Runtime python3.9) = %s %q; want InvalidParameterValueException", code, msg)
	}
	java := createInput("java", smallZip)
	java.Runtime = types.RuntimeJava21
	if _, err := e.client.CreateFunction(ctx, java); err != nil {
		t.Errorf("CreateFunction(java21) = %v; want it stored", err)
	}
	// A name that is no AWS runtime is the model's ValidationException, as before.
	bad := createInput("bad", smallZip)
	bad.Runtime = "python9.9"
	if code, _ := apiError(func() error { _, err := e.client.CreateFunction(ctx, bad); return err }()); code != "ValidationException" {
		t.Errorf("CreateFunction(python9.9) = %s; want ValidationException", code)
	}
}
