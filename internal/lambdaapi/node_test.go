package lambdaapi_test

import (
	"context"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const nodeApp = `
export const handler = async (event, context) => {
	if (event.raise) {
		throw new TypeError(event.raise);
	}
	return { event, memory: context.memoryLimitInMB, greeting: process.env.GREETING,
		arn: context.invokedFunctionArn, execEnv: process.env.AWS_EXECUTION_ENV };
};
`

// A nodejs20.x function (an ES module) deployed, invoked and reconfigured through the
// Lambda API, as the aws CLI or Terraform would.
func TestNodeFunction(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	in := createInput("js", pyZip(t, map[string]string{"index.mjs": nodeApp}))
	in.Runtime, in.Handler = types.RuntimeNodejs20x, aws.String("index.handler")
	in.Timeout, in.MemorySize = aws.Int32(5), aws.Int32(512)
	in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "hello"}}
	out, err := e.client.CreateFunction(ctx, in)
	if err != nil {
		t.Fatalf("CreateFunction(nodejs20.x) = %v", err)
	}
	call := func(payload string) (map[string]any, *string) {
		t.Helper()
		return invokeJSON(t, e.client, "js", payload)
	}
	got, fe := call(`{"k":"v"}`)
	if fe != nil || mustJSON(got["event"]) != `{"k":"v"}` || got["memory"] != "512" || got["greeting"] != "hello" ||
		got["arn"] != *out.FunctionArn || got["execEnv"] != "AWS_Lambda_nodejs20.x" {
		t.Errorf("Invoke = %v (function error %v); want the event, memory \"512\", GREETING, the ARN and AWS_Lambda_nodejs20.x", got, aws.ToString(fe))
	}

	got, fe = call(`{"raise":"bad input"}`)
	if aws.ToString(fe) != "Unhandled" || got["errorType"] != "TypeError" || got["errorMessage"] != "bad input" {
		t.Errorf("Invoke(raise) = %v (function error %v); want Unhandled TypeError bad input", got, aws.ToString(fe))
	}

	// A new configuration reaches a new process.
	if _, err := e.client.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("js"), MemorySize: aws.Int32(1024),
		Environment: &types.Environment{Variables: map[string]string{"GREETING": "again"}},
	}); err != nil {
		t.Fatalf("UpdateFunctionConfiguration = %v", err)
	}
	got, _ = call(`{}`)
	if got["memory"] != "1024" || got["greeting"] != "again" {
		t.Errorf("after UpdateFunctionConfiguration, Invoke = %v; want memory \"1024\", GREETING again", got)
	}
}
