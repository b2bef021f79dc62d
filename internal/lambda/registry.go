package lambda

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/iampolicy"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Sentinel errors of the registry and the invoker. Errors wrapping ErrFunctionNotFound also
// implement FunctionNotFound() bool, and those wrapping ErrAccessDenied AccessDenied() bool
// (see the package documentation).
var (
	ErrFunctionNotFound = errors.New("function not found")
	ErrAccessDenied     = errors.New("access denied")
	// ErrFunctionExists: CreateFunction of a name that is taken.
	ErrFunctionExists = errors.New("function already exists")
	// ErrRevisionMismatch: the caller's RevisionId is not the function's current one.
	ErrRevisionMismatch = errors.New("revision id does not match")
	// ErrRuntimeNotSupported: the function's runtime cannot run locally (only the OS-only
	// custom runtimes, whose zip's bootstrap is the process, and the managed runtimes with
	// an interpreter can; see managed_runtime.go).
	ErrRuntimeNotSupported = errors.New("runtime not supported locally")
	// ErrThrottled: the function's reserved concurrency is 0, which AWS uses to stop a
	// function: every invocation is throttled (TooManyRequestsException, Reason
	// ReservedFunctionConcurrentInvocationLimitExceeded).
	ErrThrottled = errors.New("function throttled")
)

// NotFoundError is a function (or version) that does not exist; ARN names it as AWS's message
// does ("Function not found: arn:aws:lambda:...").
type NotFoundError struct{ ARN string }

func (e *NotFoundError) Error() string          { return "Function not found: " + e.ARN }
func (e *NotFoundError) Unwrap() error          { return ErrFunctionNotFound }
func (e *NotFoundError) FunctionNotFound() bool { return true }

// AccessDeniedError is an invocation the function's resource policy does not allow.
type AccessDeniedError struct{ FunctionARN, SourceARN string }

func (e *AccessDeniedError) Error() string {
	return fmt.Sprintf("the resource policy of %s does not allow apigateway.amazonaws.com to invoke it from %s", e.FunctionARN, e.SourceARN)
}
func (e *AccessDeniedError) Unwrap() error      { return ErrAccessDenied }
func (e *AccessDeniedError) AccessDenied() bool { return true }

// Scope is the account and region this gatehouse presents itself as: its local functions'
// ARNs carry them.
type Scope struct {
	AccountID string
	Region    string
}

// FunctionARN is the unqualified ARN of the function name in this scope.
func (s Scope) FunctionARN(name string) string {
	return arn.Lambda(s.Region, s.AccountID, name)
}

// LastModifiedLayout is FunctionConfiguration.LastModified's format, as Lambda answers it
// ("2024-05-01T12:34:56.789+0000").
const LastModifiedLayout = "2006-01-02T15:04:05.000-0700"

// Lambda's defaults for an attribute CreateFunction leaves out (the API reference of
// CreateFunction).
const (
	DefaultTimeout    = 3   // seconds
	DefaultMemorySize = 128 // MB
	DefaultEphemeral  = 512 // MB of /tmp
	LatestVersion     = "$LATEST"
)

// FunctionConfiguration is Lambda's FunctionConfiguration shape, with its wire names (the
// botocore lambda 2015-03-31 model). Attributes gatehouse does not model (VPC, layers, file
// systems, KMS, images) are absent rather than empty, as Lambda leaves them out.
type FunctionConfiguration struct {
	FunctionName         string                `json:"FunctionName"`
	FunctionArn          string                `json:"FunctionArn"`
	Runtime              string                `json:"Runtime,omitempty"`
	Role                 string                `json:"Role"`
	Handler              string                `json:"Handler,omitempty"`
	CodeSize             int64                 `json:"CodeSize"`
	Description          string                `json:"Description"`
	Timeout              int                   `json:"Timeout"`
	MemorySize           int                   `json:"MemorySize"`
	LastModified         string                `json:"LastModified"`
	CodeSha256           string                `json:"CodeSha256"`
	Version              string                `json:"Version"`
	Environment          *Environment          `json:"Environment,omitempty"`
	TracingConfig        TracingConfig         `json:"TracingConfig"`
	RevisionId           string                `json:"RevisionId"`
	State                string                `json:"State"`
	LastUpdateStatus     string                `json:"LastUpdateStatus"`
	PackageType          string                `json:"PackageType"`
	Architectures        []string              `json:"Architectures"`
	EphemeralStorage     EphemeralStorage      `json:"EphemeralStorage"`
	SnapStart            SnapStart             `json:"SnapStart"`
	RuntimeVersionConfig *RuntimeVersionConfig `json:"RuntimeVersionConfig,omitempty"`
	LoggingConfig        LoggingConfig         `json:"LoggingConfig"`
	DeadLetterConfig     *DeadLetterConfig     `json:"DeadLetterConfig,omitempty"`
	KMSKeyArn            string                `json:"KMSKeyArn,omitempty"`
}

