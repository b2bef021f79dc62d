package lambda

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/internal/h1server"
)

// process is one running function process and its Runtime API listener.
type process struct {
	pool *pool
	rt   *Runtime
	spec *Spec // the revision it runs (immutable)
	cmd  *exec.Cmd
	pid  int
	srv  *h1server.Server
	ln   net.Listener

	counted   bool      // holds a place under the pool's limit; guarded by pool.mu
	idleSince time.Time // guarded by pool.mu

	mu           sync.Mutex
	initialized  bool        // it asked for its first invocation
	queued       *invocation // handed over, waiting for the process's next /next
	cur          *invocation // delivered, not yet answered
	initErr      []byte      // what it posted to /runtime/init/error
	initDeadline time.Time
	logID        string      // request id its output is tagged with: the last delivered
	capture      *invocation // the running invocation whose output is kept (Tail), or nil

	dead        atomic.Bool   // reaped
	terminating atomic.Bool   // being stopped: it takes no more invocations
	closing     atomic.Bool   // stopped by Close: its invocation ends with ErrRuntimeClosed
	wake        chan struct{} // cap 1: an invocation was queued
	stopping    chan struct{} // closed when it is being stopped
	stopOnce    sync.Once
	exited      chan struct{} // closed when it is reaped
	timer       *time.Timer   // the running invocation's timeout (or the init limit)
	started     time.Time
	outputs     sync.WaitGroup
	outR, errR  *os.File
	out, errOut stream // what drain read and logged of each
}

// stream counts what drain read from one of the process's pipes and what it logged, so that
// an invocation that keeps its output (Tail) can wait for what the function wrote before it
// answered.
type stream struct {
	read, logged atomic.Int64 // bytes
}

// countingReader counts the bytes read into s.read.
type countingReader struct {
	f *os.File
	s *stream
}

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.s.read.Add(int64(n))
	return n, err
}

// invocation is one call of a function, pooled.
type invocation struct {
	id                                string
	payload                           []byte
	traceID, clientContext, cognitoID string
	invokedARN                        string // InvokeOptions.InvokedARN
	tail                              bool   // keep its output (InvokeOptions.Tail)
	log                               []byte // its output, when tail; guarded by the process's mu

	// guarded by the process's mu
	state     invState
	deadline  time.Time     // when it times out: running, or queued on a process that took one before
	handedAt  time.Time     // when its event was handed to the process (Result.Duration)
	delivered bool          // the process took it
	abandoned bool          // the caller gave up (ctx): nobody waits for done
	reusable  bool          // it finished after its event was written: no one else holds it
	wrote     chan struct{} // closed when the event is written, for an abandoning caller
	res       Result
	err       error

	done chan struct{} // cap 1: it finished
	hdr  [7]string     // header values of the event, sliced into the response header
}

type invState uint8

const (
	invNew     invState = iota
	invQueued           // waiting for the process's /next
	invWriting          // its event is being written to the process
	invRunning          // the process has it
	invDone             // it has a result
)

var invocationPool = sync.Pool{New: func() any { return &invocation{done: make(chan struct{}, 1)} }}

func getInvocation(payload []byte, opts *InvokeOptions) *invocation {
	inv := invocationPool.Get().(*invocation)
	inv.payload = payload
	if opts != nil {
		inv.id, inv.traceID = opts.RequestID, opts.TraceID
		inv.clientContext, inv.cognitoID = opts.ClientContext, opts.CognitoIdentity
		inv.tail, inv.invokedARN = opts.Tail, opts.InvokedARN
	}
	if inv.id == "" {
		inv.id = NewUUID()
	}
	if inv.traceID == "" {
		inv.traceID = newTraceID(time.Now())
	}
	return inv
}

func putInvocation(inv *invocation) {
	done := inv.done
	select {
	case <-done:
	default:
	}
	*inv = invocation{done: done}
	invocationPool.Put(inv)
}

// maxTextBusyAttempts bounds the starts of a bootstrap that is busy (ETXTBSY).
const maxTextBusyAttempts = 20

