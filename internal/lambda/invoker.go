package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/gatehouse/gatehouse/internal/lambdacall"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// Runner runs local functions; *Runtime is the implementation. opts may be nil.
type Runner interface {
	InvokeWith(ctx context.Context, spec *Spec, payload []byte, opts *InvokeOptions) (*Result, error)
}

var _ Runner = (*Runtime)(nil)

// evicter is the optional part of a Runner that stops a deleted function's processes.
type evicter interface{ Evict(arn string) }

// InvokerConfig is what an Invoker needs.
type InvokerConfig struct {
	Registry *Registry
	Code     *CodeStore
	// Runner runs local functions; nil means none can run (invoking one is an error).
	Runner Runner
	// RemoteEndpoint is the Lambda API that functions outside this gatehouse's account and
	// region are invoked at (https://lambda.{region}.amazonaws.com for AWS itself, or another
	// gatehouse's management address); empty means such functions are not found.
	RemoteEndpoint string
	// RemoteCredentials sign the calls to RemoteEndpoint; nil sends them anonymously.
	RemoteCredentials aws.CredentialsProvider
	// StrictPermissions makes Invoke check the function's resource policy, as AWS
	// does; without it API Gateway may invoke any local function.
	StrictPermissions bool
	// Rand is the uniform draw in [0, 1) that picks the version of an alias with
	// AdditionalVersionWeights, once per invocation; nil means math/rand/v2's Float64.
	Rand   func() float64
	Logger *slog.Logger
}

// Invoker invokes functions by ARN or name for the data plane (Invoke implements the
// integration package's LambdaInvoker) and runs them for the Lambda API: a function of this
// gatehouse's account and region runs on the Runner; any other is invoked through the AWS
// SDK's Lambda client at RemoteEndpoint.
type Invoker struct {
	cfg InvokerConfig
	log *slog.Logger

	mu      sync.Mutex
	clients map[string]*lambdasdk.Client // remote clients by region

	// hot holds, by function name qualified as the call names it ("fn", "fn:3", "fn:live"),
	// the decoded versions it runs and their Specs for the data plane's calls, valid while
	// the document's store revision is the one they were made from: a call then reads the
	// revision, not the document.
	hot sync.Map // string → *hotEntry

	// Event (asynchronous) invocations run on bg and are waited for by Close.
	bg     context.Context
	stopBg context.CancelFunc
	events sync.WaitGroup
	// eventsMu orders RunEvent's Add before Close's Wait; closed refuses new ones after.
	eventsMu sync.Mutex
	closed   bool
}

// NewInvoker returns an Invoker.
func NewInvoker(cfg InvokerConfig) *Invoker {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	bg, stop := context.WithCancel(context.Background())
	return &Invoker{cfg: cfg, log: log, clients: map[string]*lambdasdk.Client{}, bg: bg, stopBg: stop}
}

// Invoke implements the data plane's integration.LambdaInvoker: it invokes the function
// in.FunctionARN names (an ARN as API Gateway integration URIs name it, or a bare name;
// either may be qualified with $LATEST, a version number or an alias, resolved by
// lookupHot) with in.Payload, for API Gateway calling from in.SourceARN
// (arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}/{path}). With
// StrictPermissions, a local function whose resource policy does not allow that source is an
// error wrapping ErrAccessDenied; an unknown function is an error wrapping
// ErrFunctionNotFound. An Event invocation is started in the background (as RunEvent) once
// the function is found and allowed, and returns an empty Result.
func (i *Invoker) Invoke(ctx context.Context, in lambdacall.Invocation) (lambdacall.Result, error) {
	return i.invoke(ctx, in)
}

