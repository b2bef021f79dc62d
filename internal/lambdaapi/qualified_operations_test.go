package lambdaapi_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestLatestOnlyOperationsRefuseQualifier: the operations that change $LATEST
// (UpdateFunctionConfiguration, UpdateFunctionCode) and PublishVersion refuse a name
// qualified with a published version or an alias, as AWS does ("Current operation does not
// support versions other than $LATEST..."); they must not change $LATEST behind a name that
// says version 1.
func TestLatestOnlyOperationsRefuseQualifier(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	in := createInput("lq", smallZip)
	in.Publish = true
	if _, err := e.client.CreateFunction(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String("lq:1"), Timeout: aws.Int32(11)}); err == nil {
		t.Errorf("UpdateFunctionConfiguration(lq:1) = nil error; want InvalidParameterValueException")
	}
	if _, err := e.client.UpdateFunctionCode(ctx, &lambdasdk.UpdateFunctionCodeInput{FunctionName: aws.String("lq:1"), ZipFile: withExtraFile(t, "y", "1")}); err == nil {
		t.Errorf("UpdateFunctionCode(lq:1) = nil error; want InvalidParameterValueException")
	}
	latest, err := e.client.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String("lq")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(latest.Timeout) == 11 {
		t.Errorf("$LATEST's timeout is 11 after UpdateFunctionConfiguration(lq:1); want it unchanged")
	}
}

// TestInvokeLogTailVersion: the START line of a LogType Tail names the version that ran
// ("START RequestId: ... Version: 1"), not always $LATEST.
func TestInvokeLogTailVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	in := createInput("tailv", fnZip)
	in.Publish = true
	if _, err := e.client.CreateFunction(ctx, in); err != nil {
		t.Fatal(err)
	}
	out, err := e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("tailv"), Qualifier: aws.String("1"), LogType: types.LogTypeTail,
		Payload: []byte(`{"print":"hi"}`)})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if aws.ToString(out.ExecutedVersion) != "1" || !strings.Contains(string(raw), " Version: 1\n") {
		t.Errorf("Invoke(tailv:1, Tail): ExecutedVersion %s, LogResult %q; want START ... Version: 1", aws.ToString(out.ExecutedVersion), raw)
	}
}
