package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// needPython skips a test when the machine has no python3 at all (the runtime then has no
// interpreter for python3.x either).
func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
}

// pyFunction writes files (path → source) to a new code directory and returns a spec of
// runtime python3.12 with handler.
func pyFunction(t *testing.T, handler string, files map[string]string) *Spec {
	t.Helper()
	spec := newSpec(t, handler)
	spec.Runtime, spec.CodeDir = "python3.12", writeCodeDir(t, files)
	return spec
}

// writeCodeDir writes files (slash-separated path → content) into a new code directory.
func writeCodeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// contextApp answers what its handler sees: the event, the context's attributes and the
// environment, with how many times the module was loaded.
const contextApp = `
import os, sys, time
LOADS = 0
LOADS += 1
PID = os.getpid()

def lambda_handler(event, context):
    cc = context.client_context
    return {
        "event": event,
        "loads": LOADS,
        "pid": PID,
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "cognito_identity_id": context.identity.cognito_identity_id,
        "cognito_identity_pool_id": context.identity.cognito_identity_pool_id,
        "client_installation_id": cc.client.installation_id if cc else None,
        "client_custom": cc.custom if cc else None,
        "client_env": cc.env if cc else None,
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "env": {k: os.environ.get(k) for k in ("AWS_EXECUTION_ENV", "PYTHONPATH", "LAMBDA_RUNTIME_DIR",
            "LAMBDA_TASK_ROOT", "_HANDLER", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_REGION", "GREETING")},
        "cwd": os.getcwd(),
        "path0": sys.path[0],
    }
`

func TestPythonEventAndContext(t *testing.T) {
	t.Parallel()
	needPython(t)
	r := newRuntime(t, RuntimeConfig{})
	spec := pyFunction(t, "app.lambda_handler", map[string]string{"app.py": contextApp})
	spec.MemoryMB, spec.Timeout = 256, 7*time.Second
	spec.Env = map[string]string{"GREETING": "hi"}
	opts := &InvokeOptions{
		RequestID:       "0b4e8a2c-6f0e-4b7e-9d3a-1c2b3d4e5f61",
		TraceID:         "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0",
		ClientContext:   `{"client":{"installation_id":"inst-1","app_title":"t"},"custom":{"k":"v"},"env":{"platform":"linux"}}`,
		CognitoIdentity: `{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`,
	}
	start := time.Now()
	res := invoke(t, r, spec, `{"a":[1,2,{"b":null}],"s":"é"}`, opts)
	if res.FunctionError != "" {
		t.Fatalf("Invoke = %s %s; want success", res.FunctionError, res.Payload)
	}
	var got map[string]any
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("answer %s: %v", res.Payload, err)
	}
	dir, _ := filepath.Abs(spec.CodeDir)
	want := map[string]any{
		"event":                    map[string]any{"a": []any{1.0, 2.0, map[string]any{"b": nil}}, "s": "é"},
		"loads":                    1.0,
		"aws_request_id":           opts.RequestID,
		"function_name":            spec.Name,
		"function_version":         "$LATEST",
		"invoked_function_arn":     spec.ARN,
		"memory_limit_in_mb":       "256", // a string, as AWS's runtime gives it
		"log_group_name":           "/aws/lambda/" + spec.Name,
		"cognito_identity_id":      "id-1",
		"cognito_identity_pool_id": "pool-1",
		"client_installation_id":   "inst-1",
		"client_custom":            map[string]any{"k": "v"},
		"client_env":               map[string]any{"platform": "linux"},
		"trace":                    opts.TraceID,
		"cwd":                      dir,
		"path0":                    dir,
	}
	for k, w := range want {
		if g, _ := json.Marshal(got[k]); string(g) != mustJSON(w) {
			t.Errorf("handler saw %s = %s; want %s", k, g, mustJSON(w))
		}
	}
	if s, _ := got["log_stream_name"].(string); !regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`).MatchString(s) {
		t.Errorf("handler saw log_stream_name = %q; want YYYY/MM/DD/[$LATEST]<hex>", s)
	}
	// The deadline is the function's 7 s timeout from when the event was handed over.
	if ms, _ := got["remaining"].(float64); ms <= 0 || ms > 7000 || time.Duration(ms)*time.Millisecond < 7*time.Second-time.Since(start)-time.Second {
		t.Errorf("handler saw get_remaining_time_in_millis() = %v; want at most 7000 and about 7000 minus the time taken", ms)
	}
	env, _ := got["env"].(map[string]any)
	wantEnv := map[string]string{
		"AWS_EXECUTION_ENV":               "AWS_Lambda_python3.12",
		"LAMBDA_RUNTIME_DIR":              r.runtimeDir,
		"PYTHONPATH":                      r.runtimeDir + ":" + dir,
		"LAMBDA_TASK_ROOT":                dir,
		"_HANDLER":                        "app.lambda_handler",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_REGION":                      "eu-west-1",
		"GREETING":                        "hi",
	}
	for k, w := range wantEnv {
		if env[k] != w {
			t.Errorf("handler saw $%s = %v; want %q", k, env[k], w)
		}
	}

	// A second invocation reuses the process: module-level code ran once. Without a client
	// context or identity, those are None (identity's attributes), as on AWS.
	res2 := invoke(t, r, spec, `null`, nil)
	var got2 map[string]any
	if err := json.Unmarshal(res2.Payload, &got2); err != nil {
		t.Fatalf("second answer %s: %v", res2.Payload, err)
	}
	if got2["loads"] != 1.0 || got2["pid"] != got["pid"] {
		t.Errorf("second invocation: loads %v pid %v; want 1 and the first one's pid %v", got2["loads"], got2["pid"], got["pid"])
	}
	if got2["event"] != nil || got2["client_custom"] != nil || got2["cognito_identity_id"] != nil {
		t.Errorf("second invocation saw event %v, client context %v, identity %v; want all None", got2["event"], got2["client_custom"], got2["cognito_identity_id"])
	}
	if tr, _ := got2["trace"].(string); !strings.HasPrefix(tr, "Root=1-") || tr == opts.TraceID {
		t.Errorf("second invocation saw _X_AMZN_TRACE_ID %q; want a new root", tr)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPythonLogging(t *testing.T) {
	t.Parallel()
	needPython(t)
	logs := &records{}
	r := newRuntime(t, RuntimeConfig{Logger: slog.New(logs)})
	spec := pyFunction(t, "app.handler", map[string]string{"app.py": `
