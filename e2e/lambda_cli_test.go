package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	functionZipOnce sync.Once
	functionZipPath string
	functionZipErr  error
)

// functionZip builds testdata/terraform-lambda/fn as users build a Go Lambda for the
// provided.al2023 runtime (linux/amd64, -tags lambda.norpc, named bootstrap) and zips it; the
// path of the zip, built once per test binary.
func functionZip(t *testing.T) string {
	t.Helper()
	functionZipOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-e2e-lambda-")
		if err != nil {
			functionZipErr = err
			return
		}
		bootstrap := filepath.Join(dir, "bootstrap")
		build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", bootstrap, "./testdata/terraform-lambda/fn")
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := build.CombinedOutput(); err != nil {
			functionZipErr = &buildError{err: err, out: string(out)}
			return
		}
		b, err := os.ReadFile(bootstrap)
		if err != nil {
			functionZipErr = err
			return
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
		h.SetMode(0o755)
		w, _ := zw.CreateHeader(h)
		w.Write(b)
		zw.Close()
		functionZipPath = filepath.Join(dir, "function.zip")
		functionZipErr = os.WriteFile(functionZipPath, buf.Bytes(), 0o644)
	})
	if functionZipErr != nil {
		t.Fatalf("build the test function: %v", functionZipErr)
	}
	return functionZipPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// lambdaCLI runs `aws --endpoint-url E --output json lambda args...`.
func lambdaCLI(t *testing.T, cli *awsCLI, args ...string) (answer map[string]any, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), commandDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli.bin, append([]string{"--endpoint-url", cli.endpoint, "--output", "json", "lambda"}, args...)...)
	cmd.Env = cli.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if s := strings.TrimSpace(out.String()); s != "" {
		if jerr := json.Unmarshal([]byte(s), &answer); jerr != nil {
			t.Errorf("aws lambda %s: stdout is not JSON: %v\n%s", args[0], jerr, s)
		}
	}
	return answer, errb.String(), exitCode(err)
}

