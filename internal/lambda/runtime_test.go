package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// fnDir holds testdata/fn built as a custom runtime's bootstrap, with aws-lambda-go.
var fnDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "gatehouse-lambda-runtime-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		fnDir = filepath.Join(dir, "fn")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		build := exec.Command(goTool, "build", "-o", filepath.Join(fnDir, "bootstrap"), "./testdata/fn")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build the test function: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
}

var specSeq atomic.Int64

// newSpec is a spec of the test function, with a name of its own.
func newSpec(t testing.TB, handler string) *Spec {
	n := specSeq.Add(1)
	name := fmt.Sprintf("fn-%d", n)
	return &Spec{
		Name:     name,
		ARN:      "arn:aws:lambda:eu-west-1:123456789012:function:" + name,
		Revision: "r1",
		Runtime:  "provided.al2023",
		Handler:  handler,
		CodeDir:  fnDir,
		Timeout:  5 * time.Second,
	}
}

// newRuntime returns a Runtime closed at the test's end, after which none of the processes
// it started may exist (not even as zombies).
func newRuntime(t testing.TB, cfg RuntimeConfig) *Runtime {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Region == "" {
		cfg.Region = "eu-west-1"
	}
	r, err := NewRuntime(cfg)
	if err != nil {
		t.Fatalf("NewRuntime: %v", err)
	}
	r.initLimit = 2 * time.Second
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		pids := r.pids()
		if err := r.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		for _, pid := range pids {
			if state := procState(pid); state != "" {
				t.Errorf("after Close, process %d is in state %q; want gone", pid, state)
			}
		}
	})
	return r
}

// pids lists the processes the runtime has not reaped.
func (r *Runtime) pids() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var pids []int
	for pr := range r.all {
		pids = append(pids, pr.pid)
	}
	return pids
}

// running reports whether a process of the runtime runs an invocation: it has taken the
// event and not answered yet.
func (r *Runtime) running() bool {
	r.mu.Lock()
	all := make([]*process, 0, len(r.all))
	for pr := range r.all {
		all = append(all, pr)
	}
	r.mu.Unlock()
	for _, pr := range all {
		pr.mu.Lock()
		busy := pr.cur != nil && pr.cur.state == invRunning
		pr.mu.Unlock()
		if busy {
			return true
		}
	}
	return false
}

// idleProcesses is how many processes wait in spec's pool for an invocation.
func (r *Runtime) idleProcesses(spec *Spec) int {
	r.mu.Lock()
	p := r.pools[spec.ARN]
	r.mu.Unlock()
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// procState is the state letter of process pid in /proc ("Z" for a zombie), or "" when
// there is no such process.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return "?"
}

// waitGone waits until process pid no longer runs (gone, or a zombie of someone else's).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	testwait.Until(t, testwait.Patient, fmt.Sprintf("process %d gone", pid), func() bool {
		s := procState(pid)
		return s == "" || s == "Z"
	})
}

// invokeDeadline bounds one invocation of a test: far past any test function's timeout plus
// its start on a loaded machine, so reaching it means the runtime hangs.
const invokeDeadline = 2 * time.Minute

func invoke(t testing.TB, r *Runtime, spec *Spec, event string, opts *InvokeOptions) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), invokeDeadline)
	defer cancel()
	res, err := r.InvokeWith(ctx, spec, []byte(event), opts)
	if err != nil {
		t.Fatalf("Invoke(%s, %s) (function timeout %v, test deadline %v): %v", spec.Name, event, spec.Timeout, invokeDeadline, err)
	}
	return res
}

type answer struct {
	PID   int    `json:"pid"`
	Child int    `json:"child"`
	Value any    `json:"value"`
	Slept int    `json:"slept"`
	Error string `json:"errorMessage"`
}

func decode(t testing.TB, res *Result) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(res.Payload, &a); err != nil {
		t.Fatalf("answer %q: %v", res.Payload, err)
	}
	return a
}

func TestInvokeColdThenWarm(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	spec := newSpec(t, "multi")

	first := invoke(t, r, spec, `{"value":"one"}`, nil)
	second := invoke(t, r, spec, `{"value":{"n":2}}`, nil)
	a, b := decode(t, first), decode(t, second)
	if first.FunctionError != "" || a.Value != "one" {
		t.Errorf("Invoke(one) = %s (FunctionError %q); want value one", first.Payload, first.FunctionError)
	}
	if fmt.Sprint(b.Value) != "map[n:2]" {
		t.Errorf("Invoke({n:2}) = %s; want value {n:2}", second.Payload)
	}
	if a.PID == 0 || a.PID != b.PID {
		t.Errorf("Invoke twice ran in processes %d and %d; want the warm one reused", a.PID, b.PID)
	}
}

