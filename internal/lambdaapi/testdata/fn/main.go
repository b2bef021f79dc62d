// Command fn is the test function of the Lambda API's tests: a custom-runtime bootstrap built
// with aws-lambda-go. It echoes its event with its name and environment, fails when the
// event asks it to, writes a file when given one (to see Event invocations run), prints a
// line when asked (LogType Tail) and sleeps when asked (to hold its concurrency).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Fail  string `json:"fail"`
	Touch string `json:"touch"`
	Value any    `json:"value"`
	// Version asks for the version that runs (AWS_LAMBDA_FUNCTION_VERSION) in the answer.
	Version bool   `json:"version"`
	Print   string `json:"print"`
	Sleep   int    `json:"sleepMs"`
}

type answer struct {
	Function string `json:"function"`
	Greeting string `json:"greeting"`
	Value    any    `json:"value"`
	Version  string `json:"version,omitempty"`
}

func handle(ctx context.Context, e event) (answer, error) {
	if e.Print != "" {
		fmt.Println(e.Print)
	}
	// Touch first: a test sees the invocation running while it sleeps.
	if e.Touch != "" {
		if err := os.WriteFile(e.Touch, []byte(lambdacontext.FunctionName), 0o644); err != nil {
			return answer{}, err
		}
	}
	if e.Sleep > 0 {
		time.Sleep(time.Duration(e.Sleep) * time.Millisecond)
	}
	if e.Fail != "" {
		return answer{}, errors.New(e.Fail)
	}
	a := answer{Function: lambdacontext.FunctionName, Greeting: os.Getenv("GREETING"), Value: e.Value}
	if e.Version {
		a.Version = lambdacontext.FunctionVersion
	}
	return a, nil
}

func main() { lambda.Start(handle) }