func (i *Invoker) invoke(ctx context.Context, in lambdacall.Invocation) (lambdacall.Result, error) {
	ref, ok := ParseFunctionRef(in.FunctionARN)
	if !ok {
		return lambdacall.Result{}, &NotFoundError{ARN: in.FunctionARN}
	}
	scope := i.cfg.Registry.Scope()
	if (ref.Region != "" && ref.Region != scope.Region) || (ref.AccountID != "" && ref.AccountID != scope.AccountID) {
		return i.invokeRemote(ctx, in, ref)
	}
	h, err := i.lookupHot(ctx, ref)
	if err != nil {
		return lambdacall.Result{}, err
	}
	fn := h.fn
	if i.cfg.StrictPermissions && !h.perms.AllowsAPIGateway(in.SourceARN, scope.AccountID) {
		// Named as invoked: an alias's ARN, not the version it runs.
		return lambdacall.Result{}, &AccessDeniedError{FunctionARN: scope.QualifiedARN(ref.Name, ref.Qualifier), SourceARN: in.SourceARN}
	}
	if err := i.runnable(fn); err != nil {
		var te *ThrottledError
		if in.Type != lambdacall.Event || !errors.As(err, &te) {
			return lambdacall.Result{}, err
		}
		// Lambda accepts an event for a function at reserved concurrency 0 (its queue
		// retries it): accepted here too, and its outcome, throttled, is logged.
		i.runEvent(fn, func(context.Context) (*Result, error) { return nil, err })
		return lambdacall.Result{ExecutedVersion: h.version}, nil
	}
	if in.Type == lambdacall.Event {
		payload := slices.Clone(in.Payload)
		i.runEvent(fn, func(ctx context.Context) (*Result, error) {
			return i.cfg.Runner.InvokeWith(ctx, h.spec, payload, h.event)
		})
		return lambdacall.Result{ExecutedVersion: h.version}, nil
	}
	res, err := i.cfg.Runner.InvokeWith(ctx, h.spec, in.Payload, h.sync)
	if err != nil {
		return lambdacall.Result{}, err
	}
	return lambdacall.Result{Payload: res.Payload, FunctionError: res.FunctionError, ExecutedVersion: h.version}, nil
}

// hotFunction is a function as one version of it runs, decoded for calls, with its Spec
// (shared, never modified; nil for a runtime that does not run here).
type hotFunction struct {
	// fn is the function viewed as the version that runs (Qualified.Function): its
	// Configuration is that version's, so its FunctionArn is qualified for a published one.
	fn    *Function
	spec  *Spec
	perms *Permissions // the resource policy of the qualifier invoked, compiled
	// version is the version that runs ("$LATEST", "1", ...): X-Amz-Executed-Version.
	version string
	// sync and event are the options of a synchronous and an asynchronous invocation: the
	// ARN as invoked (an alias's) when it is not spec's; sync is nil when it is.
	sync, event *InvokeOptions
}

// hotEntry is one qualifier of a function, decoded once per revision of its document: the
// version it runs, or for an alias each version it may run and its routing.
type hotEntry struct {
	rev   int64
	alias *AliasConfiguration // nil for "", $LATEST or a version number
	// byVersion is every version the qualifier may run, by number; one entry unless it is
	// an alias with AdditionalVersionWeights.
	byVersion map[string]*hotFunction
	only      *hotFunction // the entry of byVersion when there is one
}

// pick returns the version one invocation runs: for a routing alias a draw of pick.
func (e *hotEntry) pick(draw func() float64) *hotFunction {
	if e.only != nil {
		return e.only
	}
	return e.byVersion[ChooseVersion(e.alias, draw)]
}

// hotKey is the hot cache's key of ref: the name, qualified as the call qualifies it.
func hotKey(ref FunctionRef) string {
	if ref.Qualifier == "" {
		return ref.Name
	}
	return ref.Name + ":" + ref.Qualifier
}

// lookupHot resolves the local function ref names (qualified or not) to the version one
// invocation runs, decoding its document once per revision. An alias with
// AdditionalVersionWeights picks its version per call with InvokerConfig.Rand; the
// hotFunction's version says which ran. An unknown function, version or alias is a
// *NotFoundError with the qualified ARN ("Function not found: arn:...:function:name:7").
func (i *Invoker) lookupHot(ctx context.Context, ref FunctionRef) (*hotFunction, error) {
	key := hotKey(ref)
	rev, err := i.cfg.Registry.Revision(ctx, ref.Name)
	if err != nil {
		i.hot.Delete(key)
		return nil, err
	}
	if v, ok := i.hot.Load(key); ok {
		if e := v.(*hotEntry); e.rev == rev {
			return e.pick(i.draw), nil
		}
	}
	// The document decoded now is at rev or newer: tagging it with rev can only make a
	// later call decode it again, never keep a stale copy.
	fn, err := i.cfg.Registry.Get(ctx, ref.Name)
	if err != nil {
		return nil, err
	}
	e, err := i.resolveEntry(fn, ref.Qualifier, rev)
	if err != nil {
		i.hot.Delete(key)
		return nil, err
	}
	i.hot.Store(key, e)
	return e.pick(i.draw), nil
}