// startProcess starts a process of spec, whose place under the limit is counted. A non-nil
// Result is the function's own failure (its bootstrap is missing or cannot be executed),
// which AWS reports as Runtime.InvalidEntrypoint.
func startProcess(p *pool, spec *Spec, requestID string) (*process, *Result, error) {
	// Reserve the process's place in the runtime's wait group before Close can wait on it.
	rt := p.rt
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return nil, nil, ErrRuntimeClosed
	}
	rt.procs.Add(1)
	rt.mu.Unlock()
	launched := false
	defer func() {
		if !launched {
			rt.procs.Done()
		}
	}()
	fail := func(err error) (*process, *Result, error) {
		return nil, nil, fmt.Errorf("lambda runtime: start function %q: %w", spec.Name, err)
	}
	dir, err := filepath.Abs(spec.CodeDir)
	if err != nil {
		return fail(err)
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	path, args := bootstrap, []string{bootstrap}
	m := rt.managed[spec.Runtime]
	if m != nil {
		// checkSpec let only an available one through.
		path = m.interpreter
		args = append(append([]string{m.interpreter}, m.flags...), m.script)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		ln.Close()
		return fail(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		ln.Close()
		outR.Close()
		outW.Close()
		return fail(err)
	}
	env := environ(spec, dir, ln.Addr().String(), p.rt.cfg.Region, m, rt.runtimeDir)
	var cmd *exec.Cmd
	for attempt := 1; ; attempt++ {
		cmd = &exec.Cmd{
			Path:        path,
			Args:        args,
			Dir:         dir,
			Env:         env,
			Stdout:      outW,
			Stderr:      errW,
			SysProcAttr: sysProcAttr(),
		}
		err = cmd.Start()
		// ETXTBSY: a process forked elsewhere in gatehouse (another function starting)
		// held a just-extracted bootstrap's write descriptor between its fork and exec.
		// It lasts microseconds; Go's own tests retry the same way (golang.org/issue/22315).
		if !errors.Is(err, syscall.ETXTBSY) || attempt == maxTextBusyAttempts {
			break
		}
		time.Sleep(time.Duration(attempt) * 5 * time.Millisecond)
	}
	outW.Close()
	errW.Close()
	if err != nil {
		ln.Close()
		outR.Close()
		errR.Close()
		var msg string
		switch {
		case errors.Is(err, fs.ErrNotExist) && m != nil:
			msg = fmt.Sprintf("Couldn't find the %s interpreter: %s", spec.Runtime, path)
		case errors.Is(err, fs.ErrNotExist):
			msg = fmt.Sprintf("Couldn't find valid bootstrap(s): [%s]", bootstrap)
		case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.ENOEXEC), errors.Is(err, syscall.EISDIR):
			msg = err.Error()
		default:
			return fail(err)
		}
		p.rt.log.Warn("lambda function cannot start", "function", spec.Name, "requestId", requestID, "error", err)
		return nil, &Result{
			Payload:       errorJSON("RequestId: "+requestID+" Error: "+msg, errorTypeInvalidEntry),
			FunctionError: functionErrorUnhandled,
		}, nil
	}

	pr := &process{
		pool:     p,
		rt:       p.rt,
		spec:     spec,
		cmd:      cmd,
		pid:      cmd.Process.Pid,
		ln:       ln,
		counted:  true,
		wake:     make(chan struct{}, 1),
		stopping: make(chan struct{}),
		exited:   make(chan struct{}),
		started:  time.Now(),
		outR:     outR,
		errR:     errR,
	}
	pr.srv = &h1server.Server{Handler: pr, ErrorLog: slog.NewLogLogger(p.rt.log.Handler(), slog.LevelWarn)}
	pr.initDeadline = pr.started.Add(p.rt.initLimit + spec.Timeout)
	pr.timer = time.AfterFunc(p.rt.initLimit+spec.Timeout, pr.onTimer)

	p.mu.Lock()
	closed := p.closed
	p.all[pr] = struct{}{}
	p.mu.Unlock()
	rt.mu.Lock()
	closed = closed || rt.closed
	rt.all[pr] = struct{}{}
	rt.mu.Unlock()
	launched = true
	pr.outputs.Add(2)
	go pr.drain(outR, &pr.out, "stdout")
	go pr.drain(errR, &pr.errOut, "stderr")
	go pr.srv.Serve(ln)
	go pr.wait()
	p.rt.log.Debug("lambda function process started", "function", spec.Name, "pid", pr.pid, "runtimeApi", ln.Addr().String(), "revision", spec.Revision)
	if closed {
		// Close ran while this one was starting: it must not outlive the runtime.
		pr.closing.Store(true)
		pr.kill()
	}
	return pr, nil, nil
}

