package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// Runner runs local functions; *Runtime is the implementation.
type Runner interface {
	Invoke(ctx context.Context, spec *Spec, payload []byte) (*Result, error)
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
	// StrictPermissions makes InvokeFunctionFrom check the function's resource policy, as AWS
	// does; without it API Gateway may invoke any local function.
	StrictPermissions bool
	Logger            *slog.Logger
}

// Invoker invokes functions by ARN or name for the data plane (it implements the
// integration package's LambdaInvoker) and runs them for the Lambda API: a function of this
// gatehouse's account and region runs on the Runner; any other is invoked through the AWS
// SDK's Lambda client at RemoteEndpoint.
type Invoker struct {
	cfg InvokerConfig
	log *slog.Logger

	mu      sync.Mutex
	clients map[string]*lambdasdk.Client // remote clients by region

	// hot holds, by function name, the decoded function and its Spec for the data plane's
	// calls, valid while the document's store revision is the one they were made from:
	// a call then reads the revision, not the document.
	hot sync.Map // string → *hotFunction

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

// InvokeFunction invokes the function functionARN names (an ARN as API Gateway integration
// URIs name it, optionally qualified with $LATEST, or a bare name) synchronously with payload.
// It returns the function's response and its X-Amz-Function-Error ("" or "Unhandled"). An
// unknown function is an error wrapping ErrFunctionNotFound. It checks no resource policy.
func (i *Invoker) InvokeFunction(ctx context.Context, functionARN string, payload []byte) ([]byte, string, error) {
	return i.invoke(ctx, functionARN, "", false, payload)
}

// InvokeFunctionFrom is InvokeFunction for API Gateway calling from sourceARN
// (arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}/{path}): with
// StrictPermissions, a local function whose resource policy does not allow that source is an
// error wrapping ErrAccessDenied.
func (i *Invoker) InvokeFunctionFrom(ctx context.Context, functionARN, sourceARN string, payload []byte) ([]byte, string, error) {
	return i.invoke(ctx, functionARN, sourceARN, true, payload)
}

func (i *Invoker) invoke(ctx context.Context, functionARN, sourceARN string, checkSource bool, payload []byte) ([]byte, string, error) {
	ref, ok := ParseFunctionRef(functionARN)
	if !ok {
		return nil, "", &NotFoundError{ARN: functionARN}
	}
	scope := i.cfg.Registry.Scope()
	if (ref.Region != "" && ref.Region != scope.Region) || (ref.AccountID != "" && ref.AccountID != scope.AccountID) {
		return i.invokeRemote(ctx, functionARN, ref, payload)
	}
	h, err := i.lookupHot(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	fn := h.fn
	if checkSource && i.cfg.StrictPermissions && !h.perms.AllowsAPIGateway(sourceARN, scope.AccountID) {
		return nil, "", &AccessDeniedError{FunctionARN: fn.Configuration.FunctionArn, SourceARN: sourceARN}
	}
	if err := i.runnable(fn); err != nil {
		return nil, "", err
	}
	res, err := i.cfg.Runner.Invoke(ctx, h.spec, payload)
	if err != nil {
		return nil, "", err
	}
	return res.Payload, res.FunctionError, nil
}

// hotFunction is a function decoded for calls, with its Spec (shared, never modified; nil
// for a runtime that does not run here).
type hotFunction struct {
	rev   int64
	fn    *Function
	spec  *Spec
	perms *Permissions // fn's resource policy, compiled
}

// lookupHot returns the local function ref names, decoded once per revision of its document.
func (i *Invoker) lookupHot(ctx context.Context, ref FunctionRef) (*hotFunction, error) {
	rev, err := i.cfg.Registry.Revision(ctx, ref.Name)
	if err != nil {
		i.hot.Delete(ref.Name)
		return nil, err
	}
	if ref.Qualifier != "" && ref.Qualifier != LatestVersion {
		return nil, &NotFoundError{ARN: i.cfg.Registry.Scope().FunctionARN(ref.Name) + ":" + ref.Qualifier}
	}
	if v, ok := i.hot.Load(ref.Name); ok {
		if h := v.(*hotFunction); h.rev == rev {
			return h, nil
		}
	}
	// The document decoded now is at rev or newer: tagging it with rev can only make a
	// later call decode it again, never keep a stale copy.
	fn, err := i.Lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	h := &hotFunction{rev: rev, fn: fn, perms: fn.Permissions()}
	if LocalRuntime(fn.Configuration.Runtime) {
		// A failure (the package missing from the code store) is not kept: the next call
		// tries again, as the code store extracts a package when it is back.
		if h.spec, err = i.Spec(fn); err != nil {
			return nil, err
		}
	}
	i.hot.Store(ref.Name, h)
	return h, nil
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
		return fmt.Errorf("invoke %s: %w: reserved concurrency is 0", fn.Configuration.FunctionName, ErrThrottled)
	}
	return nil
}

// Lookup returns the local function ref names. Only $LATEST exists (gatehouse publishes no
// versions and keeps no aliases): any other qualifier is not found.
func (i *Invoker) Lookup(ctx context.Context, ref FunctionRef) (*Function, error) {
	fn, err := i.cfg.Registry.Get(ctx, ref.Name)
	if err != nil {
		return nil, err
	}
	if ref.Qualifier != "" && ref.Qualifier != LatestVersion {
		return nil, &NotFoundError{ARN: fn.Configuration.FunctionArn + ":" + ref.Qualifier}
	}
	return fn, nil
}

// Run invokes the local function fn synchronously.
func (i *Invoker) Run(ctx context.Context, fn *Function, payload []byte) (*Result, error) {
	if err := i.runnable(fn); err != nil {
		return nil, err
	}
	spec, err := i.Spec(fn)
	if err != nil {
		return nil, err
	}
	return i.cfg.Runner.Invoke(ctx, spec, payload)
}

// RunEvent starts an asynchronous (InvocationType Event) invocation of fn: it runs in the
// background, bounded by the function's timeout, and its outcome is only logged, as Lambda
// would send it to a destination. Close waits for the ones in flight.
func (i *Invoker) RunEvent(fn *Function, payload []byte) {
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
		res, err := i.Run(ctx, fn, payload)
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

// Forget stops the processes of a deleted function.
func (i *Invoker) Forget(functionARN string) {
	if ref, ok := ParseFunctionRef(functionARN); ok {
		i.hot.Delete(ref.Name)
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
	if c.Environment != nil {
		spec.Env = c.Environment.Variables
	}
	if fn.ReservedConcurrency != nil {
		spec.Concurrency = *fn.ReservedConcurrency
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%d\x00%d\x00", c.CodeSha256, c.Runtime, c.Handler, c.Timeout, c.MemorySize, spec.Concurrency)
	keys := slices.Sorted(maps.Keys(spec.Env))
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\x00", k, spec.Env[k])
	}
	spec.Revision = hex.EncodeToString(h.Sum(nil)[:12])
	return spec, nil
}

// invokeRemote invokes a function of another account or region through the Lambda API at
// RemoteEndpoint.
func (i *Invoker) invokeRemote(ctx context.Context, functionARN string, ref FunctionRef, payload []byte) ([]byte, string, error) {
	if i.cfg.RemoteEndpoint == "" {
		return nil, "", &NotFoundError{ARN: functionARN}
	}
	region := ref.Region
	if region == "" {
		region = i.cfg.Registry.Scope().Region
	}
	out, err := i.client(region).Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String(functionARN), Payload: payload})
	if err != nil {
		var nf *lambdatypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, "", &NotFoundError{ARN: functionARN}
		}
		return nil, "", fmt.Errorf("invoke %s at %s: %w", functionARN, i.cfg.RemoteEndpoint, err)
	}
	return out.Payload, aws.ToString(out.FunctionError), nil
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
