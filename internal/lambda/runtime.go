package lambda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Spec is what the runtime needs to run one function version. CodeDir holds the unzipped
// deployment package; for provided.al2/provided.al2023 (custom runtimes) the process is
// CodeDir/bootstrap, for a managed runtime (python3.12, ...; managed_runtime.go) its
// interpreter running gatehouse's bootstrap script in CodeDir. Revision changes whenever code or configuration change: processes of
// an older revision are retired (finish their current invoke, then stop).
type Spec struct {
	Name, ARN, Revision string
	// Version is the version that runs (AWS_LAMBDA_FUNCTION_VERSION): "1", "2", ...; empty
	// means $LATEST. ARN is then qualified with it, so each version has its own processes.
	Version          string
	Runtime, Handler string // Handler is passed as _HANDLER
	CodeDir          string
	Timeout          time.Duration     // the function's timeout (AWS default 3 s)
	MemoryMB         int               // AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default 128)
	Env              map[string]string // the function's environment variables
	Concurrency      int               // max concurrent processes; 0 means RuntimeConfig.DefaultConcurrency
	// Throttle refuses an invocation beyond Concurrency at once with a *ThrottledError, as
	// AWS throttles a function at its reserved concurrency, unless InvokeOptions.Queue. The
	// invocations in flight are counted across every spec of the same Name (all the
	// function's versions), as AWS reserves per function.
	// Without it such an invocation waits for a free process until its context ends (the
	// default concurrency is this machine's limit, not an AWS one).
	Throttle bool
}

// Result is the outcome of one invocation the function itself decided (or failed).
type Result struct {
	Payload       []byte // the response, or the error JSON {"errorMessage","errorType",...}
	FunctionError string // "" on success; "Unhandled" when the function errored, timed out or crashed (X-Amz-Function-Error)
	// Duration is the function's own time, AWS's REPORT "Duration": from its event being
	// handed to it (the /next answer) to its response or error arriving. Zero when it gave
	// no answer (timed out, crashed, never started).
	Duration time.Duration
	// Log is what the function wrote (stdout and stderr, line by line, each ending in
	// '\n') while it ran this invocation: its last MaxLogTail bytes, when InvokeOptions.Tail
	// asked for it; nil otherwise.
	Log []byte
	// MaxMemoryMB is the process's peak resident memory in MB (AWS's REPORT "Max Memory
	// Used", also over the execution environment's life), when InvokeOptions.Tail asked
	// for it and the system tells (Linux); 0 otherwise.
	MaxMemoryMB int
}

// MaxLogTail is how much of an invocation's log Lambda returns with LogType Tail: "the last
// 4 KB of the execution log" (Invoke's LogResult).
const MaxLogTail = 4 << 10

// RuntimeConfig configures a Runtime. The zero value of every field has a default.
type RuntimeConfig struct {
	Region, AccountID  string
	Logger             *slog.Logger  // function stdout/stderr go here, tagged with function name and request id
	DefaultConcurrency int           // 0 means 10
	MaxResponseBytes   int           // 0 means 6 MB (AWS's synchronous limit): a larger response is a function error
	IdleTimeout        time.Duration // stop idle processes after this; 0 means 10 minutes
	// Interpreters names the interpreter of managed runtimes by AWS runtime name
	// ("python3.12" → "/usr/bin/python3.11"); a path or a command looked up on PATH. A
	// managed runtime not named uses its family's default on PATH (python3, node), when
	// there is one. See managed_runtime.go.
	Interpreters map[string]string
	// RuntimeDir is where the private runtime directory holding the managed runtimes'
	// bootstrap scripts is made (LAMBDA_RUNTIME_DIR); "" means os.TempDir(). A directory
	// given is this Runtime's alone: runtime directories a killed gatehouse left in it are
	// removed at start.
	RuntimeDir string
}