// DeadLetterConfig is where Lambda would send failed asynchronous invocations (an SQS queue
// or SNS topic ARN). gatehouse stores and answers it; it sends nothing there.
type DeadLetterConfig struct {
	TargetArn string `json:"TargetArn"`
}

// Environment is the function's environment variables (EnvironmentResponse on the wire).
type Environment struct {
	Variables map[string]string `json:"Variables"`
}

// TracingConfig is X-Ray tracing: "PassThrough" (Lambda's default) or "Active".
type TracingConfig struct {
	Mode string `json:"Mode"`
}

// EphemeralStorage is the size of /tmp in MB (512 to 10240).
type EphemeralStorage struct {
	Size int `json:"Size"`
}

// SnapStart is SnapStartResponse: "None"/"Off" for every function gatehouse runs.
type SnapStart struct {
	ApplyOn            string `json:"ApplyOn"`
	OptimizationStatus string `json:"OptimizationStatus,omitempty"`
}

// RuntimeVersionConfig names the runtime version a function runs on.
type RuntimeVersionConfig struct {
	RuntimeVersionArn string `json:"RuntimeVersionArn,omitempty"`
}

// LoggingConfig is where and how the function's logs go. gatehouse writes them to its own
// log; the log group is reported as Lambda names it by default.
type LoggingConfig struct {
	LogFormat           string `json:"LogFormat,omitempty"`
	ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
	SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
	LogGroup            string `json:"LogGroup,omitempty"`
}

// Function is the stored document of one function: its configuration, its resource policy,
// its tags and its reserved concurrency. Key: {account}/{region}/lambda/functions/{name}.
type Function struct {
	Configuration FunctionConfiguration `json:"Configuration"`
	// Policy is the resource policy's statements, in the order they were added.
	Policy []Statement       `json:"Policy,omitempty"`
	Tags   map[string]string `json:"Tags,omitempty"`
	// ReservedConcurrency is PutFunctionConcurrency's value; nil when unreserved.
	ReservedConcurrency *int `json:"ReservedConcurrency,omitempty"`
}

// CodeHex is the hex SHA-256 of the function's zip: the name of its files in the code store.
func (f *Function) CodeHex() string {
	b, err := base64.StdEncoding.DecodeString(f.Configuration.CodeSha256)
	if err != nil {
		return ""
	}
	return hex.EncodeToString(b)
}