// resolveEntry builds the hot entry of qualifier q of fn (decoded at store revision rev):
// every version q may run, with its Spec and the compiled policy of q.
func (i *Invoker) resolveEntry(fn *Function, q string, rev int64) (*hotEntry, error) {
	scope := i.cfg.Registry.Scope()
	e := &hotEntry{rev: rev, byVersion: map[string]*hotFunction{}}
	var versions []string
	if q != "" && q != LatestVersion && !IsVersionNumber(q) {
		a := fn.Alias(q)
		if a == nil {
			return nil, &NotFoundError{ARN: scope.QualifiedARN(fn.Configuration.FunctionName, q)}
		}
		e.alias = &a.Configuration
		versions = append(versions, a.Configuration.FunctionVersion)
		if rc := a.Configuration.RoutingConfig; rc != nil {
			for v := range rc.AdditionalVersionWeights {
				versions = append(versions, v)
			}
		}
	}
	var perms *Permissions
	for n := 0; n == 0 || n < len(versions); n++ {
		// For an alias, resolve it with a draw that picks versions[n]: the alias's policy
		// with that version's configuration.
		pick := func() float64 { return 1 } // never below a weight: the primary version
		if n > 0 {
			target := versions[n]
			pick = func() float64 { return 0 }
			if w := e.alias.RoutingConfig.AdditionalVersionWeights[target]; w <= 0 {
				continue // weight 0 never runs
			}
		}
		qv, err := fn.Resolve(scope, q, pick)
		if err != nil {
			return nil, err
		}
		if perms == nil {
			perms = qv.Function.Permissions()
		}
		h := &hotFunction{fn: qv.Function, perms: perms, version: qv.Version, event: &InvokeOptions{Queue: true, InvokedARN: qv.ARN}}
		if LocalRuntime(qv.Function.Configuration.Runtime) {
			// A failure (the package missing from the code store) is not kept: the next
			// call tries again, as the code store extracts a package when it is back.
			if h.spec, err = i.Spec(qv.Function); err != nil {
				return nil, err
			}
			if qv.ARN != h.spec.ARN {
				h.sync = &InvokeOptions{InvokedARN: qv.ARN}
			}
		}
		e.byVersion[qv.Version] = h
	}
	if len(e.byVersion) == 1 {
		for _, h := range e.byVersion {
			e.only = h
		}
	}
	return e, nil
}

// draw is the uniform draw in [0, 1) that picks a routing alias's version.
func (i *Invoker) draw() float64 {
	if i.cfg.Rand != nil {
		return i.cfg.Rand()
	}
	return rand.Float64()
}

// runnable says why fn cannot run here, or nil.
func (i *Invoker) runnable(fn *Function) error {
	if i.cfg.Runner == nil {
		return fmt.Errorf("invoke %s: no local runtime", fn.Configuration.FunctionName)
	}
	if !LocalRuntime(fn.Configuration.Runtime) {
		return fmt.Errorf("invoke %s: %w: %s", fn.Configuration.FunctionName, ErrRuntimeNotSupported, fn.Configuration.Runtime)
	}
	if rc := fn.ReservedConcurrency; rc != nil && *rc == 0 {
		// Spec.Concurrency 0 means the runtime's default; AWS's reserved 0 means none at all.
		return &ThrottledError{Function: fn.Configuration.FunctionName, Reserved: 0}
	}
	return nil
}

// Resolve returns the local function ref names as its qualifier resolves it for one
// invocation (Function.Resolve with InvokerConfig.Rand): the version that runs, its
// configuration and the policy of the qualifier. Run and RunEvent run Qualified.Function.
func (i *Invoker) Resolve(ctx context.Context, ref FunctionRef) (*Qualified, error) {
	fn, err := i.cfg.Registry.Get(ctx, ref.Name)
	if err != nil {
		return nil, err
	}
	return fn.Resolve(i.cfg.Registry.Scope(), ref.Qualifier, i.draw)
}

// Run invokes the local function fn synchronously.
func (i *Invoker) Run(ctx context.Context, fn *Function, payload []byte) (*Result, error) {
	return i.RunWith(ctx, fn, payload, nil)
}

// RunWith is Run with the invocation's options (its request id, Tail); opts may be nil.
func (i *Invoker) RunWith(ctx context.Context, fn *Function, payload []byte, opts *InvokeOptions) (*Result, error) {
	if err := i.runnable(fn); err != nil {
		return nil, err
	}
	spec, err := i.Spec(fn)
	if err != nil {
		return nil, err
	}
	return i.cfg.Runner.InvokeWith(ctx, spec, payload, opts)
}