import logging, sys
logger = logging.getLogger()
logger.setLevel(logging.INFO)
def handler(event, context):
    print("printed", event["n"])
    print("to stderr", event["n"], file=sys.stderr)
    logger.info("logged %s", event["n"])
    logging.getLogger("child").debug("not shown at INFO")
    return "ok"
`})
	line := regexp.MustCompile(`^\[INFO\]\t\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\t([0-9a-f-]{36})\tlogged (\d)$`)
	for n, id := range []string{"1b4e8a2c-6f0e-4b7e-9d3a-1c2b3d4e5f61", "2b4e8a2c-6f0e-4b7e-9d3a-1c2b3d4e5f62"} {
		invoke(t, r, spec, `{"n":`+string(rune('1'+n))+`}`, &InvokeOptions{RequestID: id})
		for _, tc := range []struct{ msg, stream string }{
			{"printed " + string(rune('1'+n)), "stdout"},
			{"to stderr " + string(rune('1'+n)), "stderr"},
		} {
			var got map[string]string
			waitFor(t, func() bool { got = logs.find(tc.msg); return got != nil })
			if got["requestId"] != id || got["stream"] != tc.stream || got["function"] != spec.Name {
				t.Errorf("log of %q = %v; want requestId %s on %s", tc.msg, got, id, tc.stream)
			}
		}
		var found bool
		waitFor(t, func() bool {
			logs.mu.Lock()
			defer logs.mu.Unlock()
			for _, m := range logs.recs {
				if g := line.FindStringSubmatch(m["msg"]); g != nil && g[2] == string(rune('1'+n)) {
					found = true
					if g[1] != id || m["requestId"] != id {
						t.Errorf("logging line %q (tagged %s); want the request id %s in it", m["msg"], m["requestId"], id)
					}
					return true
				}
			}
			return false
		})
		if !found {
			t.Errorf("no logging line for invocation %d", n+1)
		}
	}
	if logs.find("not shown at INFO") != nil {
		t.Error("a DEBUG record was logged under an INFO logger")
	}
}

func TestPythonErrors(t *testing.T) {
	t.Parallel()
	needPython(t)
	r := newRuntime(t, RuntimeConfig{})
	const okApp = "def handler(event, context):\n    return 1\n"
	for _, tc := range []struct {
		name, handler string
		files         map[string]string
		timeout       time.Duration
		wantType      string
		wantMsg       string // a regexp
		wantTrace     string // a fragment of the stack trace; "" means it is empty
	}{
		{"raises", "app.handler", map[string]string{"app.py": "def handler(event, context):\n    raise ValueError('bad value')\n"},
			0, "ValueError", `^bad value$`, `app.py", line 2, in handler`},
		{"custom exception", "app.handler", map[string]string{"app.py": "class Oops(Exception):\n    pass\ndef handler(event, context):\n    raise Oops('x')\n"},
			0, "Oops", `^x$`, `in handler`},
		{"no module", "nope.handler", map[string]string{"app.py": okApp},
			0, "Runtime.ImportModuleError", `^Unable to import module 'nope': No module named 'nope'$`, ""},
		{"import inside module fails", "app.handler", map[string]string{"app.py": "import notthere\n" + okApp},
			0, "Runtime.ImportModuleError", `^Unable to import module 'app': No module named 'notthere'$`, ""},
		{"handler missing", "app.nope", map[string]string{"app.py": okApp},
			0, "Runtime.HandlerNotFound", `^Handler 'nope' missing on module 'app'$`, ""},
		{"malformed handler", "app", map[string]string{"app.py": okApp},
			0, "Runtime.MalformedHandlerName", `^Bad handler 'app': not enough values to unpack \(expected 2, got 1\)$`, ""},
		{"syntax error", "app.handler", map[string]string{"app.py": "def handler(event, context)\n    return 1\n"},
			0, "Runtime.UserCodeSyntaxError", `^Syntax error in module 'app': .*\(app\.py, line 1\)$`, `app.py" Line 1`},
		{"module-level exception", "app.handler", map[string]string{"app.py": "raise RuntimeError('init broke')\n" + okApp},
			0, "RuntimeError", `^init broke$`, `app.py", line 1, in <module>`},
		{"not serializable", "app.handler", map[string]string{"app.py": "def handler(event, context):\n    return {'s': {1, 2}}\n"},
			0, "Runtime.MarshalError", `^Unable to marshal response: \{1, 2\} is not JSON serializable$`, ""},
		{"sys.exit", "app.handler", map[string]string{"app.py": "import sys\ndef handler(event, context):\n    sys.exit(3)\n"},
			0, "Runtime.ExitError", `^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 3$`, ""},
		{"never returns", "app.handler", map[string]string{"app.py": "import threading\ndef handler(event, context):\n    threading.Event().wait()\n"},
			time.Second, "Sandbox.Timedout", `^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := pyFunction(t, tc.handler, tc.files)
			if tc.timeout > 0 {
				spec.Timeout = tc.timeout
			}
			res := invoke(t, r, spec, `{}`, nil)
			var doc struct {
				ErrorMessage string   `json:"errorMessage"`
				ErrorType    string   `json:"errorType"`
				RequestID    *string  `json:"requestId"`
				StackTrace   []string `json:"stackTrace"`
			}
			if err := json.Unmarshal(res.Payload, &doc); err != nil {
				t.Fatalf("error document %s: %v", res.Payload, err)
			}
			if res.FunctionError != "Unhandled" || doc.ErrorType != tc.wantType || !regexp.MustCompile(tc.wantMsg).MatchString(doc.ErrorMessage) {
				t.Fatalf("Invoke = %q %s; want Unhandled, errorType %s, errorMessage matching %s", res.FunctionError, res.Payload, tc.wantType, tc.wantMsg)
			}
			if strings.HasPrefix(tc.wantType, "Runtime.Exit") || strings.HasPrefix(tc.wantType, "Sandbox.") {
				return // gatehouse's own document: errorMessage and errorType only, as AWS's
			}
			if doc.RequestID == nil || doc.StackTrace == nil {
				t.Errorf("error document %s; want requestId and stackTrace (a list) present", res.Payload)
			}
			trace := strings.Join(doc.StackTrace, "")
			if tc.wantTrace == "" && len(doc.StackTrace) != 0 || tc.wantTrace != "" && !strings.Contains(trace, tc.wantTrace) {
				t.Errorf("stackTrace = %q; want %q in it", doc.StackTrace, tc.wantTrace)
			}
			if strings.Contains(trace, "bootstrap.py") {
				t.Errorf("stackTrace = %q; want the handler's frames only", doc.StackTrace)
			}
		})
	}
}

func TestPythonPackageHandlerAndVendoredDependency(t *testing.T) {
	t.Parallel()
	needPython(t)
	r := newRuntime(t, RuntimeConfig{})
	spec := pyFunction(t, "pkg/sub/mod.handler", map[string]string{
		"pkg/__init__.py":      "",
		"pkg/sub/__init__.py":  "",
		"pkg/sub/mod.py":       "import vendored\nfrom . import helper\ndef handler(event, context):\n    return vendored.shout(helper.name())\n",
		"pkg/sub/helper.py":    "def name():\n    return 'nested'\n",
		"vendored/__init__.py": "def shout(s):\n    return s.upper() + '!'\n",
	})
	res := invoke(t, r, spec, `{}`, nil)
	if res.FunctionError != "" || string(res.Payload) != `"NESTED!"` {
		t.Errorf("Invoke = %q %s; want \"NESTED!\"", res.FunctionError, res.Payload)
	}
}

func TestPythonLargeOutput(t *testing.T) {
	t.Parallel()
	needPython(t)
	r := newRuntime(t, RuntimeConfig{})
	// 5 MB on stdout and stderr, in long and short lines: the pipes are drained while the
	// function runs, so it never blocks on them.
	spec := pyFunction(t, "app.handler", map[string]string{"app.py": `
import sys
def handler(event, context):
    sys.stdout.write("x" * (4 << 20) + "\n")
    for i in range(20000):
        print("line", i, "y" * 40, file=sys.stderr)
    return "done"
`})
	for range 2 {
		res := invoke(t, r, spec, `{}`, nil)
		if res.FunctionError != "" || string(res.Payload) != `"done"` {
			t.Fatalf("Invoke = %q %s; want \"done\"", res.FunctionError, res.Payload)
		}
	}
}

func TestPythonProcessesGoneAfterClose(t *testing.T) {
	t.Parallel()
	needPython(t)
	r, err := NewRuntime(RuntimeConfig{Logger: slog.New(slog.DiscardHandler), Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	// The function starts a child of its own too: it goes with its process group.
	spec := pyFunction(t, "app.handler", map[string]string{"app.py": `
import os, subprocess
child = subprocess.Popen(["sleep", "600"])
def handler(event, context):
    return [os.getpid(), child.pid]
`})
	res := invoke(t, r, spec, `{}`, nil)
	var pids []int
	if err := json.Unmarshal(res.Payload, &pids); err != nil || len(pids) != 2 {
		t.Fatalf("Invoke = %s; want [pid, child pid]", res.Payload)
	}
	dir := r.runtimeDir
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		waitGone(t, pid)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("runtime directory %s after Close: %v; want it removed", dir, err)
	}
}

func TestRuntimeInterpreters(t *testing.T) {
	t.Parallel()
	needPython(t)
	// Every problem of the configuration at once.
	_, err := NewRuntime(RuntimeConfig{Logger: slog.New(slog.DiscardHandler), Interpreters: map[string]string{
		"java21": "/usr/bin/java", "python3.9": "", "python3.10": "/nonexistent/python3",
	}})
	for _, w := range []string{`interpreter for "java21": not a runtime that runs with an interpreter`, `interpreter for "python3.9": empty path`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("NewRuntime(bad interpreters) = %v; want it to say %q", err, w)
		}
	}
	_, err = NewRuntime(RuntimeConfig{Logger: slog.New(slog.DiscardHandler), Interpreters: map[string]string{"python3.10": "/nonexistent/python3"}})
	if err == nil || !strings.Contains(err.Error(), "interpreter for python3.10") {
		t.Errorf("NewRuntime(missing interpreter) = %v; want it to name python3.10", err)
	}

	// A configured interpreter is resolved to its real path once, and its version logged;
	// the others keep the default.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal(err)
	}
	logs := &records{}
	r := newRuntime(t, RuntimeConfig{Logger: slog.New(logs), Interpreters: map[string]string{"python3.9": py}})
	m := r.managed["python3.9"]
	if m.interpreter == "" || !filepath.IsAbs(m.interpreter) || !regexp.MustCompile(`^3\.\d+\.\d+`).MatchString(m.version) {
		t.Errorf("python3.9 runs on %q version %q; want an absolute path and a version", m.interpreter, m.version)
	}
	var lines int
	logs.mu.Lock()
	for _, rec := range logs.recs {
		if rec["msg"] == "lambda runtime available" && strings.HasPrefix(rec["runtime"], "python3.") {
			lines++
		}
	}
	logs.mu.Unlock()
	if lines != 6 {
		t.Errorf("%d 'lambda runtime available' lines for python; want one for each of the 6 runtimes", lines)
	}
	if err := r.RuntimeAvailable("python3.13"); err != nil {
		t.Errorf("RuntimeAvailable(python3.13) = %v; want nil", err)
	}
	if err := r.RuntimeAvailable("java21"); !errors.Is(err, ErrRuntimeNotSupported) || errors.Is(err, ErrRuntimeUnavailable) {
		t.Errorf("RuntimeAvailable(java21) = %v; want ErrRuntimeNotSupported, not ErrRuntimeUnavailable", err)
	}
	// Node's bootstrap comes from another branch: until it is here, its runtimes are
	// unavailable, and say so.
	if _, statErr := fs.Stat(runtimeScripts, node.bootstrap); statErr != nil {
		if err := r.RuntimeAvailable("nodejs22.x"); !errors.Is(err, ErrRuntimeUnavailable) || !strings.Contains(err.Error(), "not available in this build") {
			t.Errorf("RuntimeAvailable(nodejs22.x) without bootstrap.js = %v; want ErrRuntimeUnavailable saying it is not in this build", err)
		}
	}
	if fi, err := os.Stat(r.runtimeDir); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o700 {
		t.Errorf("runtime directory %s has mode %v; want 0700", r.runtimeDir, fi.Mode().Perm())
	}
}

func TestRuntimeDirOfItsOwn(t *testing.T) {
	t.Parallel()
	parent := filepath.Join(t.TempDir(), "lambda", "runtime")
	stale := filepath.Join(parent, "gatehouse-lambda-runtime-123")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(parent, "not-ours")
	os.WriteFile(other, nil, 0o600)
	r, err := NewRuntime(RuntimeConfig{Logger: slog.New(slog.DiscardHandler), RuntimeDir: parent})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale runtime directory after NewRuntime: %v; want it removed", err)
	}
	if filepath.Dir(r.runtimeDir) != parent {
		t.Errorf("runtime directory %s; want it under %s", r.runtimeDir, parent)
	}
	if _, err := os.Stat(filepath.Join(r.runtimeDir, "bootstrap.py")); err != nil {
		t.Errorf("bootstrap.py in the runtime directory: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.Close(ctx)
	if _, err := os.Stat(r.runtimeDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("runtime directory after Close: %v; want it removed", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file not a runtime directory's: %v; want it kept", err)
	}
}

func TestPythonResponseTooLarge(t *testing.T) {
	t.Parallel()
	needPython(t)
	r := newRuntime(t, RuntimeConfig{})
	spec := pyFunction(t, "app.handler", map[string]string{"app.py": `
import os
PID = os.getpid()
def handler(event, context):
    if event.get("big"):
        return "x" * (7 << 20)
    return PID
`})
	res := invoke(t, r, spec, `{"big":true}`, nil)
	if res.FunctionError != "Unhandled" || !strings.Contains(string(res.Payload), "Function.ResponseSizeTooLarge") {
		t.Fatalf("Invoke(7 MB answer) = %q %.200s; want Unhandled Function.ResponseSizeTooLarge", res.FunctionError, res.Payload)
	}
	// The runtime goes on (or is replaced): the next call answers.
	res = invoke(t, r, spec, `{}`, nil)
	if res.FunctionError != "" {
		t.Errorf("Invoke after a too large answer = %q %s; want an answer", res.FunctionError, res.Payload)
	}
}