// Statement is one statement of a function's resource policy, as GetPolicy shows it.
type Statement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal Principal                    `json:"Principal"`
	Action    string                       `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// Principal is a statement's principal: "*", {"Service": "apigateway.amazonaws.com"} or
// {"AWS": "arn:aws:iam::123456789012:root"}.
type Principal struct {
	Service string
	AWS     string
}

// NewPrincipal is the principal AddPermission's Principal names: an AWS service
// ("apigateway.amazonaws.com"), an account id (as its root ARN), an ARN, or "*".
func NewPrincipal(p string) Principal {
	switch {
	case p == "*":
		return Principal{}
	case arn.IsAccountID(p):
		return Principal{AWS: arn.IAMRoot(p)}
	case strings.HasPrefix(p, "arn:"):
		return Principal{AWS: p}
	default:
		return Principal{Service: p}
	}
}

func (p Principal) MarshalJSON() ([]byte, error) {
	switch {
	case p.Service != "":
		return json.Marshal(map[string]string{"Service": p.Service})
	case p.AWS != "":
		return json.Marshal(map[string]string{"AWS": p.AWS})
	default:
		return []byte(`"*"`), nil
	}
}

func (p *Principal) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*p = Principal{}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*p = Principal{Service: m["Service"], AWS: m["AWS"]}
	return nil
}

// PolicyDocument is the resource policy as GetPolicy returns it (a JSON string on the wire).
type PolicyDocument struct {
	Version   string      `json:"Version"`
	ID        string      `json:"Id"`
	Statement []Statement `json:"Statement"`
}

// PolicyDocument returns the function's resource policy, or nil when it has no statement.
func (f *Function) PolicyDocument() *PolicyDocument {
	if len(f.Policy) == 0 {
		return nil
	}
	return &PolicyDocument{Version: "2012-10-17", ID: "default", Statement: f.Policy}
}

// AllowsAPIGateway reports whether the resource policy lets API Gateway invoke the function
// from sourceARN (arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}/{path}) in
// account; see Permissions.AllowsAPIGateway. It compiles the policy on each call: the
// invoker keeps the compiled Permissions of the functions it calls.
func (f *Function) AllowsAPIGateway(sourceARN, account string) bool {
	return f.Permissions().AllowsAPIGateway(sourceARN, account)
}

// Permissions is a function's resource policy compiled for evaluation by iampolicy.
type Permissions struct {
	// statements are compiled one by one, so that one iampolicy cannot read (a document
	// stored by an older gatehouse) allows nothing but does not disable the others. They
	// are AddPermission's Allow statements, so evaluating them apart is evaluating them
	// together.
	statements []*iampolicy.Policy
}

// Permissions compiles the function's resource policy. Each statement is evaluated with
// Resource "*": the invoker has already resolved the function the call names, and
// gatehouse runs only $LATEST, so a statement for one of the function's versions or
// aliases counts for it too (AWS would hold it to that qualifier).
func (f *Function) Permissions() *Permissions {
	p := &Permissions{}
	for _, st := range f.Policy {
		st.Resource = "*"
		doc, err := json.Marshal(PolicyDocument{Version: iampolicy.Version2012, Statement: []Statement{st}})
		if err != nil {
			continue
		}
		if pol, err := iampolicy.Parse(doc); err == nil {
			p.statements = append(p.statements, pol)
		}
	}
	return p
}

// apiGateway is the service principal API Gateway invokes functions as.
const apiGateway = "apigateway.amazonaws.com"

// AllowsAPIGateway reports whether the policy lets API Gateway invoke the function from
// sourceARN in account: iampolicy's verdict on lambda:InvokeFunction by the service
// principal apigateway.amazonaws.com with the condition keys aws:SourceArn and
// aws:SourceAccount. So an Allow statement for lambda:InvokeFunction (or lambda:*, *)
// whose principal is apigateway.amazonaws.com (or *), whose ArnLike AWS:SourceArn
// condition, if any, matches sourceARN with IAM's wildcards (* any run of characters
// within the ARN's part, ? one), and whose StringEquals AWS:SourceAccount condition, if
// any, names account, allows it; an explicit deny in any statement refuses it.
func (p *Permissions) AllowsAPIGateway(sourceARN, account string) bool {
	r := &iampolicy.Request{
		Action:    "lambda:InvokeFunction",
		Resource:  "*",
		Principal: iampolicy.Principal{Service: apiGateway},
		Conditions: map[string][]string{
			"aws:sourcearn":     {sourceARN},
			"aws:sourceaccount": {account},
		},
	}
	allowed := false
	for _, st := range p.statements {
		switch st.Evaluate(r) {
		case iampolicy.ExplicitDeny:
			return false
		case iampolicy.Allow:
			allowed = true
		}
	}
	return allowed
}

// WildcardMatch matches s against an IAM pattern: * is any run of characters (also none,
// also across "/" and ":"), ? exactly one; everything else literally.
func WildcardMatch(pattern, s string) bool { return iampolicy.Match(pattern, s, false) }

// FunctionRef is a function named the ways Lambda accepts: "name", "name:qualifier",
// "123456789012:function:name[:qualifier]" or
// "arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]". Region and AccountID
// are empty when the reference does not give them.
type FunctionRef struct {
	Name, Qualifier, Region, AccountID string
}

// ParseFunctionRef parses a function reference; ok is false when it is none of Lambda's forms.
func ParseFunctionRef(s string) (ref FunctionRef, ok bool) {
	parts := strings.Split(s, ":")
	hasQualifier := false
	switch {
	case parts[0] == "arn":
		a, err := arn.Parse(s)
		if err != nil || a.Service != "lambda" || !strings.HasPrefix(a.Partition, "aws") {
			return ref, false
		}
		res := strings.Split(a.Resource, ":")
		if len(res) < 2 || len(res) > 3 || res[0] != "function" {
			return ref, false
		}
		ref = FunctionRef{Region: a.Region, AccountID: a.AccountID, Name: res[1]}
		if len(res) == 3 {
			ref.Qualifier, hasQualifier = res[2], true
		}
	case len(parts) >= 3 && parts[1] == "function":
		if len(parts) > 4 || !arn.IsAccountID(parts[0]) {
			return ref, false
		}
		ref = FunctionRef{AccountID: parts[0], Name: parts[2]}
		if len(parts) == 4 {
			ref.Qualifier, hasQualifier = parts[3], true
		}
	case len(parts) <= 2:
		ref = FunctionRef{Name: parts[0]}
		if len(parts) == 2 {
			ref.Qualifier, hasQualifier = parts[1], true
		}
	default:
		return ref, false
	}
	if !ValidFunctionName(ref.Name) || (hasQualifier && !validQualifier(ref.Qualifier)) {
		return ref, false
	}
	return ref, true
}

// validQualifier reports whether q is a version or alias: "$LATEST" or 1 to 128 of
// [a-zA-Z0-9-_].
func validQualifier(q string) bool {
	return q == LatestVersion || (q != "" && len(q) <= 128 && nameChars(q))
}

// ValidFunctionName reports whether name is a bare function name: 1 to 64 of [a-zA-Z0-9-_].
func ValidFunctionName(name string) bool {
	return name != "" && len(name) <= 64 && nameChars(name)
}

// nameChars reports whether s has only [a-zA-Z0-9-_].
func nameChars(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Registry stores function documents.
type Registry struct {
	st    store.Store
	scope Scope
	now   func() time.Time
}

// NewRegistry returns the registry of scope's functions in st. now is the clock; nil means
// time.Now.
func NewRegistry(st store.Store, scope Scope, now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{st: st, scope: scope, now: now}
}

// Scope is the account and region of the registry's functions.
func (r *Registry) Scope() Scope { return r.scope }

// Prefix is the store prefix of every function document.
func (r *Registry) Prefix() string {
	return r.scope.AccountID + "/" + r.scope.Region + "/lambda/functions/"
}

func (r *Registry) key(name string) string { return r.Prefix() + name }

// Get returns the function called name, or an error wrapping ErrFunctionNotFound.
func (r *Registry) Get(ctx context.Context, name string) (*Function, error) {
	var f Function
	if _, err := store.GetJSON(ctx, r.st, r.key(name), &f); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &NotFoundError{ARN: r.scope.FunctionARN(name)}
		}
		return nil, fmt.Errorf("get function %q: %w", name, err)
	}
	return &f, nil
}

// Revision returns the store revision of the function's document, without decoding it:
// a cheap check that a decoded copy is still current.
func (r *Registry) Revision(ctx context.Context, name string) (int64, error) {
	kv, err := r.st.Get(ctx, r.key(name))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, &NotFoundError{ARN: r.scope.FunctionARN(name)}
		}
		return 0, fmt.Errorf("get function %q: %w", name, err)
	}
	return kv.Revision, nil
}

// List returns every function, sorted by name.
func (r *Registry) List(ctx context.Context) ([]*Function, error) {
	kvs, _, err := r.st.List(ctx, r.Prefix())
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	out := make([]*Function, 0, len(kvs))
	for _, kv := range kvs {
		var f Function
		if err := json.Unmarshal(kv.Value, &f); err != nil {
			return nil, fmt.Errorf("decode %q: %w", kv.Key, err)
		}
		out = append(out, &f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Configuration.FunctionName < out[j].Configuration.FunctionName })
	return out, nil
}

// Create stores a new function. It fills in what Lambda computes (FunctionArn, Version,
// RevisionId, LastModified, State) and Lambda's defaults for what the caller left zero. A
// taken name is an error wrapping ErrFunctionExists.
func (r *Registry) Create(ctx context.Context, f *Function) (*Function, error) {
	c := &f.Configuration
	c.FunctionArn = r.scope.FunctionARN(c.FunctionName)
	r.stamp(f, true)
	op, err := store.PutJSON(r.key(c.FunctionName), f, store.Absent)
	if err != nil {
		return nil, err
	}
	if _, err := r.st.Txn(ctx, op); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("create function %q: %w", c.FunctionName, ErrFunctionExists)
		}
		return nil, fmt.Errorf("create function %q: %w", c.FunctionName, err)
	}
	return f, nil
}

// Change says what an Update changes, which decides what Lambda refreshes: a configuration or
// code change gets a new RevisionId and LastModified, a policy change a new RevisionId, a tag
// or concurrency change neither.
type Change int

// Kinds of change.
const (
	ChangeConfig Change = iota
	ChangePolicy
	ChangeTags
)

// Update changes the function called name with fn, retrying on a concurrent write. When
// ifRevisionID is not empty the function's RevisionId must equal it (else an error wrapping
// ErrRevisionMismatch). An error from fn aborts the update and is returned as is.
func (r *Registry) Update(ctx context.Context, name, ifRevisionID string, change Change, fn func(f *Function) error) (*Function, error) {
	out, err := store.Update(ctx, r.st, r.key(name), func(cur *Function) (*Function, []store.Op, error) {
		if cur == nil {
			return nil, nil, &NotFoundError{ARN: r.scope.FunctionARN(name)}
		}
		if ifRevisionID != "" && ifRevisionID != cur.Configuration.RevisionId {
			return nil, nil, ErrRevisionMismatch
		}
		if err := fn(cur); err != nil {
			return nil, nil, err
		}
		switch change {
		case ChangeConfig:
			r.stamp(cur, true)
		case ChangePolicy:
			r.stamp(cur, false)
		}
		return cur, nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("update function %q: %w", name, err)
	}
	return out, nil
}

// Delete removes the function called name and returns it as it was when deleted (the caller
// collects its code package), or returns an error wrapping ErrFunctionNotFound.
func (r *Registry) Delete(ctx context.Context, name string) (*Function, error) {
	var deleted *Function
	_, err := store.Update(ctx, r.st, r.key(name), func(cur *Function) (*Function, []store.Op, error) {
		if cur == nil {
			return nil, nil, &NotFoundError{ARN: r.scope.FunctionARN(name)}
		}
		deleted = cur
		return nil, nil, nil // nil deletes what is there now
	})
	if err != nil {
		return nil, fmt.Errorf("delete function %q: %w", name, err)
	}
	return deleted, nil
}

// CodeRefs returns the hex hashes of the code packages the stored functions name: what the
// code store must keep (see CodeStore.Collect). gatehouse publishes no versions, so each
// function names one package, its $LATEST's.
func (r *Registry) CodeRefs(ctx context.Context) (map[string]bool, error) {
	fns, err := r.List(ctx)
	if err != nil {
		return nil, err
	}
	refs := make(map[string]bool, len(fns))
	for _, f := range fns {
		refs[f.CodeHex()] = true
	}
	return refs, nil
}

// stamp sets what Lambda computes on every change: a new RevisionId, and with modified the
// LastModified time; and fills Lambda's defaults in.
func (r *Registry) stamp(f *Function, modified bool) {
	c := &f.Configuration
	c.RevisionId = NewUUID()
	if modified || c.LastModified == "" {
		c.LastModified = r.now().UTC().Format(LastModifiedLayout)
	}
	setDefaults(c)
}

// setDefaults fills what Lambda reports for a function created without it.
func setDefaults(c *FunctionConfiguration) {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MemorySize == 0 {
		c.MemorySize = DefaultMemorySize
	}
	if c.Version == "" {
		c.Version = LatestVersion
	}
	c.State = "Active"
	c.LastUpdateStatus = "Successful"
	if c.PackageType == "" {
		c.PackageType = "Zip"
	}
	if len(c.Architectures) == 0 {
		c.Architectures = []string{"x86_64"}
	}
	if c.EphemeralStorage.Size == 0 {
		c.EphemeralStorage.Size = DefaultEphemeral
	}
	if c.TracingConfig.Mode == "" {
		c.TracingConfig.Mode = "PassThrough"
	}
	if c.SnapStart.ApplyOn == "" {
		c.SnapStart.ApplyOn = "None"
	}
	if c.SnapStart.OptimizationStatus == "" {
		c.SnapStart.OptimizationStatus = "Off"
	}
	if c.LoggingConfig.LogFormat == "" {
		c.LoggingConfig.LogFormat = "Text"
	}
	if c.LoggingConfig.LogGroup == "" {
		c.LoggingConfig.LogGroup = "/aws/lambda/" + c.FunctionName
	}
}