func TestInvokeEnvironment(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{Region: "ap-south-2"})
	spec := newSpec(t, "multi")
	spec.MemoryMB = 256
	spec.Timeout = 7 * time.Second
	spec.Env = map[string]string{"GREETING": "hello", "TZ": "Europe/Paris", "AWS_REGION": "us-east-1"}
	opts := &InvokeOptions{
		RequestID:       "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
		TraceID:         "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
		ClientContext:   `{"custom":{"app":"demo"}}`,
		CognitoIdentity: `{"cognitoIdentityId":"eu-west-1:abc","cognitoIdentityPoolId":"eu-west-1:pool"}`,
	}
	before := time.Now()
	res := invoke(t, r, spec, `{"do":"env"}`, opts)
	var got struct {
		Env               map[string]string
		Cwd               string
		PPID              int
		RequestID         string
		FunctionARN       string
		DeadlineMs        int64
		ClientContext     map[string]string
		CognitoIdentityID string
	}
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("Invoke(env) = %s: %v", res.Payload, err)
	}
	abs, _ := filepath.Abs(fnDir)
	for _, tc := range []struct{ key, want string }{
		{"AWS_LAMBDA_FUNCTION_NAME", spec.Name},
		{"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"},
		{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"},
		{"AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + spec.Name},
		{"AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"},
		{"AWS_REGION", "ap-south-2"}, // reserved: the function's own value does not win
		{"AWS_DEFAULT_REGION", "ap-south-2"},
		{"_HANDLER", "multi"},
		{"LAMBDA_TASK_ROOT", abs},
		{"LAMBDA_RUNTIME_DIR", abs},
		{"TZ", "Europe/Paris"}, // not reserved: the function may set it
		{"LANG", "en_US.UTF-8"},
		{"PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin"},
		{"GREETING", "hello"},
		{"_X_AMZN_TRACE_ID", opts.TraceID}, // aws-lambda-go sets it from Lambda-Runtime-Trace-Id
	} {
		if v, ok := got.Env[tc.key]; !ok || v != tc.want {
			t.Errorf("environment[%s] = %q (set %v); want %q", tc.key, v, ok, tc.want)
		}
	}
	for key, pattern := range map[string]string{
		"AWS_LAMBDA_RUNTIME_API":     `^127\.0\.0\.1:\d+$`,
		"AWS_LAMBDA_LOG_STREAM_NAME": `^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`,
	} {
		if v := got.Env[key]; !regexp.MustCompile(pattern).MatchString(v) {
			t.Errorf("environment[%s] = %q; want it to match %s", key, v, pattern)
		}
	}
	if home := os.Getenv("HOME"); home != "" {
		if v, ok := got.Env["HOME"]; ok {
			t.Errorf("environment[HOME] = %q; want gatehouse's environment not inherited", v)
		}
	}
	if got.Cwd != abs {
		t.Errorf("working directory = %q; want %q", got.Cwd, abs)
	}
	if got.PPID != os.Getpid() {
		t.Errorf("parent pid = %d; want gatehouse's %d", got.PPID, os.Getpid())
	}
	if got.RequestID != opts.RequestID || got.FunctionARN != spec.ARN {
		t.Errorf("lambdacontext = request id %q, ARN %q; want %q, %q", got.RequestID, got.FunctionARN, opts.RequestID, spec.ARN)
	}
	if got.ClientContext["app"] != "demo" || got.CognitoIdentityID != "eu-west-1:abc" {
		t.Errorf("lambdacontext = client context %v, cognito id %q; want app=demo, eu-west-1:abc", got.ClientContext, got.CognitoIdentityID)
	}
	lo, hi := before.Add(spec.Timeout).UnixMilli(), time.Now().Add(spec.Timeout).UnixMilli()
	if got.DeadlineMs < lo || got.DeadlineMs > hi {
		t.Errorf("deadline = %d ms; want within [%d, %d] (now + 7 s)", got.DeadlineMs, lo, hi)
	}
}

func TestInvokeFunctionErrors(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	empty := t.TempDir()
	for _, tc := range []struct {
		name, handler, event string
		timeout              time.Duration
		codeDir              string
		wantType, wantMsg    string // wantMsg: %s is the request id
		healthy              bool   // the function serves an echo afterwards
	}{
		{name: "error", handler: "multi", event: `{"do":"error"}`, wantType: "errorString", wantMsg: "the function failed", healthy: true},
		{name: "panic", handler: "multi", event: `{"do":"panic"}`, wantType: "string", wantMsg: "the function panicked", healthy: true},
		{name: "timeout", handler: "multi", event: `{"do":"sleep","ms":3000}`, timeout: 500 * time.Millisecond,
			wantType: "Sandbox.Timedout", wantMsg: "RequestId: %s Error: Task timed out after 0.50 seconds", healthy: true},
		{name: "exit mid-invocation", handler: "multi", event: `{"do":"exit"}`,
			wantType: "Runtime.ExitError", wantMsg: "RequestId: %s Error: Runtime exited with error: exit status 2", healthy: true},
		// A 7 MB answer takes longer than the default 5 s under the race detector on a loaded
		// machine; what is checked is the size error, so the deadline is far.
		{name: "7 MB response", handler: "multi", event: `{"do":"huge","bytes":7340032}`, timeout: 60 * time.Second,
			wantType: "Function.ResponseSizeTooLarge", wantMsg: "Response payload size exceeded maximum allowed payload size (6291556 bytes).", healthy: true},
		{name: "crash at init", handler: "initcrash", event: `{}`,
			wantType: "Runtime.ExitError", wantMsg: "RequestId: %s Error: Runtime exited with error: exit status 3"},
		{name: "init error", handler: "initerror", event: `{}`, wantType: "Runtime.HandlerNotFound", wantMsg: "cannot load handler"},
		{name: "hang at init", handler: "hanginit", event: `{}`, timeout: 500 * time.Millisecond,
			wantType: "Sandbox.Timedout", wantMsg: "RequestId: %s Error: Task timed out after 0.50 seconds"},
		{name: "garbage then exit", handler: "garbage", event: `{"then":"exit"}`,
			wantType: "Runtime.ExitError", wantMsg: "RequestId: %s Error: Runtime exited with error: exit status 1"},
		{name: "garbage then hang", handler: "garbage", event: `{"then":"hang"}`, timeout: 500 * time.Millisecond,
			wantType: "Sandbox.Timedout", wantMsg: "RequestId: %s Error: Task timed out after 0.50 seconds"},
		{name: "no bootstrap", handler: "multi", event: `{}`, codeDir: empty,
			wantType: "Runtime.InvalidEntrypoint", wantMsg: "RequestId: %s Error: Couldn't find valid bootstrap(s): [" + filepath.Join(empty, "bootstrap") + "]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := newSpec(t, tc.handler)
			if tc.timeout > 0 {
				spec.Timeout = tc.timeout
			}
			if tc.codeDir != "" {
				spec.CodeDir = tc.codeDir
			}
			// Twice: a failure must leave the pool able to serve (and fail) again.
			for i := range 2 {
				id := fmt.Sprintf("%s-%d", strings.ReplaceAll(tc.name, " ", "-"), i)
				// invoke's deadline fails the test if a failing function holds its caller.
				res := invoke(t, r, spec, tc.event, &InvokeOptions{RequestID: id})
				var e messages.InvokeResponse_Error
				if err := json.Unmarshal(res.Payload, &e); err != nil {
					t.Fatalf("Invoke(%s) = %q: not error JSON: %v", tc.name, res.Payload, err)
				}
				wantMsg := tc.wantMsg
				if strings.Contains(wantMsg, "%s") {
					wantMsg = fmt.Sprintf(wantMsg, id)
				}
				if res.FunctionError != "Unhandled" || e.Type != tc.wantType || e.Message != wantMsg {
					t.Errorf("Invoke(%s) = FunctionError %q, errorType %q, errorMessage %q; want Unhandled, %q, %q",
						tc.name, res.FunctionError, e.Type, e.Message, tc.wantType, wantMsg)
				}
			}
			if tc.healthy {
				res := invoke(t, r, spec, `{"value":"after"}`, nil)
				if a := decode(t, res); res.FunctionError != "" || a.Value != "after" {
					t.Errorf("Invoke(echo) after %s = %s (%q); want value after", tc.name, res.Payload, res.FunctionError)
				}
			}
		})
	}
}