// InvokeOptions carries what AWS passes to a function besides its payload. Every field is
// optional.
type InvokeOptions struct {
	// RequestID is the invocation's id (Lambda-Runtime-Aws-Request-Id). Empty means a new
	// random UUID, as AWS makes one per invocation.
	RequestID string
	// TraceID is the X-Ray trace header (Lambda-Runtime-Trace-Id, which runtimes expose as
	// _X_AMZN_TRACE_ID), e.g. "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0".
	// Empty means a new unsampled root, as AWS sends one with every invocation.
	TraceID string
	// ClientContext is the client context JSON (the decoded X-Amz-Client-Context of Invoke);
	// sent as Lambda-Runtime-Client-Context when set.
	ClientContext string
	// CognitoIdentity is {"cognitoIdentityId":...,"cognitoIdentityPoolId":...}; sent as
	// Lambda-Runtime-Cognito-Identity when set.
	CognitoIdentity string
	// Queue makes an invocation beyond a throttling spec's Concurrency wait for a free
	// process instead of being throttled (asynchronous invocations: Lambda's event queue
	// retries throttled events).
	Queue bool
	// Tail keeps the function's output during the invocation for Result.Log (Invoke's
	// LogType Tail). Without it, the output is only logged, at no cost per invocation.
	Tail bool
	// InvokedARN is the ARN the caller named (Lambda-Runtime-Invoked-Function-Arn, the
	// context's invoked_function_arn / invokedFunctionArn): an alias's when the function was
	// invoked through the alias, although Spec.ARN is the version's. Empty means Spec.ARN.
	InvokedARN string
}

// AWS's numbers and defaults.
const (
	// defaultMaxResponseBytes is Lambda's synchronous response limit: 6 MiB plus 100 bytes, the
	// figure its error message gives ("... maximum allowed payload size (6291556 bytes).").
	defaultMaxResponseBytes   = 6291556
	defaultConcurrency        = 10
	defaultIdleTimeout        = 10 * time.Minute
	defaultFunctionTimeout    = 3 * time.Second
	defaultMemoryMB           = 128
	initLimit                 = 10 * time.Second // AWS's limit on the init phase of an on-demand function
	terminateGrace            = 500 * time.Millisecond
	maxStartAttempts          = 3 // an invocation whose process died before taking it goes to a new one
	functionErrorUnhandled    = "Unhandled"
	errorTypeExit             = "Runtime.ExitError"
	errorTypeTimeout          = "Sandbox.Timedout"
	errorTypeInvalidEntry     = "Runtime.InvalidEntrypoint"
	errorTypeResponseTooLarge = "Function.ResponseSizeTooLarge"
)

// ErrRuntimeClosed is returned by Invoke after Close, and by an invocation Close cut short.
var ErrRuntimeClosed = errors.New("lambda runtime closed")

// Runtime runs local functions as processes that speak AWS's Lambda Runtime API (version
// 2018-06-01) to gatehouse, and invokes them.
//
// Each process gets its own Runtime API listener on 127.0.0.1 (AWS_LAMBDA_RUNTIME_API is
// host:port only, so the address is what tells two processes apart): whatever arrives on a
// process's listener concerns that process's invocation and no other, with no lookup on the
// hot path, and a process cannot answer for another. The listener lives as long as the
// process. Processes run as the user gatehouse runs as, in their own process group, with an
// environment built from scratch (gatehouse's own environment, and its secrets, are not
// inherited).
//
// The processes of one function form a pool: the first invocation starts one (cold start),
// later ones reuse the most recently used idle process (LIFO, so a burst's extra processes
// go idle and are stopped after IdleTimeout), up to the function's concurrency; callers
// beyond it wait for a free process until their context ends.
type Runtime struct {
	cfg       RuntimeConfig
	log       *slog.Logger
	initLimit time.Duration // AWS's 10 s; tests shorten it

	managed    map[string]*managed // the managed runtimes by AWS name, resolved at start
	runtimeDir string              // holds their bootstrap scripts; removed by Close

	// inFlight counts, by function name, the invocations of a throttling function (reserved
	// concurrency) in flight across all its versions' pools: AWS reserves concurrency per
	// function, so version 1 and $LATEST share one reservation. string → *atomic.Int64.
	inFlight sync.Map

	mu     sync.Mutex
	pools  map[string]*pool      // by function ARN (Name when the ARN is empty)
	all    map[*process]struct{} // every process not yet reaped, evicted pools' too
	closed bool

	procs       sync.WaitGroup // every started process, until it is reaped and its output drained
	stop        chan struct{}  // closed by Close: stops the janitor
	janitorDone chan struct{}
}

