package lambdaapi_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// TestInvokeThrottledAtReservedConcurrency: with reserved concurrency 1 and one invocation
// running, a synchronous Invoke is Lambda's 429 TooManyRequestsException "Rate Exceeded."
// (ReservedFunctionConcurrentInvocationLimitExceeded) at once; an Event invocation is
// accepted and runs once the function is free.
func TestInvokeThrottledAtReservedConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	if _, err := e.client.CreateFunction(ctx, createInput("busy", fnZip)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PutFunctionConcurrency(ctx, &lambdasdk.PutFunctionConcurrencyInput{
		FunctionName: aws.String("busy"), ReservedConcurrentExecutions: aws.Int32(1),
	}); err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	running := filepath.Join(t.TempDir(), "running")
	go func() {
		_, err := e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("busy"),
			Payload: []byte(`{"sleepMs":3000,"touch":` + strconv.Quote(running) + `}`)})
		first <- err
	}()
	// The first holds the one reserved place before anything else asks for it.
	testwait.Until(t, testwait.Patient, "the first invocation running", func() bool {
		_, err := os.Stat(running)
		return err == nil
	})
	var err error
	testwait.Until(t, testwait.Patient, "a second Invoke throttled while the first runs", func() bool {
		start := time.Now()
		// One attempt: the SDK retries a throttled call by default.
		_, err = e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("busy"), Payload: []byte(`{}`)},
			func(o *lambdasdk.Options) { o.RetryMaxAttempts = 1 })
		var tm *lambdatypes.TooManyRequestsException
		if errors.As(err, &tm) {
			if tm.Reason != lambdatypes.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded || aws.ToString(tm.Message) != "Rate Exceeded." || time.Since(start) > time.Second {
				t.Fatalf("Invoke while the reserved process is busy = %v (reason %s) after %v; want Rate Exceeded. (ReservedFunctionConcurrentInvocationLimitExceeded) at once", err, tm.Reason, time.Since(start))
			}
			return true
		}
		select {
		case err := <-first:
			t.Fatalf("the first Invoke ended (%v) before a second one was throttled", err)
		default:
		}
		return false
	})
	out, err := e.client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("busy"), InvocationType: lambdatypes.InvocationTypeEvent, Payload: []byte(`{}`)})
	if err != nil || out.StatusCode != 202 {
		t.Errorf("Invoke(Event) while the reserved process is busy = %v, %v; want 202", out, err)
	}
	if err := testwait.Recv(t, first, time.Minute, "the first invocation"); err != nil {
		t.Errorf("the first Invoke = %v", err)
	}
}