func TestRuntimeAPIErrors(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	spec := newSpec(t, "protocol")
	type reply struct {
		Status      int
		Body        string
		ContentType string
	}
	var report map[string]reply
	res := invoke(t, r, spec, `{}`, nil)
	if err := json.Unmarshal(res.Payload, &report); err != nil {
		t.Fatalf("Invoke(protocol) = %s: %v", res.Payload, err)
	}
	state := func(from, to string) string {
		return `{"errorMessage":"State transition from ` + from + ` to ` + to + ` failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}`
	}
	const invalidID = `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`
	for _, tc := range []struct {
		call       string
		wantStatus int
		wantBody   string
	}{
		{"responseBeforeNext", 403, state("Started", "InvocationResponse")},
		{"wrongID", 400, invalidID},
		{"nextWhileRunning", 403, state("Running", "Ready")},
		{"initErrorAfterInit", 403, state("Running", "InitError")},
		{"unknownPath", 404, "404 page not found\n"},
		{"wrongMethod", 405, ""},
	} {
		got := report[tc.call]
		if got.Status != tc.wantStatus || got.Body != tc.wantBody {
			t.Errorf("Runtime API %s = %d %s; want %d %s", tc.call, got.Status, got.Body, tc.wantStatus, tc.wantBody)
		}
		if tc.wantStatus == 403 || tc.wantStatus == 400 {
			if got.ContentType != "application/json" {
				t.Errorf("Runtime API %s Content-Type = %q; want application/json", tc.call, got.ContentType)
			}
		}
	}

	var second map[string]reply
	res = invoke(t, r, spec, `{}`, nil)
	if err := json.Unmarshal(res.Payload, &second); err != nil {
		t.Fatalf("Invoke(protocol) again = %s: %v", res.Payload, err)
	}
	if got := second["final"]; got.Status != 202 || got.Body != `{"status":"OK"}` {
		t.Errorf("Runtime API response = %d %s; want 202 {\"status\":\"OK\"}", got.Status, got.Body)
	}
	if got := second["again"]; got.Status != 403 && got.Status != 400 {
		t.Errorf("Runtime API second response = %d %s; want 400 or 403", got.Status, got.Body)
	}
}