// TestLambdaAWSCLI deploys and calls a zip-packaged Go function with the real aws CLI:
// create-function, the function-active waiter, get-function, list-functions, invoke,
// add-permission, get-policy, update-function-configuration, delete-function.
func TestLambdaAWSCLI(t *testing.T) {
	t.Parallel()
	zipPath := functionZip(t)
	g := startGatehouse(t, options{})
	cli := newAWSCLI(t, g.AdminURL, "AKIAE2ETESTCLI000001", "e2e-cli-secret")
	const arn = "arn:aws:lambda:" + testRegion + ":" + testAccount + ":function:e2e-cli"

	a, stderr, code := lambdaCLI(t, cli, "create-function", "--function-name", "e2e-cli", "--runtime", "provided.al2023",
		"--handler", "bootstrap", "--role", "arn:aws:iam::"+testAccount+":role/e2e", "--zip-file", "fileb://"+zipPath,
		"--environment", "Variables={GREETING=hello}")
	if code != 0 {
		t.Fatalf("aws lambda create-function: exit %d: %s", code, stderr)
	}
	if a["FunctionArn"] != arn || a["State"] != "Active" || a["Runtime"] != "provided.al2023" || a["Timeout"] != 3.0 || a["MemorySize"] != 128.0 {
		t.Errorf("create-function = %v; want %s, Active, provided.al2023, Timeout 3, MemorySize 128", a, arn)
	}
	if _, stderr, code := lambdaCLI(t, cli, "wait", "function-active-v2", "--function-name", "e2e-cli"); code != 0 {
		t.Errorf("aws lambda wait function-active-v2: exit %d: %s", code, stderr)
	}
	a, stderr, code = lambdaCLI(t, cli, "get-function", "--function-name", "e2e-cli")
	if conf, _ := a["Configuration"].(map[string]any); code != 0 || conf["FunctionName"] != "e2e-cli" {
		t.Errorf("get-function = %v, exit %d: %s", a, code, stderr)
	}
	a, _, code = lambdaCLI(t, cli, "list-functions")
	if fns, _ := a["Functions"].([]any); code != 0 || len(fns) != 1 {
		t.Errorf("list-functions = %v, exit %d; want one function", a, code)
	}

	out := filepath.Join(t.TempDir(), "out.json")
	a, stderr, code = lambdaCLI(t, cli, "invoke", "--function-name", "e2e-cli",
		"--payload", `{"hello":"world"}`, out)
	body, _ := os.ReadFile(out)
	if code != 0 || a["StatusCode"] != 200.0 || a["ExecutedVersion"] != "$LATEST" || a["FunctionError"] != nil ||
		string(body) != `{"event":{"hello":"world"},"function":"e2e-cli","greeting":"hello"}` {
		t.Errorf("invoke = %v, exit %d (%s), payload %s; want 200 $LATEST and the echo", a, code, stderr, body)
	}

	// --log-type Tail: LogResult is the invocation's log, base64.
	a, stderr, code = lambdaCLI(t, cli, "invoke", "--function-name", "e2e-cli", "--log-type", "Tail", "--payload", `{}`, out)
	logResult, _ := a["LogResult"].(string)
	tail, err := base64.StdEncoding.DecodeString(logResult)
	if code != 0 || err != nil || !strings.HasPrefix(string(tail), "START RequestId: ") || !strings.Contains(string(tail), "\nEND RequestId: ") ||
		!strings.Contains(string(tail), "\nREPORT RequestId: ") || !strings.Contains(string(tail), "\tMemory Size: 128 MB\t") {
		t.Errorf("invoke --log-type Tail = %v, exit %d (%s), log %q; want START, END and REPORT lines", a, code, stderr, tail)
	}

	if _, stderr, code := lambdaCLI(t, cli, "update-function-configuration", "--function-name", "e2e-cli", "--environment", "Variables={GREETING=bye}"); code != 0 {
		t.Errorf("update-function-configuration: exit %d: %s", code, stderr)
	}
	lambdaCLI(t, cli, "invoke", "--function-name", "e2e-cli", "--payload", `{}`, out)
	if body, _ := os.ReadFile(out); !strings.Contains(string(body), `"greeting":"bye"`) {
		t.Errorf("invoke after update-function-configuration = %s; want greeting bye", body)
	}

	a, stderr, code = lambdaCLI(t, cli, "add-permission", "--function-name", "e2e-cli", "--statement-id", "apigw",
		"--action", "lambda:InvokeFunction", "--principal", "apigateway.amazonaws.com",
		"--source-arn", "arn:aws:execute-api:"+testRegion+":"+testAccount+":abc123/*/GET/hello")
	if st, _ := a["Statement"].(string); code != 0 || !strings.Contains(st, `"Sid":"apigw"`) {
		t.Errorf("add-permission = %v, exit %d: %s", a, code, stderr)
	}
	a, _, code = lambdaCLI(t, cli, "get-policy", "--function-name", "e2e-cli")
	if p, _ := a["Policy"].(string); code != 0 || !strings.Contains(p, `"AWS:SourceArn":"arn:aws:execute-api:`+testRegion) {
		t.Errorf("get-policy = %v, exit %d", a, code)
	}

	if _, stderr, code := lambdaCLI(t, cli, "delete-function", "--function-name", "e2e-cli"); code != 0 {
		t.Errorf("delete-function: exit %d: %s", code, stderr)
	}
	_, stderr, code = lambdaCLI(t, cli, "get-function", "--function-name", "e2e-cli")
	if code == 0 || !strings.Contains(stderr, "(ResourceNotFoundException)") || !strings.Contains(stderr, "Function not found: "+arn) {
		t.Errorf("get-function after delete: exit %d: %s; want ResourceNotFoundException Function not found: %s", code, stderr, arn)
	}
	g.stop()
	g.expectNoErrorLogs()
}
