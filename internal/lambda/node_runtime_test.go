package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The Node.js runtime's bootstrap (runtimes/node/bootstrap.js), run on the machine's node
// as the managed runtime nodejs20.x, with real handler files.

// nodeSpec writes files (name → content) into a new code directory and returns a spec that
// runs them on the managed runtime nodejs20.x with the given handler.
func nodeSpec(t testing.TB, handler string, files map[string]string) *Spec {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	spec := newSpec(t, handler)
	spec.Runtime, spec.CodeDir = "nodejs20.x", writeCodeDir(t, files)
	spec.Timeout = 10 * time.Second
	return spec
}

func TestNodeFlags(t *testing.T) {
	t.Parallel()
	both := "--no-experimental-require-module --no-experimental-detect-module"
	for _, tc := range []struct{ version, want string }{
		{"v18.20.4", ""},
		{"v20.9.0", ""},
		{"v20.10.0", "--no-experimental-detect-module"},
		{"v20.17.0", both},
		{"v20.20.2", both},
		{"v21.1.0", "--no-experimental-detect-module"},
		{"v22.0.0", both},
		{"v24.1.0", both},
		{"garbage", ""},
	} {
		if got := strings.Join(nodeFlags(tc.version), " "); got != tc.want {
			t.Errorf("nodeFlags(%q) = %q; want %q", tc.version, got, tc.want)
		}
	}
}

// nodeError is the error document of the Node.js runtime.
type nodeError struct {
	ErrorType    string   `json:"errorType"`
	ErrorMessage string   `json:"errorMessage"`
	Trace        []string `json:"trace"`
}

func decodeNodeError(t testing.TB, res *Result) nodeError {
	t.Helper()
	if res.FunctionError != functionErrorUnhandled {
		t.Errorf("FunctionError = %q; want %q (payload %s)", res.FunctionError, functionErrorUnhandled, res.Payload)
	}
	var e nodeError
	if err := json.Unmarshal(res.Payload, &e); err != nil {
		t.Fatalf("error payload %q: %v", res.Payload, err)
	}
	return e
}

func TestNodeEventAndContext(t *testing.T) {
	t.Parallel()
	spec := nodeSpec(t, "index.handler", map[string]string{"index.js": `
exports.handler = async (event, context) => ({
	event,
	awsRequestId: context.awsRequestId,
	functionName: context.functionName,
	functionVersion: context.functionVersion,
	invokedFunctionArn: context.invokedFunctionArn,
	memoryLimitInMB: context.memoryLimitInMB,
	logGroupName: context.logGroupName,
	logStreamName: context.logStreamName,
	identity: context.identity,
	clientContext: context.clientContext,
	callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
	remaining: context.getRemainingTimeInMillis(),
	traceId: process.env._X_AMZN_TRACE_ID,
	handlerEnv: process.env._HANDLER,
	cwd: process.cwd(),
	taskRoot: process.env.LAMBDA_TASK_ROOT,
	legacy: [typeof context.done, typeof context.succeed, typeof context.fail],
});
`})
	spec.MemoryMB = 256
	r := newRuntime(t, RuntimeConfig{})
	opts := &InvokeOptions{
		RequestID:       "8f507cfc-a4a6-4bc4-8b22-5c9e0a3a0b11",
		TraceID:         "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0",
		ClientContext:   `{"client":{"installation_id":"i-1"},"custom":{"k":"v"}}`,
		CognitoIdentity: `{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`,
	}
	res := invoke(t, r, spec, `{"a":[1,2],"b":"x"}`, opts)
	if res.FunctionError != "" {
		t.Fatalf("FunctionError %q: %s", res.FunctionError, res.Payload)
	}
	var got struct {
		Event                          map[string]any
		AwsRequestID                   string `json:"awsRequestId"`
		FunctionName                   string
		FunctionVersion                string
		InvokedFunctionArn             string
		MemoryLimitInMB                any
		LogGroupName                   string
		LogStreamName                  string
		Identity                       map[string]any
		ClientContext                  map[string]any
		CallbackWaitsForEmptyEventLoop bool
		Remaining                      float64
		TraceID                        string `json:"traceId"`
		HandlerEnv                     string
		Cwd                            string
		TaskRoot                       string
		Legacy                         []string
	}
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", res.Payload, err)
	}
	dir, _ := filepath.Abs(spec.CodeDir)
	for _, c := range []struct {
		field string
		got   any
		want  any
	}{
		{"event", fmt.Sprint(got.Event), fmt.Sprint(map[string]any{"a": []any{1.0, 2.0}, "b": "x"})},
		{"awsRequestId", got.AwsRequestID, opts.RequestID},
		{"functionName", got.FunctionName, spec.Name},
		{"functionVersion", got.FunctionVersion, "$LATEST"},
		{"invokedFunctionArn", got.InvokedFunctionArn, spec.ARN},
		{"memoryLimitInMB (a string, as AWS)", got.MemoryLimitInMB, "256"},
		{"logGroupName", got.LogGroupName, "/aws/lambda/" + spec.Name},
		{"logStreamName has [$LATEST]", strings.Contains(got.LogStreamName, "/[$LATEST]"), true},
		{"identity", fmt.Sprint(got.Identity), fmt.Sprint(map[string]any{"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"})},
		{"clientContext.custom.k", fmt.Sprint(got.ClientContext["custom"]), fmt.Sprint(map[string]any{"k": "v"})},
		{"callbackWaitsForEmptyEventLoop", got.CallbackWaitsForEmptyEventLoop, true},
		{"remaining in (0, timeout]", got.Remaining > 0 && got.Remaining <= float64(spec.Timeout.Milliseconds()), true},
		{"_X_AMZN_TRACE_ID", got.TraceID, opts.TraceID},
		{"_HANDLER", got.HandlerEnv, "index.handler"},
		{"cwd", got.Cwd, dir},
		{"LAMBDA_TASK_ROOT", got.TaskRoot, dir},
		{"done/succeed/fail", strings.Join(got.Legacy, ","), "function,function,function"},
	} {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("context %s = %v; want %v", c.field, c.got, c.want)
		}
	}
}

func TestNodeModuleFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		handler string
		files   map[string]string
		want    string
	}{
		{"CommonJS index.js", "index.handler", map[string]string{
			"index.js": `exports.handler = async () => "cjs";`}, `"cjs"`},
		{"CommonJS index.cjs", "index.handler", map[string]string{
			"index.cjs": `module.exports.handler = async () => "cjs-ext";`}, `"cjs-ext"`},
		{"ES module index.mjs", "index.handler", map[string]string{
			"index.mjs": `export const handler = async () => "esm";`}, `"esm"`},
		{"ES module .js with type module", "index.handler", map[string]string{
			"package.json": `{"type":"module"}`,
			"index.js":     `export const handler = async () => "esm-js";`}, `"esm-js"`},
		{"type module from a parent package.json", "src/app.handler", map[string]string{
			"package.json": `{"type":"module"}`,
			"src/app.js":   `export const handler = async () => "esm-sub";`}, `"esm-sub"`},
		{".js before .mjs", "index.handler", map[string]string{
			"index.js":  `exports.handler = async () => "js";`,
			"index.mjs": `export const handler = async () => "mjs";`}, `"js"`},
		{"dir/file.fn", "lib/handlers/api.get", map[string]string{
			"lib/handlers/api.js": `exports.get = async () => "dir";`}, `"dir"`},
		{"nested export path", "index.api.get", map[string]string{
			"index.js": `exports.api = { get: async () => "nested" };`}, `"nested"`},
		{"top-level await runs in init", "index.handler", map[string]string{
			"index.mjs": `
const v = await new Promise((r) => setTimeout(() => r("tla"), 50));
export const handler = async () => v;`}, `"tla"`},
		{"ESM imports a CommonJS .cjs", "index.handler", map[string]string{
			"util.cjs":  `module.exports = { word: "mixed" };`,
			"index.mjs": `import u from "./util.cjs"; export const handler = async () => u.word;`}, `"mixed"`},
		{"module in node_modules", "pkg.handler", map[string]string{
			"node_modules/pkg/index.js": `exports.handler = async () => "nm";`}, `"nm"`},
		{"default export", "index.default", map[string]string{
			"index.mjs": `export default async () => "default";`}, `"default"`},
		{"undefined result is null", "index.handler", map[string]string{
			"index.js": `exports.handler = async () => undefined;`}, `null`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRuntime(t, RuntimeConfig{})
			spec := nodeSpec(t, tc.handler, tc.files)
			res := invoke(t, r, spec, `{}`, nil)
			if res.FunctionError != "" || string(res.Payload) != tc.want {
				t.Errorf("Invoke(%s) = %s (%q); want %s", tc.handler, res.Payload, res.FunctionError, tc.want)
			}
		})
	}
}