// RunEvent starts an asynchronous (InvocationType Event) invocation of fn, invoked as
// invokedARN (the ARN the caller named; "" means fn's): it runs in the background, bounded
// by the function's timeout, and its outcome is only logged, as Lambda would send it to a
// destination. It waits for a place under the function's reserved concurrency instead of
// being throttled, as Lambda's event queue retries a throttled event. Close waits for the
// ones in flight.
func (i *Invoker) RunEvent(fn *Function, invokedARN string, payload []byte) {
	opts := &InvokeOptions{Queue: true, InvokedARN: invokedARN}
	i.runEvent(fn, func(ctx context.Context) (*Result, error) { return i.RunWith(ctx, fn, payload, opts) })
}

// runEvent runs an asynchronous invocation of fn in the background with run.
func (i *Invoker) runEvent(fn *Function, run func(ctx context.Context) (*Result, error)) {
	i.eventsMu.Lock()
	if i.closed {
		i.eventsMu.Unlock()
		i.log.Warn("asynchronous invocation not run: gatehouse is shutting down", "function", fn.Configuration.FunctionName)
		return
	}
	i.events.Add(1)
	i.eventsMu.Unlock()
	go func() {
		defer i.events.Done()
		timeout := time.Duration(fn.Configuration.Timeout)*time.Second + 10*time.Second
		ctx, cancel := context.WithTimeout(i.bg, timeout)
		defer cancel()
		res, err := run(ctx)
		switch {
		case err != nil:
			i.log.Error("asynchronous invocation failed", "function", fn.Configuration.FunctionName, "err", err)
		case res.FunctionError != "":
			i.log.Warn("asynchronous invocation returned a function error", "function", fn.Configuration.FunctionName, "function_error", res.FunctionError, "payload", truncate(res.Payload, 1024))
		default:
			i.log.Debug("asynchronous invocation done", "function", fn.Configuration.FunctionName)
		}
	}()
}

// Forget stops the processes of a deleted function or version (functionARN qualified with
// its number: each version has its own) and drops the function's hot entries.
func (i *Invoker) Forget(functionARN string) {
	if ref, ok := ParseFunctionRef(functionARN); ok {
		i.hot.Range(func(k, _ any) bool {
			if k == ref.Name || strings.HasPrefix(k.(string), ref.Name+":") {
				i.hot.Delete(k)
			}
			return true
		})
	}
	if e, ok := i.cfg.Runner.(evicter); ok {
		e.Evict(functionARN)
	}
}