// NewRuntime returns a Runtime. It starts no process and no listener: each process gets its
// Runtime API listener on 127.0.0.1:0 when it starts (see Runtime).
func NewRuntime(cfg RuntimeConfig) (*Runtime, error) {
	var problems []error
	if cfg.DefaultConcurrency < 0 {
		problems = append(problems, fmt.Errorf("default concurrency %d is negative", cfg.DefaultConcurrency))
	}
	if cfg.MaxResponseBytes < 0 {
		problems = append(problems, fmt.Errorf("max response bytes %d is negative", cfg.MaxResponseBytes))
	}
	if cfg.IdleTimeout < 0 {
		problems = append(problems, fmt.Errorf("idle timeout %v is negative", cfg.IdleTimeout))
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("lambda runtime: %w", err)
	}
	if cfg.DefaultConcurrency == 0 {
		cfg.DefaultConcurrency = defaultConcurrency
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = defaultMaxResponseBytes
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = defaultIdleTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	managed, dir, err := setupManaged(cfg.Interpreters, cfg.RuntimeDir, log)
	if err != nil {
		return nil, fmt.Errorf("lambda runtime: %w", err)
	}
	r := &Runtime{
		cfg:         cfg,
		log:         log,
		managed:     managed,
		runtimeDir:  dir,
		initLimit:   initLimit,
		pools:       make(map[string]*pool),
		all:         make(map[*process]struct{}),
		stop:        make(chan struct{}),
		janitorDone: make(chan struct{}),
	}
	go r.janitor()
	return r, nil
}

// Invoke runs spec's function on payload and returns what the function answered. Failures of
// the function — an error it reported, a crash, an init failure, a timeout, a response over
// MaxResponseBytes — are a Result with FunctionError "Unhandled" and AWS's error JSON as
// Payload (errorType Runtime.ExitError, Sandbox.Timedout, Runtime.InvalidEntrypoint,
// Function.ResponseSizeTooLarge, ...). The error is for gatehouse-side failures only: ctx
// ended (ctx.Err(); the function may still be running, and its process returns to the pool
// when it finishes or times out), the runtime is closed (ErrRuntimeClosed), the spec is
// invalid or its runtime cannot run locally (wrapping ErrRuntimeNotSupported), or the
// process could not be started for lack of resources (fork or listen failed).
//
// Invoke does not keep payload after it returns.
func (r *Runtime) Invoke(ctx context.Context, spec *Spec, payload []byte) (*Result, error) {
	return r.InvokeWith(ctx, spec, payload, nil)
}

// InvokeWith is Invoke with the request id, trace header, client context and Cognito
// identity of the invocation; opts may be nil.
func (r *Runtime) InvokeWith(ctx context.Context, spec *Spec, payload []byte, opts *InvokeOptions) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := r.poolFor(spec)
	if err != nil {
		return nil, err
	}
	queue := opts != nil && opts.Queue
	if spec.Throttle {
		n := r.reservation(spec.Name)
		if n.Add(1) > int64(spec.Concurrency) && !queue {
			n.Add(-1)
			return nil, &ThrottledError{Function: spec.Name, Reserved: spec.Concurrency}
		}
		defer n.Add(-1)
	}
	inv := getInvocation(payload, opts)
	for attempt := 1; ; attempt++ {
		pr, res, err := p.acquire(ctx, spec, inv.id, queue)
		if err != nil || res != nil {
			putInvocation(inv)
			return res, err
		}
		res, delivered, mine, err := pr.invoke(ctx, inv)
		if !delivered && attempt < maxStartAttempts {
			// The process exited between invocations (after answering its last one, say):
			// as on AWS, the invocation goes to a new execution environment.
			continue
		}
		if !delivered {
			r := exitResult(inv.id, nil)
			res = &r
		}
		if mine {
			putInvocation(inv)
		}
		return res, err
	}
}