func TestNodeInitOnce(t *testing.T) {
	t.Parallel()
	spec := nodeSpec(t, "index.handler", map[string]string{"index.js": `
let inits = (globalThis.inits || 0) + 1;
let calls = 0;
exports.handler = async () => ({ inits, calls: ++calls, pid: process.pid });
`})
	r := newRuntime(t, RuntimeConfig{})
	type out struct{ Inits, Calls, PID int }
	var got [2]out
	for i := range got {
		res := invoke(t, r, spec, `{}`, nil)
		if err := json.Unmarshal(res.Payload, &got[i]); err != nil {
			t.Fatalf("payload %s: %v", res.Payload, err)
		}
	}
	if got[0] != (out{1, 1, got[0].PID}) || got[1] != (out{1, 2, got[0].PID}) {
		t.Errorf("two invocations = %+v; want one init, calls 1 then 2, one process", got)
	}
}

func TestNodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		handler   string
		files     map[string]string
		errorType string
		message   string // the errorMessage's start
		trace0    string // the first trace line's start; "-" means an empty trace
	}{
		{"throw Error", "index.handler", map[string]string{
			"index.js": `exports.handler = async () => { throw new Error("boom"); };`},
			"Error", "boom", "Error: boom"},
		{"TypeError", "index.handler", map[string]string{
			"index.js": `exports.handler = async () => null.x;`},
			"TypeError", "Cannot read properties of null", "TypeError: Cannot read properties of null"},
		{"custom class with its name", "index.handler", map[string]string{
			"index.js": `class NotFound extends Error { constructor(m) { super(m); this.name = "NotFound"; } }
exports.handler = async () => { throw new NotFound("no such item"); };`},
			"NotFound", "no such item", "NotFound: no such item"},
		{"thrown string", "index.handler", map[string]string{
			"index.js": `exports.handler = async () => { throw "just a string"; };`},
			"string", "just a string", "-"},
		{"synchronous throw", "index.handler", map[string]string{
			"index.js": `exports.handler = (e, c, cb) => { throw new RangeError("sync"); };`},
			"RangeError", "sync", "RangeError: sync"},
		{"rejected promise", "index.handler", map[string]string{
			"index.js": `exports.handler = () => Promise.reject(new Error("rejected"));`},
			"Error", "rejected", "Error: rejected"},
		{"callback error", "index.handler", map[string]string{
			"index.js": `exports.handler = (e, c, cb) => cb(new Error("via callback"));`},
			"Error", "via callback", "Error: via callback"},
		{"context.fail", "index.handler", map[string]string{
			"index.js": `exports.handler = (e, c, cb) => c.fail(new Error("legacy"));`},
			"Error", "legacy", "Error: legacy"},
		{"circular response", "index.handler", map[string]string{
			"index.js": `exports.handler = async () => { const o = {}; o.self = o; return o; };`},
			"Error", "Unable to stringify response body", "Error: Unable to stringify response body"},
		{"missing module", "index.handler", map[string]string{
			"other.js": `exports.handler = async () => 1;`},
			"Runtime.ImportModuleError", "Error: Cannot find module 'index'\nRequire stack:\n- ", "Runtime.ImportModuleError: Error: Cannot find module 'index'"},
		{"module requires a missing package", "index.handler", map[string]string{
			"index.js": `require("left-pad"); exports.handler = async () => 1;`},
			"Runtime.ImportModuleError", "Error: Cannot find module 'left-pad'", "Runtime.ImportModuleError: Error: Cannot find module 'left-pad'"},
		{"handler not exported", "index.nope", map[string]string{
			"index.js": `exports.handler = async () => 1;`},
			"Runtime.HandlerNotFound", "index.nope is undefined or not exported", "Runtime.HandlerNotFound: index.nope is undefined or not exported"},
		{"handler not a function", "index.handler", map[string]string{
			"index.js": `exports.handler = 42;`},
			"Runtime.HandlerNotFound", "index.handler is not a function", "Runtime.HandlerNotFound: index.handler is not a function"},
		{"malformed handler", "index", map[string]string{
			"index.js": `exports.handler = async () => 1;`},
			"Runtime.MalformedHandlerName", "Bad handler", "Runtime.MalformedHandlerName: Bad handler"},
		{"syntax error", "index.handler", map[string]string{
			"index.js": `exports.handler = async () => { return <div/>; };`},
			"Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected token '<'", "Runtime.UserCodeSyntaxError: SyntaxError: Unexpected token '<'"},
		{"ES module syntax in a CommonJS .js", "index.handler", map[string]string{
			"index.js": `export const handler = async () => 1;`},
			"Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected token 'export'", "Runtime.UserCodeSyntaxError: SyntaxError"},
		{"init throws", "index.handler", map[string]string{
			"index.mjs": `throw new Error("cold"); export const handler = async () => 1;`},
			"Error", "cold", "Error: cold"},
		{"unhandled rejection during the invocation", "index.handler", map[string]string{
			"index.js": `exports.handler = async () => {
	Promise.reject(new Error("forgotten"));
	await new Promise((r) => setTimeout(r, 2000));
	return "too late";
};`},
			"Runtime.UnhandledPromiseRejection", "Error: forgotten", "Runtime.UnhandledPromiseRejection: Error: forgotten"},
		{"uncaught exception during the invocation", "index.handler", map[string]string{
			"index.js": `exports.handler = async () => {
	setTimeout(() => { throw new TypeError("from a timer"); }, 10);
	await new Promise((r) => setTimeout(r, 2000));
	return "too late";
};`},
			"TypeError", "from a timer", "TypeError: from a timer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRuntime(t, RuntimeConfig{})
			spec := nodeSpec(t, tc.handler, tc.files)
			got := decodeNodeError(t, invoke(t, r, spec, `{}`, nil))
			if got.ErrorType != tc.errorType || !strings.HasPrefix(got.ErrorMessage, tc.message) {
				t.Errorf("error = %s %q; want %s %q...", got.ErrorType, got.ErrorMessage, tc.errorType, tc.message)
			}
			switch {
			case tc.trace0 == "-":
				if len(got.Trace) != 0 {
					t.Errorf("trace = %q; want empty", got.Trace)
				}
			case len(got.Trace) == 0 || !strings.HasPrefix(got.Trace[0], tc.trace0):
				t.Errorf("trace = %q; want it to start with %q", got.Trace, tc.trace0)
			}
		})
	}
}