func TestInvokeConcurrencyLimit(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	spec := newSpec(t, "multi")
	spec.Concurrency = 3
	const calls = 9
	var wg sync.WaitGroup
	pids := make([]int, calls)
	start := time.Now()
	for i := range calls {
		wg.Go(func() {
			pids[i] = decode(t, invoke(t, r, spec, `{"do":"sleep","ms":300}`, nil)).PID
		})
	}
	testwait.Group(t, &wg, 2*invokeDeadline, "the invocations at concurrency 3")
	elapsed := time.Since(start)
	slices.Sort(pids)
	distinct := slices.Compact(pids)
	if len(distinct) != 3 {
		t.Errorf("%d parallel invokes at concurrency 3 ran in processes %v; want 3", calls, distinct)
	}
	if elapsed < 900*time.Millisecond {
		t.Errorf("%d invokes of 300 ms at concurrency 3 took %v; want at least 900 ms (three rounds)", calls, elapsed)
	}
}

func TestInvokeWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{DefaultConcurrency: 1})
	spec := newSpec(t, "multi")
	first := make(chan *Result)
	go func() {
		res, _ := r.Invoke(context.Background(), spec, []byte(`{"do":"sleep","ms":1000}`))
		first <- res
	}()
	waitFor(t, r.running)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err := r.Invoke(ctx, spec, []byte(`{}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoke while the only process is busy = %v, %v; want context.DeadlineExceeded", res, err)
	}
	a := decode(t, testwait.Recv(t, first, invokeDeadline, "the answer of the first invocation"))
	b := decode(t, invoke(t, r, spec, `{}`, nil))
	if a.PID != b.PID {
		t.Errorf("after the wait gave up, the next invoke ran in %d; want the one process %d", b.PID, a.PID)
	}
}

func TestInvokeCancelWhileRunning(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	spec := newSpec(t, "multi")
	spec.Timeout = testwait.Patient // the 3 s sleep below must not time out
	pid := decode(t, invoke(t, r, spec, `{}`, nil)).PID

	// Cancelled once the function runs: Invoke returns then, not when the function answers
	// (so its process is still busy when Invoke returns).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := r.Invoke(ctx, spec, []byte(`{"do":"sleep","ms":3000}`))
		errc <- err
	}()
	waitFor(t, r.running)
	cancel()
	err := testwait.Recv(t, errc, invokeDeadline, "Invoke's return after its context was cancelled")
	if idle := r.idleProcesses(spec); !errors.Is(err, context.Canceled) || idle != 0 {
		t.Errorf("Invoke cancelled while the function runs = %v with %d idle processes; want context.Canceled while the function still runs", err, idle)
	}
	// The process finishes the abandoned invocation, goes back to the pool, and serves the
	// next one.
	waitFor(t, func() bool { return r.idleProcesses(spec) == 1 })
	if got := decode(t, invoke(t, r, spec, `{}`, nil)).PID; got != pid {
		t.Errorf("Invoke after a cancelled one ran in %d; want the warm %d", got, pid)
	}
}

func TestRevisionRetiresOldProcesses(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	spec := newSpec(t, "multi")
	pid1 := decode(t, invoke(t, r, spec, `{}`, nil)).PID

	v2 := *spec
	v2.Revision = "r2"
	pid2 := decode(t, invoke(t, r, &v2, `{}`, nil)).PID
	if pid2 == pid1 {
		t.Fatalf("Invoke(revision r2) ran in the r1 process %d", pid1)
	}
	waitGone(t, pid1)

	// A busy process of an old revision finishes its invocation, then stops.
	busy := make(chan answer)
	go func() { busy <- decode(t, invoke(t, r, &v2, `{"do":"sleep","ms":500}`, nil)) }()
	waitFor(t, func() bool { return r.idleProcesses(spec) == 0 })
	v3 := *spec
	v3.Revision = "r3"
	pid3 := decode(t, invoke(t, r, &v3, `{}`, nil)).PID
	if got := testwait.Recv(t, busy, invokeDeadline, "the answer of the r2 invocation in flight"); got.PID != pid2 || got.Slept != 500 {
		t.Errorf("the r2 invocation in flight = %+v; want it finished by %d", got, pid2)
	}
	if pid3 == pid2 {
		t.Errorf("Invoke(revision r3) ran in the r2 process %d", pid2)
	}
	waitGone(t, pid2)
}

func TestIdleProcessesStop(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{IdleTimeout: 200 * time.Millisecond})
	spec := newSpec(t, "multi")
	pid := decode(t, invoke(t, r, spec, `{}`, nil)).PID
	waitGone(t, pid)
	if got := decode(t, invoke(t, r, spec, `{}`, nil)).PID; got == pid {
		t.Errorf("Invoke after the idle timeout ran in the stopped process %d", pid)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	t.Parallel()
	r, err := NewRuntime(RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for range 3 {
		pids = append(pids, decode(t, invoke(t, r, newSpec(t, "multi"), `{}`, nil)).PID)
	}
	spawner := newSpec(t, "multi")
	spawned := decode(t, invoke(t, r, spawner, `{"do":"spawn"}`, nil))
	pids = append(pids, spawned.PID)
	hanging := make(chan error)
	go func() {
		_, err := r.Invoke(context.Background(), newSpec(t, "multi"), []byte(`{"do":"sleep","ms":60000}`))
		hanging <- err
	}()
	waitFor(t, func() bool { return len(r.pids()) == 5 })
	pids = r.pids()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := r.Close(ctx); err != nil {
		t.Errorf("Close = %v; want nil", err)
	}
	t.Logf("Close took %v", time.Since(start))
	if err := testwait.Recv(t, hanging, testwait.Patient, "the return of the Invoke in flight during Close"); !errors.Is(err, ErrRuntimeClosed) {
		t.Errorf("Invoke in flight during Close = %v; want ErrRuntimeClosed", err)
	}
	for _, pid := range pids {
		if s := procState(pid); s != "" {
			t.Errorf("after Close, function process %d is in state %q; want reaped", pid, s)
		}
	}
	waitGone(t, spawned.Child) // a child of the function, in its process group
	if _, err := r.Invoke(context.Background(), newSpec(t, "multi"), []byte(`{}`)); !errors.Is(err, ErrRuntimeClosed) {
		t.Errorf("Invoke after Close = %v; want ErrRuntimeClosed", err)
	}
}

// records is a slog handler that keeps what it is given.
type records struct {
	mu   sync.Mutex
	recs []map[string]string
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *records) WithGroup(string) slog.Handler            { return h }
func (h *records) Handle(_ context.Context, rec slog.Record) error {
	m := map[string]string{"msg": rec.Message}
	rec.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	h.mu.Lock()
	h.recs = append(h.recs, m)
	h.mu.Unlock()
	return nil
}

func (h *records) find(msg string) map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.recs {
		if m["msg"] == msg {
			return m
		}
	}
	return nil
}

func TestFunctionOutputIsLogged(t *testing.T) {
	t.Parallel()
	logs := &records{}
	r := newRuntime(t, RuntimeConfig{Logger: slog.New(logs)})
	spec := newSpec(t, "multi")
	const id = "5b4e8a2c-6f0e-4b7e-9d3a-1c2b3d4e5f60"
	invoke(t, r, spec, `{"do":"print"}`, &InvokeOptions{RequestID: id})
	for _, tc := range []struct{ line, stream string }{
		{"to stdout " + id, "stdout"},
		{"to stderr " + id, "stderr"},
	} {
		var got map[string]string
		waitFor(t, func() bool { got = logs.find(tc.line); return got != nil })
		if got["function"] != spec.Name || got["requestId"] != id || got["stream"] != tc.stream {
			t.Errorf("log of %q = %v; want function %s, requestId %s, stream %s", tc.line, got, spec.Name, id, tc.stream)
		}
	}
}

func TestCheckSpec(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	for _, tc := range []struct {
		name string
		spec *Spec
		want []string // fragments of the error; none means valid
	}{
		{"valid", &Spec{Name: "f", CodeDir: "/x", Runtime: "provided.al2"}, nil},
		{"nil", nil, []string{"nil spec"}},
		{"everything wrong", &Spec{Runtime: "java21", Timeout: -1, MemoryMB: -1, Concurrency: -2},
			[]string{"no function name", "no code directory", "timeout -1ns is negative", "memory size -1 is negative", "concurrency -2 is negative", `runtime not supported locally: "java21"`}},
	} {
		err := r.checkSpec(tc.spec)
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("checkSpec(%s) = %v; want nil", tc.name, err)
			}
			continue
		}
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("checkSpec(%s) = %v; want it to say %q", tc.name, err, w)
			}
		}
		if tc.spec != nil && tc.spec.Runtime == "java21" && !errors.Is(err, ErrRuntimeNotSupported) {
			t.Errorf("checkSpec(%s) = %v; want it to wrap ErrRuntimeNotSupported", tc.name, err)
		}
	}
}

func TestNewUUID(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := NewUUID()
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("NewUUID() = %q; want a new version 4 UUID", id)
		}
		seen[id] = true
	}
	now := time.Unix(0x5bef4de7, 0)
	trace := newTraceID(now)
	if !regexp.MustCompile(`^Root=1-5bef4de7-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`).MatchString(trace) {
		t.Errorf("newTraceID(%v) = %q; want Root=1-5bef4de7-{24 hex};Parent={16 hex};Sampled=0", now, trace)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testwait.Until(t, testwait.Patient, "condition", cond)
}

// BenchmarkInvokeWarm measures a warm invocation of an echo function at 32 concurrent
// callers (32 warm processes), and reports the latency's 50th and 99th percentiles.
func BenchmarkInvokeWarm(b *testing.B) { benchmarkInvokeWarm(b, 32) }

// BenchmarkInvokeWarmSerial is one caller: the round trip without queueing for the CPU.
func BenchmarkInvokeWarmSerial(b *testing.B) { benchmarkInvokeWarm(b, 1) }

func benchmarkInvokeWarm(b *testing.B, clients int) {
	r, err := NewRuntime(RuntimeConfig{Logger: slog.New(slog.DiscardHandler), Region: "eu-west-1"})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(context.Background())
	spec := newSpec(b, "multi")
	spec.Concurrency = clients
	payload := []byte(`{"value":{"path":"/hello","httpMethod":"GET","headers":{"accept":"*/*"}}}`)
	var warm sync.WaitGroup
	for range clients {
		warm.Go(func() {
			if _, err := r.Invoke(context.Background(), spec, []byte(`{"do":"sleep","ms":200}`)); err != nil {
				b.Error(err)
			}
		})
	}
	warm.Wait()

	var mu sync.Mutex
	var all []time.Duration
	b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		lat := make([]time.Duration, 0, 1024)
		for pb.Next() {
			start := time.Now()
			res, err := r.Invoke(context.Background(), spec, payload)
			lat = append(lat, time.Since(start))
			if err != nil || res.FunctionError != "" {
				b.Errorf("Invoke = %v, %v", res, err)
				return
			}
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(all) > 0 {
		slices.Sort(all)
		b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
	if n := len(r.pids()); n > clients {
		b.Errorf("%d processes for %d clients; want at most %d", n, clients, clients)
	}
}

func TestEvict(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	spec := newSpec(t, "multi")
	busy := make(chan error, 1)
	go func() {
		_, err := r.Invoke(context.Background(), spec, []byte(`{"do":"sleep","ms":60000}`))
		busy <- err
	}()
	waitFor(t, func() bool { return len(r.pids()) == 1 })
	idle := decode(t, invoke(t, r, spec, `{}`, nil)).PID

	r.Evict(spec.ARN)
	waitGone(t, idle)
	if got := decode(t, invoke(t, r, spec, `{}`, nil)).PID; got == idle {
		t.Errorf("Invoke after Evict ran in the evicted process %d", idle)
	}
	// The evicted pool's busy process still belongs to the runtime: Close stops it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pids := r.pids()
	if err := r.Close(ctx); err != nil {
		t.Errorf("Close = %v", err)
	}
	if err := testwait.Recv(t, busy, testwait.Patient, "the return of the Invoke in flight on the evicted pool"); !errors.Is(err, ErrRuntimeClosed) {
		t.Errorf("Invoke in flight on an evicted pool, after Close = %v; want ErrRuntimeClosed", err)
	}
	for _, pid := range pids {
		if s := procState(pid); s != "" {
			t.Errorf("after Close, process %d is in state %q; want reaped", pid, s)
		}
	}
}

// TestInvokeDuration: Result.Duration is the function's own time, AWS's REPORT Duration:
// at least what the handler spent, at most the whole call.
func TestInvokeDuration(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	spec := newSpec(t, "multi")
	invoke(t, r, spec, `{"value":"warm up"}`, nil)
	start := time.Now()
	res := invoke(t, r, spec, `{"do":"sleep","ms":80}`, nil)
	total := time.Since(start)
	if res.FunctionError != "" {
		t.Fatalf("Invoke(sleep 80ms) = %s (FunctionError %q)", res.Payload, res.FunctionError)
	}
	if res.Duration < 80*time.Millisecond || res.Duration > total {
		t.Errorf("Invoke(sleep 80ms).Duration = %v; want between 80ms and the call's %v", res.Duration, total)
	}
	failed := invoke(t, r, spec, `{"do":"error"}`, nil)
	if failed.FunctionError == "" || failed.Duration <= 0 {
		t.Errorf("Invoke(error) = FunctionError %q, Duration %v; want Unhandled with the time it took", failed.FunctionError, failed.Duration)
	}
}

// TestInvokeHungBetweenInvocations: a process that answered and never asks for its next
// invocation times the next one out (Sandbox.Timedout) and is replaced, instead of holding
// every later call for as long as its caller waits.
func TestInvokeHungBetweenInvocations(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	spec := newSpec(t, "hangafter")
	spec.Timeout = 500 * time.Millisecond
	first := decode(t, invoke(t, r, spec, `{}`, nil)).PID
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		res, err := r.InvokeWith(ctx, spec, []byte(`{}`), &InvokeOptions{RequestID: fmt.Sprintf("hung-%d", i)})
		cancel()
		var e messages.InvokeResponse_Error
		if err == nil {
			json.Unmarshal(res.Payload, &e)
		}
		want := fmt.Sprintf("RequestId: hung-%d Error: Task timed out after 0.50 seconds", i)
		if err != nil || e.Type != "Sandbox.Timedout" || e.Message != want {
			t.Fatalf("Invoke #%d after the process hung = %v, %+v after %v; want Sandbox.Timedout %q", i, err, e, time.Since(start), want)
		}
		// The hung process is gone; the next call gets a fresh one, which answers and hangs.
		waitGone(t, first)
		if pid := decode(t, invoke(t, r, spec, `{}`, nil)).PID; pid == first {
			t.Fatalf("Invoke after the timeout ran in the hung process %d", pid)
		} else {
			first = pid
		}
	}
}

// TestInvokeAfterRuntimeReconnects: a runtime that closed its connection while it waited on
// /next and asked again on another gets the next invocation on the live one; the closed
// /next does not swallow it until the function's timeout.
func TestInvokeAfterRuntimeReconnects(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	spec := newSpec(t, "reconnect")
	spec.Timeout = 2 * time.Second
	mark := filepath.Join(t.TempDir(), "reconnected")
	spec.Env = map[string]string{"RECONNECTED_MARK": mark}
	first := decode(t, invoke(t, r, spec, `{}`, nil)).PID
	testwait.Until(t, testwait.Patient, "the runtime closing its first /next", func() bool {
		_, err := os.Stat(mark)
		return err == nil
	})
	start := time.Now()
	res := invoke(t, r, spec, `{"value":"second"}`, nil)
	if a := decode(t, res); res.FunctionError != "" || a.Value != "second" || a.PID != first {
		t.Fatalf("Invoke after the runtime reconnected = %s (%s) after %v; want the answer of process %d", res.Payload, res.FunctionError, time.Since(start), first)
	}
}

// TestInvokeTail: with Tail, Result.Log is what the function wrote during the invocation,
// stdout and stderr; without, nothing is kept.
func TestInvokeTail(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	spec := newSpec(t, "multi")
	res := invoke(t, r, spec, `{"do":"print"}`, &InvokeOptions{RequestID: "tail-1", Tail: true})
	log := string(res.Log)
	if !strings.Contains(log, "to stdout tail-1\n") || !strings.Contains(log, "to stderr tail-1\n") {
		t.Errorf("Invoke(print, Tail).Log = %q; want both lines", log)
	}
	if res := invoke(t, r, spec, `{"do":"print"}`, &InvokeOptions{RequestID: "quiet"}); res.Log != nil {
		t.Errorf("Invoke(print) without Tail: Log = %q; want nil", res.Log)
	}
}

func TestAppendTail(t *testing.T) {
	t.Parallel()
	var log []byte
	for i := range 1000 {
		log = appendTail(log, []byte(fmt.Sprintf("line %04d", i)))
		if len(log) > 2*MaxLogTail {
			t.Fatalf("after %d lines the buffer holds %d bytes; want at most %d", i+1, len(log), 2*MaxLogTail)
		}
	}
	if !strings.HasSuffix(string(log), "line 0998\nline 0999\n") || len(log) < MaxLogTail {
		t.Errorf("appendTail kept %d bytes ending %q; want at least the last %d, ending with line 0999", len(log), log[len(log)-20:], MaxLogTail)
	}
	if got := appendTail(nil, bytes.Repeat([]byte("y"), 3*MaxLogTail)); len(got) != MaxLogTail+1 {
		t.Errorf("appendTail(one huge line) = %d bytes; want its last %d and a newline", len(got), MaxLogTail)
	}
}

// TestInvokeThrottledAtReservedConcurrency: a spec that throttles (reserved concurrency)
// refuses an invocation beyond its concurrency at once with a ThrottledError, as AWS does;
// a queued (asynchronous) one waits for the busy process instead.
func TestInvokeThrottledAtReservedConcurrency(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, RuntimeConfig{})
	spec := newSpec(t, "multi")
	spec.Concurrency, spec.Throttle = 1, true
	first := make(chan *Result)
	go func() {
		res, _ := r.Invoke(context.Background(), spec, []byte(`{"do":"sleep","ms":1500}`))
		first <- res
	}()
	waitFor(t, r.running)

	start := time.Now()
	res, err := r.Invoke(context.Background(), spec, []byte(`{}`))
	var te *ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, ErrThrottled) || te.Reserved != 1 || time.Since(start) > time.Second {
		t.Errorf("Invoke beyond reserved concurrency 1 = %v, %v after %v; want a ThrottledError at once", res, err, time.Since(start))
	}
	queued := invoke(t, r, spec, `{"value":"queued"}`, &InvokeOptions{Queue: true})
	if a := decode(t, queued); a.Value != "queued" {
		t.Errorf("queued Invoke = %s; want its answer once the process is free", queued.Payload)
	}
	testwait.Recv(t, first, invokeDeadline, "the answer of the first invocation")
	if res := invoke(t, r, spec, `{"value":"after"}`, nil); decode(t, res).Value != "after" {
		t.Errorf("Invoke once the process is free = %s; want its answer", res.Payload)
	}
}