// reservation returns the in-flight count of the function name (Runtime.inFlight).
func (r *Runtime) reservation(name string) *atomic.Int64 {
	if v, ok := r.inFlight.Load(name); ok {
		return v.(*atomic.Int64)
	}
	v, _ := r.inFlight.LoadOrStore(name, new(atomic.Int64))
	return v.(*atomic.Int64)
}

// Evict stops the processes of the function with this ARN (or name, for a spec without an
// ARN): idle ones now, busy ones when they finish their invocation. For DeleteFunction.
func (r *Runtime) Evict(arn string) {
	r.mu.Lock()
	p := r.pools[arn]
	delete(r.pools, arn)
	r.mu.Unlock()
	if p != nil {
		p.shut(false)
	}
}

// Close stops every process (SIGTERM to its process group, SIGKILL after 500 ms, or at once
// when ctx ends) and waits until each is reaped, so no zombie is left. Invocations in flight
// end with ErrRuntimeClosed. It returns ctx's error if ctx ended before every process was
// reaped (they have all been sent SIGKILL by then).
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	pools := r.pools
	r.pools = nil
	r.mu.Unlock()
	close(r.stop)
	<-r.janitorDone
	// The scripts were read when each process started; a process still running keeps
	// its open files, so the directory can go at once.
	defer os.RemoveAll(r.runtimeDir)

	for _, p := range pools {
		p.shut(true)
	}
	r.mu.Lock()
	all := make([]*process, 0, len(r.all))
	for pr := range r.all {
		all = append(all, pr)
	}
	r.mu.Unlock()
	for _, pr := range all {
		// Evicted pools' processes too.
		pr.closing.Store(true)
		pr.terminate()
	}
	done := make(chan struct{})
	go func() {
		r.procs.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	for _, pr := range all {
		pr.kill()
	}
	// SIGKILL cannot be ignored: reaping is now a matter of the kernel tearing them down.
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	return fmt.Errorf("lambda runtime close: %w", ctx.Err())
}

// poolFor returns the pool of spec's function, creating it on first use.
func (r *Runtime) poolFor(spec *Spec) (*pool, error) {
	if err := r.checkSpec(spec); err != nil {
		return nil, err
	}
	key := spec.ARN
	if key == "" {
		key = spec.Name
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrRuntimeClosed
	}
	p := r.pools[key]
	if p == nil {
		p = newPool(r, spec)
		r.pools[key] = p
	}
	return p, nil
}

// checkSpec reports every problem of spec that would keep its function from starting.
func (r *Runtime) checkSpec(spec *Spec) error {
	if spec == nil {
		return errors.New("lambda runtime: nil spec")
	}
	var problems []error
	if spec.Name == "" {
		problems = append(problems, errors.New("spec has no function name"))
	}
	if spec.CodeDir == "" {
		problems = append(problems, errors.New("spec has no code directory"))
	}
	if spec.Timeout < 0 {
		problems = append(problems, fmt.Errorf("timeout %v is negative", spec.Timeout))
	}
	if spec.MemoryMB < 0 {
		problems = append(problems, fmt.Errorf("memory size %d is negative", spec.MemoryMB))
	}
	if spec.Concurrency < 0 {
		problems = append(problems, fmt.Errorf("concurrency %d is negative", spec.Concurrency))
	}
	if err := r.RuntimeAvailable(spec.Runtime); err != nil {
		problems = append(problems, err)
	}
	if err := errors.Join(problems...); err != nil {
		return fmt.Errorf("lambda runtime: function %q: %w", spec.Name, err)
	}
	return nil
}

// janitor stops processes idle for longer than IdleTimeout.
func (r *Runtime) janitor() {
	defer close(r.janitorDone)
	every := min(max(r.cfg.IdleTimeout/4, 10*time.Millisecond), 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case now := <-t.C:
			r.mu.Lock()
			pools := make([]*pool, 0, len(r.pools))
			for _, p := range r.pools {
				pools = append(pools, p)
			}
			r.mu.Unlock()
			for _, p := range pools {
				p.reapIdle(now.Add(-r.cfg.IdleTimeout))
			}
		}
	}
}