// environ is the process environment AWS gives a function: defaults a function may
// override (PATH, LANG, TZ, LD_LIBRARY_PATH, and its managed runtime's: PYTHONPATH, ...),
// then the function's variables, then the reserved ones. Nothing is inherited from
// gatehouse's own environment. m is the function's managed runtime, nil for a custom one;
// runtimeDir holds the managed runtimes' scripts.
func environ(spec *Spec, dir, runtimeAPI, region string, m *managed, runtimeDir string) []string {
	env := map[string]string{
		"PATH":            "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LANG":            "en_US.UTF-8",
		"TZ":              ":UTC",
		"LD_LIBRARY_PATH": dir + "/lib:" + dir,
	}
	if m != nil {
		for k, v := range m.lang.env(runtimeDir, dir) {
			env[k] = v
		}
	}
	for k, v := range spec.Env {
		env[k] = v
	}
	var stream [16]byte
	rand.Read(stream[:])
	version := spec.Version
	if version == "" {
		version = LatestVersion
	}
	reserved := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME":        spec.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(spec.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + spec.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[" + version + "]" + hex.EncodeToString(stream[:]),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      region,
		"AWS_DEFAULT_REGION":              region,
		"_HANDLER":                        spec.Handler,
		"LAMBDA_TASK_ROOT":                dir,
		// AWS's is /var/runtime, where a managed runtime lives; a custom runtime brings its
		// own, in the package.
		"LAMBDA_RUNTIME_DIR": dir,
	}
	if m != nil {
		reserved["LAMBDA_RUNTIME_DIR"] = runtimeDir
		reserved["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + m.runtime
	}
	for k, v := range reserved {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// invoke hands inv to the process and waits for its outcome. delivered false means the
// process died before it took inv (inv is then free to go to another process). mine
// reports that nothing but the caller holds inv any more (it may be recycled).
func (pr *process) invoke(ctx context.Context, inv *invocation) (res *Result, delivered, mine bool, err error) {
	pr.mu.Lock()
	if pr.dead.Load() || pr.terminating.Load() {
		pr.mu.Unlock()
		pr.pool.release(pr, false)
		return nil, false, true, nil
	}
	inv.state = invQueued
	pr.queued = inv
	if pr.initialized && pr.cur == nil {
		// It answered its last invocation; if it never asks for this one (a runtime stuck
		// between invocations), the invocation times out and the process is replaced, as
		// on AWS, rather than holding every later call. Its own timeout restarts when it
		// takes the event (next).
		inv.deadline = time.Now().Add(pr.spec.Timeout)
		pr.timer.Reset(pr.spec.Timeout)
	}
	pr.mu.Unlock()
	select {
	case pr.wake <- struct{}{}:
	default:
	}

	select {
	case <-inv.done:
	case <-ctx.Done():
		pr.mu.Lock()
		switch inv.state {
		case invQueued:
			pr.queued = nil
			inv.state = invNew
			pr.mu.Unlock()
			pr.pool.release(pr, true)
			return nil, true, true, ctx.Err()
		case invWriting:
			// The event is being written from the caller's payload: wait until it is, so
			// that Invoke does not keep payload after it returns. A process that does not
			// read its event is killed at its timeout, which ends the write.
			inv.abandoned = true
			w := make(chan struct{})
			inv.wrote = w
			pr.mu.Unlock()
			<-w
			return nil, true, false, ctx.Err()
		case invRunning:
			inv.abandoned = true
			pr.mu.Unlock()
			return nil, true, false, ctx.Err()
		}
		pr.mu.Unlock()
		<-inv.done
	}
	if !inv.delivered && inv.err == nil && inv.res.Payload == nil {
		inv.state = invNew
		return nil, false, true, nil
	}
	if inv.err != nil {
		return nil, true, inv.reusable, inv.err
	}
	r := inv.res
	return &r, true, inv.reusable, nil
}

// finishLocked records inv's outcome and detaches it from the process; it reports whether
// a caller waits for it. pr.mu is held.
func (pr *process) finishLocked(inv *invocation, res Result, err error) (wanted bool) {
	if pr.cur == inv {
		pr.cur = nil
	}
	if pr.capture == inv {
		pr.capture = nil
		res.Log = inv.log
	}
	if pr.queued == inv {
		pr.queued = nil
	}
	inv.reusable = inv.state != invWriting
	inv.state = invDone
	inv.res, inv.err = res, err
	return !inv.abandoned
}

// complete ends inv after finishLocked: the process goes back to the pool first (so that a
// caller's next invocation finds it idle), then the caller is told.
func (pr *process) complete(inv *invocation, wanted, keep bool) {
	pr.pool.release(pr, keep)
	if wanted {
		inv.done <- struct{}{}
	}
}

// onTimer ends an invocation past its deadline (running, or queued on a process that does
// not ask for it), or a process still initializing after
// AWS's 10 s init limit plus the function timeout (AWS would, after its own init timeout,
// run the init again within the invocation's timeout): the process is killed.
func (pr *process) onTimer() {
	pr.mu.Lock()
	now := time.Now()
	var inv *invocation
	switch {
	case pr.cur != nil && !now.Before(pr.cur.deadline):
		inv = pr.cur
	case !pr.initialized && !now.Before(pr.initDeadline):
		inv = pr.queued // may be nil: the process is stuck in init all the same
	case pr.initialized && pr.cur == nil && pr.queued != nil && !pr.queued.deadline.IsZero() && !now.Before(pr.queued.deadline):
		inv = pr.queued // it never asked for its next invocation
	default:
		pr.mu.Unlock()
		return
	}
	wanted := false
	if inv != nil {
		wanted = pr.finishLocked(inv, timeoutResult(inv.id, pr.spec.Timeout), nil)
	}
	pr.mu.Unlock()
	pr.terminating.Store(true)
	pr.kill()
	if inv != nil {
		pr.rt.log.Warn("lambda function timed out", "function", pr.spec.Name, "requestId", inv.id, "timeout", pr.spec.Timeout)
		pr.complete(inv, wanted, false)
	} else {
		pr.rt.log.Warn("lambda function init timed out", "function", pr.spec.Name, "pid", pr.pid)
		pr.stop()
	}
}

// wait reaps the process and ends what it left behind.
func (pr *process) wait() {
	err := pr.cmd.Wait()
	killGroup(pr.pid, syscall.SIGKILL) // anything it left in its process group
	pr.timer.Stop()

	pr.mu.Lock()
	pr.dead.Store(true)
	cur, queued := pr.cur, pr.queued
	initialized, initErr := pr.initialized, pr.initErr
	var curWanted, queuedWanted bool
	closing := pr.closing.Load()
	if cur != nil {
		var cerr error
		if closing {
			cerr = ErrRuntimeClosed
		}
		curWanted = pr.finishLocked(cur, exitResult(cur.id, err), cerr)
	}
	if queued != nil {
		switch {
		case closing:
			queuedWanted = pr.finishLocked(queued, Result{}, ErrRuntimeClosed)
		case initialized:
			// It died between invocations: queued goes to another process.
			queuedWanted = pr.finishLocked(queued, Result{}, nil)
		case initErr != nil:
			queuedWanted = pr.finishLocked(queued, Result{Payload: initErr, FunctionError: functionErrorUnhandled}, nil)
		default:
			queuedWanted = pr.finishLocked(queued, exitResult(queued.id, err), nil)
		}
	}
	pr.mu.Unlock()
	pr.stop()
	close(pr.exited)

	level := slog.LevelWarn
	if pr.terminating.Load() || closing {
		level = slog.LevelDebug
	}
	pr.rt.log.Log(context.Background(), level, "lambda function process exited", "function", pr.spec.Name, "pid", pr.pid, "status", exitStatus(err))
	if cur != nil {
		pr.complete(cur, curWanted, false)
	}
	if queued != nil {
		pr.complete(queued, queuedWanted, false)
	}
	pr.pool.gone(pr)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	pr.srv.Shutdown(ctx)
	cancel()
	// Its output ends when the last holder of the pipes exits; a descendant that left the
	// process group could hold them forever, so the wait is bounded.
	drained := make(chan struct{})
	go func() {
		pr.outputs.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(2 * time.Second):
		pr.outR.Close()
		pr.errR.Close()
		<-drained
	}
	pr.outR.Close()
	pr.errR.Close()
	pr.rt.mu.Lock()
	delete(pr.rt.all, pr)
	pr.rt.mu.Unlock()
	pr.rt.procs.Done()
}

// drain logs the process's output line by line, tagged with the function and the request
// it was running, and keeps the lines of an invocation that asked for them (Tail).
func (pr *process) drain(f *os.File, st *stream, name string) {
	defer pr.outputs.Done()
	br := bufio.NewReaderSize(countingReader{f, st}, 16<<10)
	for {
		line, err := br.ReadSlice('\n')
		if n := len(line); n > 0 {
			consumed := int64(n)
			if line[n-1] == '\n' {
				line = line[:n-1]
			}
			pr.mu.Lock()
			id := pr.logID
			if c := pr.capture; c != nil {
				c.log = appendTail(c.log, line)
			}
			pr.mu.Unlock()
			pr.rt.log.LogAttrs(context.Background(), slog.LevelInfo, string(line),
				slog.String("function", pr.spec.Name), slog.String("requestId", id), slog.String("stream", name))
			st.logged.Add(consumed)
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// appendTail appends line and a newline to log, keeping about the last MaxLogTail bytes
// (between one and two times that, so that trimming is rare).
func appendTail(log, line []byte) []byte {
	if len(line) > MaxLogTail {
		line = line[len(line)-MaxLogTail:]
	}
	if len(log)+len(line)+1 > 2*MaxLogTail {
		keep := log[len(log)-min(len(log), MaxLogTail):]
		log = append(log[:0], keep...)
	}
	log = append(log, line...)
	return append(log, '\n')
}

// outputCatchUp is how long an invocation that keeps its output (Tail) waits, after the
// function answered, for drain to log what the function wrote before answering.
const outputCatchUp = 200 * time.Millisecond

// catchUpOutput waits until drain has logged everything the function wrote so far on both
// pipes (nothing unread in a pipe, nothing read but unlogged), or outputCatchUp passed.
func (pr *process) catchUpOutput() {
	deadline := time.Now().Add(outputCatchUp)
	for {
		if pr.out.read.Load() == pr.out.logged.Load() && pr.errOut.read.Load() == pr.errOut.logged.Load() &&
			pipeUnread(pr.outR) == 0 && pipeUnread(pr.errR) == 0 {
			return
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// stop makes the process take no more invocations and wakes its waiting /next.
func (pr *process) stop() {
	pr.terminating.Store(true)
	pr.stopOnce.Do(func() { close(pr.stopping) })
}

// terminate stops the process: SIGTERM to its group, SIGKILL after a grace period.
func (pr *process) terminate() {
	if pr.dead.Load() {
		return
	}
	pr.stop()
	killGroup(pr.pid, syscall.SIGTERM)
	t := time.AfterFunc(terminateGrace, pr.kill)
	go func() {
		<-pr.exited
		t.Stop()
	}()
}

// kill sends SIGKILL to the process group.
func (pr *process) kill() {
	if !pr.dead.Load() {
		killGroup(pr.pid, syscall.SIGKILL)
	}
}

func (pr *process) isDead() bool { return pr.dead.Load() || pr.terminating.Load() }

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// exitResult is AWS's answer for a process that exited during an invocation (or its init).
func exitResult(requestID string, err error) Result {
	msg := "RequestId: " + requestID + " Error: Runtime exited without providing a reason"
	var ee *exec.ExitError
	if errors.As(err, &ee) && !(ee.Exited() && ee.ExitCode() == 0) {
		msg = "RequestId: " + requestID + " Error: Runtime exited with error: " + ee.Error()
	}
	return Result{Payload: errorJSON(msg, errorTypeExit), FunctionError: functionErrorUnhandled}
}

// timeoutResult is AWS's answer for an invocation that ran past the function's timeout.
func timeoutResult(requestID string, timeout time.Duration) Result {
	msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, timeout.Seconds())
	return Result{Payload: errorJSON(msg, errorTypeTimeout), FunctionError: functionErrorUnhandled}
}

// NewUUID returns a random (version 4) UUID, the form of AWS's request ids and of Lambda's
// RevisionIds.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// newTraceID returns a new unsampled X-Ray trace header:
// Root=1-{epoch seconds, 8 hex}-{96 random bits};Parent={64 random bits};Sampled=0.
func newTraceID(now time.Time) string {
	var r [20]byte
	rand.Read(r[:])
	var sec [4]byte
	u := uint32(now.Unix())
	sec[0], sec[1], sec[2], sec[3] = byte(u>>24), byte(u>>16), byte(u>>8), byte(u)
	b := make([]byte, 0, 74)
	b = append(b, "Root=1-"...)
	b = hex.AppendEncode(b, sec[:])
	b = append(b, '-')
	b = hex.AppendEncode(b, r[:12])
	b = append(b, ";Parent="...)
	b = hex.AppendEncode(b, r[12:])
	b = append(b, ";Sampled=0"...)
	return string(b)
}