// After an uncaught error the process exits (as AWS's runtime does); the next invocation
// gets a new one.
func TestNodeUnhandledRejectionEndsProcess(t *testing.T) {
	t.Parallel()
	spec := nodeSpec(t, "index.handler", map[string]string{"index.js": `
exports.handler = async (e) => {
	if (e.fail) {
		Promise.reject(new Error("forgotten"));
		await new Promise((r) => setTimeout(r, 2000));
	}
	return process.pid;
};`})
	r := newRuntime(t, RuntimeConfig{})
	first := invoke(t, r, spec, `{}`, nil)
	if got := decodeNodeError(t, invoke(t, r, spec, `{"fail":true}`, nil)); got.ErrorType != "Runtime.UnhandledPromiseRejection" {
		t.Fatalf("errorType = %q; want Runtime.UnhandledPromiseRejection", got.ErrorType)
	}
	var pid int
	json.Unmarshal(first.Payload, &pid)
	waitGone(t, pid)
	again := invoke(t, r, spec, `{}`, nil)
	if again.FunctionError != "" || string(again.Payload) == string(first.Payload) {
		t.Errorf("after the crash Invoke = %s (%q); want a new process's pid (first was %s)", again.Payload, again.FunctionError, first.Payload)
	}
}

func TestNodeCallbackWaitsForEmptyEventLoop(t *testing.T) {
	t.Parallel()
	const timer = 600 * time.Millisecond
	for _, tc := range []struct {
		name    string
		code    string
		wait    bool // the answer comes after the timer fired
		payload string
	}{
		{"default true: the answer waits for the timer", `
exports.handler = (e, c, cb) => { setTimeout(() => { globalThis.fired = true; }, 600); cb(null, "answer"); };`, true, `"answer"`},
		{"false: the answer is sent at once", `
exports.handler = (e, c, cb) => { c.callbackWaitsForEmptyEventLoop = false; setTimeout(() => {}, 600); cb(null, "answer"); };`, false, `"answer"`},
		{"true with nothing pending: at once", `
exports.handler = (e, c, cb) => cb(null, "answer");`, false, `"answer"`},
		{"async handler does not wait", `
exports.handler = async () => { setTimeout(() => {}, 600); return "answer"; };`, false, `"answer"`},
		{"callback never called: null once the loop is empty", `
exports.handler = (e, c, cb) => { setTimeout(() => {}, 600); };`, true, `null`},
		{"context.succeed answers at once", `
exports.handler = (e, c) => { setTimeout(() => {}, 600); c.succeed("answer"); };`, false, `"answer"`},
		{"context.done answers at once", `
exports.handler = (e, c) => { setTimeout(() => {}, 600); c.done(null, "answer"); };`, false, `"answer"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRuntime(t, RuntimeConfig{})
			spec := nodeSpec(t, "index.handler", map[string]string{"index.js": tc.code})
			invoke(t, r, spec, `{"warm":true}`, nil) // the process's start is no part of the measure
			res := invoke(t, r, spec, `{}`, nil)
			if res.FunctionError != "" || string(res.Payload) != tc.payload {
				t.Fatalf("Invoke = %s (%q); want %s", res.Payload, res.FunctionError, tc.payload)
			}
			if waited := res.Duration >= timer; waited != tc.wait {
				t.Errorf("Duration = %v; want it past the %v timer: %v", res.Duration, timer, tc.wait)
			}
		})
	}
}

func TestNodeTimeout(t *testing.T) {
	t.Parallel()
	spec := nodeSpec(t, "index.handler", map[string]string{"index.js": `
exports.handler = async () => new Promise(() => { setInterval(() => {}, 1000); });`})
	spec.Timeout = time.Second
	r := newRuntime(t, RuntimeConfig{})
	got := decodeNodeError(t, invoke(t, r, spec, `{}`, nil))
	if got.ErrorType != errorTypeTimeout || !strings.Contains(got.ErrorMessage, "Task timed out after 1.00 seconds") {
		t.Errorf("error = %s %q; want %s, Task timed out after 1.00 seconds", got.ErrorType, got.ErrorMessage, errorTypeTimeout)
	}
}

func TestNodeProcessExit(t *testing.T) {
	t.Parallel()
	spec := nodeSpec(t, "index.handler", map[string]string{"index.js": `
exports.handler = async () => { process.exit(3); };`})
	r := newRuntime(t, RuntimeConfig{})
	got := decodeNodeError(t, invoke(t, r, spec, `{}`, nil))
	if got.ErrorType != errorTypeExit || !strings.Contains(got.ErrorMessage, "Runtime exited with error: exit status 3") {
		t.Errorf("error = %s %q; want %s, exit status 3", got.ErrorType, got.ErrorMessage, errorTypeExit)
	}
}

func TestNodeConsoleLogs(t *testing.T) {
	t.Parallel()
	logs := &records{}
	r := newRuntime(t, RuntimeConfig{Logger: slog.New(logs)})
	spec := nodeSpec(t, "index.handler", map[string]string{"index.js": `
console.log("at init");
exports.handler = async () => {
	console.log("hello %s %d", "world", 42);
	console.info("info", { a: 1 });
	console.warn("warn");
	console.error("error");
	console.debug("debug");
	console.log("two\nlines");
	return "ok";
};`})
	const id = "0d0c3b4a-2f6b-4a52-9a29-d3f5b3b1c7aa"
	invoke(t, r, spec, `{}`, &InvokeOptions{RequestID: id})
	stamp := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`
	for _, want := range []string{
		stamp + "\tundefined\tINFO\tat init",
		stamp + "\t" + id + "\tINFO\thello world 42",
		stamp + "\t" + id + "\tINFO\tinfo { a: 1 }",
		stamp + "\t" + id + "\tWARN\twarn",
		stamp + "\t" + id + "\tERROR\terror",
		stamp + "\t" + id + "\tDEBUG\tdebug",
		stamp + "\t" + id + "\tINFO\ttwo\rlines",
	} {
		re := regexp.MustCompile("^" + want + "$")
		waitFor(t, func() bool {
			logs.mu.Lock()
			defer logs.mu.Unlock()
			for _, m := range logs.recs {
				if re.MatchString(m["msg"]) && m["function"] == spec.Name {
					return true
				}
			}
			return false
		})
	}
}

func TestNodeLargeOutput(t *testing.T) {
	t.Parallel()
	spec := nodeSpec(t, "index.handler", map[string]string{"index.js": `
exports.handler = async () => {
	const line = "x".repeat(1023) + "\n";
	process.stdout.write(line.repeat(5 * 1024));
	console.log("y".repeat(1 << 20));
	return "done";
};`})
	r := newRuntime(t, RuntimeConfig{})
	for i := 0; i < 2; i++ {
		res := invoke(t, r, spec, `{}`, nil)
		if res.FunctionError != "" || string(res.Payload) != `"done"` {
			t.Fatalf("Invoke %d = %s (%q); want \"done\"", i, res.Payload, res.FunctionError)
		}
	}
}

// Close leaves no node process behind: neither the function's, nor one it spawned, nor one
// hanging in its handler.
func TestNodeCloseLeavesNoProcess(t *testing.T) {
	t.Parallel()
	r, err := NewRuntime(RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	spawner := nodeSpec(t, "index.handler", map[string]string{"index.js": `
const { spawn } = require("node:child_process");
exports.handler = async (e) => {
	if (e.hang) { await new Promise(() => setInterval(() => {}, 1000)); }
	const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
	return { pid: process.pid, child: child.pid };
};`})
	spawned := decode(t, invoke(t, r, spawner, `{}`, nil))
	if spawned.PID == 0 || spawned.Child == 0 {
		t.Fatalf("answer %+v; want the pids of the function and its child", spawned)
	}
	go r.Invoke(context.Background(), spawner, []byte(`{"hang":true}`))
	waitFor(t, r.running) // the same process, reused, now hangs in its handler
	pids := r.pids()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Errorf("Close = %v; want nil", err)
	}
	for _, pid := range append(pids, spawned.Child) {
		waitGone(t, pid)
	}
}

// An answer over the 6 MB limit is Function.ResponseSizeTooLarge, and the same process
// answers the next call.
func TestNodeResponseTooLarge(t *testing.T) {
	t.Parallel()
	spec := nodeSpec(t, "index.handler", map[string]string{"index.js": `
exports.handler = async (e) => e.big ? "x".repeat(7 << 20) : process.pid;`})
	r := newRuntime(t, RuntimeConfig{})
	first := invoke(t, r, spec, `{}`, nil)
	got := decodeNodeError(t, invoke(t, r, spec, `{"big":true}`, nil))
	if got.ErrorType != errorTypeResponseTooLarge {
		t.Fatalf("Invoke(7 MB answer) errorType = %q; want %s", got.ErrorType, errorTypeResponseTooLarge)
	}
	again := invoke(t, r, spec, `{}`, nil)
	if again.FunctionError != "" || string(again.Payload) != string(first.Payload) {
		t.Errorf("Invoke after a too large answer = %s (%q); want %s, from the same process", again.Payload, again.FunctionError, first.Payload)
	}
}

// A handler's error is logged as AWS's runtime logs it, with the request id.
func TestNodeErrorIsLogged(t *testing.T) {
	t.Parallel()
	logs := &records{}
	r := newRuntime(t, RuntimeConfig{Logger: slog.New(logs)})
	spec := nodeSpec(t, "index.handler", map[string]string{"index.js": `
exports.handler = async () => { throw new Error("boom"); };`})
	const id = "3c1e6f0a-9b7d-4c2e-8f5a-6d4b2a1c0e9f"
	invoke(t, r, spec, `{}`, &InvokeOptions{RequestID: id})
	re := regexp.MustCompile(`^\S+\t` + id + `\tERROR\tInvoke Error \t\{"errorType":"Error","errorMessage":"boom","stack":\["Error: boom",`)
	waitFor(t, func() bool {
		logs.mu.Lock()
		defer logs.mu.Unlock()
		for _, m := range logs.recs {
			if re.MatchString(m["msg"]) {
				return true
			}
		}
		return false
	})
}
