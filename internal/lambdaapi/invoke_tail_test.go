package lambdaapi_test

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestInvokeLogTail: LogType Tail answers LogResult, base64 of the invocation's log as
// Lambda writes it: START, the function's output, END and REPORT, with the call's request
// id; without it there is no LogResult.
func TestInvokeLogTail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	if _, err := e.client.CreateFunction(ctx, createInput("talk", fnZip)); err != nil {
		t.Fatal(err)
	}
	for i, line := range []string{"hello from the function", "and again"} {
		out, err := e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("talk"), LogType: types.LogTypeTail,
			Payload: []byte(`{"print":"` + line + `"}`)})
		if err != nil {
			t.Fatalf("Invoke(Tail) = %v", err)
		}
		id, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
		raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if err != nil {
			t.Fatalf("LogResult %q: %v", aws.ToString(out.LogResult), err)
		}
		log := string(raw)
		want := regexp.MustCompile(`^START RequestId: ` + id + ` Version: \$LATEST\n` +
			regexp.QuoteMeta(line) + `\n` +
			`END RequestId: ` + id + `\n` +
			`REPORT RequestId: ` + id + `\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: [1-9]\d* MB\t\n$`)
		if id == "" || !want.MatchString(log) {
			t.Errorf("invocation %d: LogResult = %q (request id %q); want START, %q, END and REPORT", i, log, id, line)
		}
	}

	out, err := e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("talk"), Payload: []byte(`{"print":"quiet"}`)})
	if err != nil || out.LogResult != nil {
		t.Errorf("Invoke without LogType = %v, LogResult %q; want none", err, aws.ToString(out.LogResult))
	}

	// A long output: the last 4 KB, ending with the REPORT line.
	big := strings.Repeat("x", 6000)
	out, err = e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("talk"), LogType: types.LogTypeTail,
		Payload: []byte(`{"print":"` + big + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if len(raw) != 4096 || !strings.HasPrefix(string(raw), "xxx") || !strings.Contains(string(raw), "\nEND RequestId: ") || !strings.Contains(string(raw), "\nREPORT RequestId: ") {
		t.Errorf("LogResult of a 6000-byte line = %d bytes %.40q...; want the last 4096 bytes, with END and REPORT", len(raw), raw)
	}
}
