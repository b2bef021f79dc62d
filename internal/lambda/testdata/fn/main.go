// Command fn is the test function of the lambda runtime's tests: a custom-runtime bootstrap
// built with aws-lambda-go whose behaviour _HANDLER (and, for "multi", the event) chooses.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func init() {
	if os.Getenv("_HANDLER") == "initcrash" {
		fmt.Fprintln(os.Stderr, "initcrash: giving up before the first invocation")
		os.Exit(3)
	}
}

// event is what "multi" does.
type event struct {
	Do    string `json:"do"`    // echo (default), sleep, panic, error, exit, huge, env, print
	MS    int    `json:"ms"`    // sleep
	Bytes int    `json:"bytes"` // huge
	Value any    `json:"value"` // echo
}

func main() {
	switch os.Getenv("_HANDLER") {
	case "initerror":
		initError()
	case "garbage":
		garbage()
	case "protocol":
		protocol()
	case "hanginit":
		time.Sleep(time.Hour)
	case "hangafter":
		hangAfter()
	case "reconnect":
		reconnect()
	default:
		lambda.Start(multi)
	}
}

func multi(ctx context.Context, e event) (any, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	switch e.Do {
	case "sleep":
		time.Sleep(time.Duration(e.MS) * time.Millisecond)
		return map[string]any{"pid": os.Getpid(), "slept": e.MS}, nil
	case "panic":
		panic("the function panicked")
	case "error":
		return nil, errors.New("the function failed")
	case "exit":
		fmt.Println("exiting mid-invocation")
		os.Exit(2)
	case "spawn":
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return map[string]any{"pid": os.Getpid(), "child": cmd.Process.Pid}, nil
	case "huge":
		return strings.Repeat("x", e.Bytes), nil
	case "print":
		fmt.Println("to stdout", lc.AwsRequestID)
		fmt.Fprintln(os.Stderr, "to stderr", lc.AwsRequestID)
		return "printed", nil
	case "env":
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		wd, _ := os.Getwd()
		deadline, _ := ctx.Deadline()
		return map[string]any{
			"env": env, "cwd": wd, "pid": os.Getpid(), "ppid": os.Getppid(),
			"requestId": lc.AwsRequestID, "functionArn": lc.InvokedFunctionArn,
			"deadlineMs": deadline.UnixMilli(), "clientContext": lc.ClientContext.Custom,
			"cognitoIdentityId": lc.Identity.CognitoIdentityID,
		}, nil
	}
	return map[string]any{"pid": os.Getpid(), "value": e.Value}, nil
}

var api = "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/"

// initError reports an init failure the way a runtime does, then waits to be stopped.
func initError() {
	req, _ := http.NewRequest(http.MethodPost, api+"init/error", strings.NewReader(`{"errorMessage":"cannot load handler","errorType":"Runtime.HandlerNotFound"}`))
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.HandlerNotFound")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	time.Sleep(time.Hour)
}

// garbage takes an invocation, then sends bytes that are not HTTP to the Runtime API; the
// event's "then" says what it does next: exit, or hang.
func garbage() {
	resp, err := http.Get(api + "invocation/next")
	if err != nil {
		os.Exit(9)
	}
	var e struct{ Then string }
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	conn, err := net.Dial("tcp", os.Getenv("AWS_LAMBDA_RUNTIME_API"))
	if err != nil {
		os.Exit(9)
	}
	fmt.Fprintf(conn, "\x00\x01 THIS IS NOT HTTP \xff\r\n\r\n")
	status, _ := bufio.NewReader(conn).ReadString('\n')
	fmt.Println("the runtime API answered garbage with:", strings.TrimSpace(status))
	conn.Close()
	if e.Then == "exit" {
		os.Exit(1)
	}
	time.Sleep(time.Hour)
}

// protocol takes an invocation, breaks the Runtime API's rules, and answers with what the
// API said to each attempt.
func protocol() {
	call := func(method, path, body string) map[string]any {
		req, _ := http.NewRequest(method, api+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return map[string]any{"status": resp.StatusCode, "body": string(b), "contentType": resp.Header.Get("Content-Type")}
	}
	report := map[string]any{}
	report["responseBeforeNext"] = call(http.MethodPost, "invocation/nope/response", `{}`)
	resp, err := http.Get(api + "invocation/next")
	if err != nil {
		os.Exit(9)
	}
	id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	resp.Body.Close()
	report["wrongID"] = call(http.MethodPost, "invocation/not-"+id+"/response", `{}`)
	report["nextWhileRunning"] = call(http.MethodGet, "invocation/next", "")
	report["initErrorAfterInit"] = call(http.MethodPost, "init/error", `{}`)
	report["unknownPath"] = call(http.MethodGet, "nothing/here", "")
	report["wrongMethod"] = call(http.MethodGet, "invocation/"+id+"/response", "")
	b, _ := json.Marshal(report)
	final := call(http.MethodPost, "invocation/"+id+"/response", string(b))
	again := call(http.MethodPost, "invocation/"+id+"/response", `{}`)
	fmt.Println("final:", final, "again:", again)
	// The next invocation carries nothing; answer it with how the repeated answer went.
	resp, err = http.Get(api + "invocation/next")
	if err != nil {
		os.Exit(9)
	}
	id = resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	resp.Body.Close()
	b, _ = json.Marshal(map[string]any{"final": final, "again": again})
	call(http.MethodPost, "invocation/"+id+"/response", string(b))
	time.Sleep(time.Hour)
}

// hangAfter answers its first invocation, then never asks for the next one: a runtime stuck
// between invocations.
func hangAfter() {
	resp, err := http.Get(api + "invocation/next")
	if err != nil {
		os.Exit(9)
	}
	id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	resp.Body.Close()
	resp, err = http.Post(api+"invocation/"+id+"/response", "application/json", strings.NewReader(fmt.Sprintf(`{"pid":%d}`, os.Getpid())))
	if err == nil {
		resp.Body.Close()
	}
	time.Sleep(time.Hour)
}

// reconnect answers its first invocation, then asks for the next one on a connection it
// closes while it waits (then writes the file $RECONNECTED_MARK names, if any), then serves
// every later invocation as multi on a new one: a runtime whose client gave up on a /next
// and asked again.
func reconnect() {
	resp, err := http.Get(api + "invocation/next")
	if err != nil {
		os.Exit(9)
	}
	id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	resp.Body.Close()
	resp, err = http.Post(api+"invocation/"+id+"/response", "application/json", strings.NewReader(fmt.Sprintf(`{"pid":%d}`, os.Getpid())))
	if err != nil {
		os.Exit(9)
	}
	resp.Body.Close()
	conn, err := net.Dial("tcp", os.Getenv("AWS_LAMBDA_RUNTIME_API"))
	if err != nil {
		os.Exit(9)
	}
	fmt.Fprintf(conn, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n", os.Getenv("AWS_LAMBDA_RUNTIME_API"))
	time.Sleep(100 * time.Millisecond)
	conn.Close()
	if mark := os.Getenv("RECONNECTED_MARK"); mark != "" {
		// Tells the test the first /next is closed: the gatehouse side may not know yet.
		os.WriteFile(mark, nil, 0o644)
	}
	lambda.Start(multi)
}