// Close cancels the asynchronous invocations still running and waits for them until ctx ends.
// It does not close the Runner.
func (i *Invoker) Close(ctx context.Context) error {
	i.eventsMu.Lock()
	i.closed = true
	i.eventsMu.Unlock()
	i.stopBg()
	done := make(chan struct{})
	go func() { i.events.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// LocalRuntime reports whether functions of this runtime can run on this machine: the
// OS-only custom runtimes, whose deployment package's bootstrap is the process, and the
// managed runtimes (ManagedRuntime), given an interpreter (Invoker.RuntimeAvailable).
func LocalRuntime(runtime string) bool {
	return runtime != "" && customRuntime(runtime) || ManagedRuntime(runtime)
}

// runtimeChecker is the optional part of a Runner that says whether a runtime runs on it.
type runtimeChecker interface{ RuntimeAvailable(runtime string) error }

var _ runtimeChecker = (*Runtime)(nil)

// RuntimeAvailable says whether functions of runtime can run here now: nil, or an error
// wrapping ErrRuntimeNotSupported whose message says why (for a managed runtime without an
// interpreter: how to configure one). A Runner that cannot tell accepts every runtime
// LocalRuntime does.
func (i *Invoker) RuntimeAvailable(runtime string) error {
	if !LocalRuntime(runtime) {
		return fmt.Errorf("%w: %s", ErrRuntimeNotSupported, runtime)
	}
	if rc, ok := i.cfg.Runner.(runtimeChecker); ok {
		return rc.RuntimeAvailable(runtime)
	}
	return nil
}

// Spec is what the Runner needs to run fn. Its Revision changes with anything that changes
// how the function runs (code, runtime, handler, timeout, memory, environment, reserved
// concurrency), but not with its policy or tags, so a permission change keeps it warm.
func (i *Invoker) Spec(fn *Function) (*Spec, error) {
	c := &fn.Configuration
	dir, err := i.cfg.Code.Dir(fn.CodeHex())
	if err != nil {
		return nil, fmt.Errorf("code of %s: %w", c.FunctionName, err)
	}
	spec := &Spec{
		Name:     c.FunctionName,
		ARN:      c.FunctionArn,
		Runtime:  c.Runtime,
		Handler:  c.Handler,
		CodeDir:  dir,
		Timeout:  time.Duration(c.Timeout) * time.Second,
		MemoryMB: c.MemorySize,
	}
	if c.Version != "" && c.Version != LatestVersion {
		spec.Version = c.Version
	}
	if c.Environment != nil {
		spec.Env = c.Environment.Variables
	}
	if fn.ReservedConcurrency != nil {
		// Reserved concurrency is also the most the function may run: AWS throttles the
		// synchronous calls beyond it.
		spec.Concurrency, spec.Throttle = *fn.ReservedConcurrency, true
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d\x00%d\x00%d\x00", spec.Version, c.CodeSha256, c.Runtime, c.Handler, c.Timeout, c.MemorySize, spec.Concurrency)
	keys := slices.Sorted(maps.Keys(spec.Env))
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\x00", k, spec.Env[k])
	}
	spec.Revision = hex.EncodeToString(h.Sum(nil)[:12])
	return spec, nil
}

// invokeRemote invokes a function of another account or region through the Lambda API at
// RemoteEndpoint.
func (i *Invoker) invokeRemote(ctx context.Context, in lambdacall.Invocation, ref FunctionRef) (lambdacall.Result, error) {
	if i.cfg.RemoteEndpoint == "" {
		return lambdacall.Result{}, &NotFoundError{ARN: in.FunctionARN}
	}
	region := ref.Region
	if region == "" {
		region = i.cfg.Registry.Scope().Region
	}
	input := &lambdasdk.InvokeInput{FunctionName: aws.String(in.FunctionARN), Payload: in.Payload}
	if in.Type == lambdacall.Event {
		input.InvocationType = lambdatypes.InvocationTypeEvent
	}
	out, err := i.client(region).Invoke(ctx, input)
	if err != nil {
		var nf *lambdatypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return lambdacall.Result{}, &NotFoundError{ARN: in.FunctionARN}
		}
		return lambdacall.Result{}, fmt.Errorf("invoke %s at %s: %w", in.FunctionARN, i.cfg.RemoteEndpoint, err)
	}
	return lambdacall.Result{Payload: out.Payload, FunctionError: aws.ToString(out.FunctionError), ExecutedVersion: aws.ToString(out.ExecutedVersion)}, nil
}

// client returns the remote Lambda client for region.
func (i *Invoker) client(region string) *lambdasdk.Client {
	i.mu.Lock()
	defer i.mu.Unlock()
	if c, ok := i.clients[region]; ok {
		return c
	}
	opts := lambdasdk.Options{
		Region:       region,
		BaseEndpoint: aws.String(i.cfg.RemoteEndpoint),
		Credentials:  i.cfg.RemoteCredentials,
		// The function's own time is bounded by its timeout (at most 15 minutes); the SDK's
		// retries would run a non-idempotent invocation twice.
		RetryMaxAttempts: 1,
	}
	if i.cfg.RemoteCredentials == nil {
		opts.Credentials = aws.AnonymousCredentials{}
	}
	c := lambdasdk.New(opts)
	i.clients[region] = c
	return c
}

// LoadCredentialsFile returns the keys of the [default] profile of an AWS shared-credentials
// file, for RemoteCredentials. The file is read with sigv4.ParseProfiles, as
// --aws-credentials is: every problem is reported with its line.
func LoadCredentialsFile(path string) (aws.CredentialsProvider, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load credentials: %w", err)
	}
	defer f.Close()
	profiles, err := sigv4.ParseProfiles(f)
	if err != nil {
		return nil, fmt.Errorf("load credentials %s: %w", path, err)
	}
	for _, p := range profiles {
		if p.Name == "default" {
			return credentials.StaticCredentialsProvider{Value: aws.Credentials{
				AccessKeyID:     p.AccessKeyID,
				SecretAccessKey: p.SecretAccessKey,
				SessionToken:    p.SessionToken,
				Source:          "gatehouse lambda-credentials",
			}}, nil
		}
	}
	return nil, fmt.Errorf("load credentials %s: profile default has no aws_access_key_id and aws_secret_access_key", path)
}

// truncate returns at most n bytes of b as a string, for logs.
func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return strings.ToValidUTF8(string(b[:n]), "") + "..."
}
