package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// config is the process configuration. Each field is a flag, declared once in flagSet; its
// environment variable GATEHOUSE_<NAME> (upper case, dashes as underscores) and its key in
// the --config JSON file are the flag's name, applied through the flag (loadConfig). Flags
// win over the environment, which wins over the file.
type config struct {
	Listen           string
	AdminListen      string
	DataDir          string
	Region           string
	AccountID        string
	Domain           string
	AdminCredentials string
	ShutdownTimeout  time.Duration
	LogLevel         string
	LogFormat        string
	Demo             bool
	// AWSCredentials is the shared-credentials file AWS service integrations sign with: the
	// profile named after an integration's credentials role ARN, else [default].
	AWSCredentials string
	// AWSEndpoints override AWS's endpoint per service: SERVICE=URL entries.
	AWSEndpoints endpointList
	// JWTIssuers are the issuers standing for Cognito user pools: ARN=URL entries (jwtissuer.go).
	JWTIssuers issuerList
	// LambdaEndpoint is the Lambda API that functions outside this gatehouse's account and
	// region are invoked at; empty: none (they are not found).
	LambdaEndpoint string
	// LambdaCredentials is the shared-credentials file ([default]) LambdaEndpoint calls sign with.
	LambdaCredentials string
	// StrictPermissions enforces functions' resource policies on API Gateway invocations.
	StrictPermissions bool
	// VPCEndpoints are the data plane listeners that stand for VPC endpoints (vpce.go).
	VPCEndpoints vpceList
	// LambdaLocalCodeRoot lets the Lambda API package local directories under it as code.
	LambdaLocalCodeRoot string
	// LambdaRuntimes are the interpreters of managed runtimes: RUNTIME=INTERPRETER entries
	// (lambdaruntime.go).
	LambdaRuntimes runtimeList

	// Slow and idle clients (both listeners; see flagSet for the defaults and reasons).
	ReadHeaderTimeout time.Duration
	ReadBodyTimeout   time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// AdminRequestTimeout bounds a whole management request: reading it (net/http's
	// ReadTimeout) and answering it (WriteTimeout).
	AdminRequestTimeout time.Duration
	// AdminMaxBodyBytes bounds a management request body; each operation has its own,
	// smaller limit inside.
	AdminMaxBodyBytes int64

	// Runtime state of throttles and quotas (state.go).
	// State is where token buckets and quota counts live: "" in process (quota counts
	// persisted in the embedded store), or the URL of a Redis shared by every node,
	// redis://[user:password@]host:port/db or rediss:// for TLS.
	State string
	// StateTimeout bounds each call to a Redis state; past it, the failure policy applies.
	StateTimeout time.Duration
	// ThrottleOnStateError and QuotaOnStateError are what a request gets when the state
	// cannot answer: allow or deny (500).
	ThrottleOnStateError string
	QuotaOnStateError    string
	// AccountRateLimit and AccountBurstLimit are the account's token bucket, applied to every
	// request (GetAccount's throttleSettings); -1 applies none.
	AccountRateLimit  float64
	AccountBurstLimit int
}

// Defaults of the slow-client limits.
const (
	// defaultMaxHeaderBytes is AWS's limit on a request's line and headers: "Request line
	// plus header values: 10,240 bytes" (HTTP APIs) and "Total combined header values:
	// 10,240 bytes" (REST APIs), API Gateway quotas (AWS_REFERENCE.md §13). We count the
	// whole section, names and line ends included, so a request near the limit may be
	// refused here that AWS takes. AWS documents no status for it: a request-line that
	// does not end within the limit is 414, a header section 431.
	defaultMaxHeaderBytes = 10240
	// defaultAdminMaxBodyBytes is above the largest management body any operation takes:
	// the Lambda API's CreateFunction/UpdateFunctionCode, a 50 MB zip base64 in JSON
	// (lambdaapi's maxCodeBody, 70,167,211 bytes), so that it answers its own
	// RequestTooLargeException; 80 MiB.
	defaultAdminMaxBodyBytes = 80 << 20
)

// Defaults of the runtime state settings.
const (
	// defaultStateTimeout is redisstate's own default: a Redis on the same network answers an
	// Admit in well under a millisecond, so 50 ms means it is in trouble, and a request waits
	// at most that long before the failure policy applies.
	defaultStateTimeout = 50 * time.Millisecond
)

// pairList is a repeatable KEY=VALUE flag (--aws-endpoint, --jwt-issuer, --lambda-runtime);
// one value may also hold several entries separated by commas (the GATEHOUSE_* and --config
// form). Each flag's own type embeds it and says which entries are well formed (problems).
type pairList []string

func (l *pairList) String() string { return strings.Join(*l, ",") }

func (l *pairList) Set(v string) error {
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			*l = append(*l, e)
		}
	}
	return nil
}

// Map returns the entries by KEY, both sides trimmed (nil for none); the flag's problems
// have been checked.
func (l pairList) Map() map[string]string {
	if len(l) == 0 {
		return nil
	}
	m := make(map[string]string, len(l))
	for _, e := range l {
		k, v, _ := strings.Cut(e, "=")
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m
}

// endpointList is the repeatable --aws-endpoint SERVICE=URL.
type endpointList struct{ pairList }

// problems lists every malformed entry: SERVICE must be a service name as integration URIs
// write it (sqs, s3, runtime.sagemaker) or *, URL an http(s) base URL, each service once.
func (l endpointList) problems() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range l.pairList {
		svc, raw, ok := strings.Cut(e, "=")
		svc, raw = strings.TrimSpace(svc), strings.TrimSpace(raw)
		u, err := url.Parse(raw)
		switch {
		case !ok || svc == "":
			out = append(out, fmt.Sprintf("aws-endpoint: %q is not SERVICE=URL (e.g. sqs=http://127.0.0.1:5000)", e))
			continue
		case svc != "*" && !servicePattern.MatchString(svc):
			out = append(out, fmt.Sprintf("aws-endpoint: %q is not a service name like sqs, s3 or dynamodb (or * for all)", svc))
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "":
			out = append(out, fmt.Sprintf("aws-endpoint: %s: %q is not a base URL like http://127.0.0.1:5000", svc, raw))
		}
		if seen[svc] {
			out = append(out, fmt.Sprintf("aws-endpoint: %s given twice", svc))
		}
		seen[svc] = true
	}
	return out
}

// flagSet declares serve's flags, with their defaults, on cfg.
func flagSet(cfg *config, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("gatehouse serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Listen, "listen", ":8080", "data plane (execute-api) listen address")
	fs.StringVar(&cfg.AdminListen, "admin-listen", "127.0.0.1:9090", "management API listen address; a non-loopback address needs --admin-credentials")
	fs.StringVar(&cfg.DataDir, "data-dir", "./gatehouse-data", "directory of the embedded store")
	fs.StringVar(&cfg.Region, "region", "us-east-1", "AWS region gatehouse presents itself as")
	fs.StringVar(&cfg.AccountID, "account-id", "000000000000", "12-digit AWS account id gatehouse presents itself as")
	fs.StringVar(&cfg.Domain, "domain", "execute-api.localhost", "invoke domain: APIs answer at {api-id}.{domain}")
	fs.StringVar(&cfg.AdminCredentials, "admin-credentials", "", "AWS shared-credentials file whose keys may call the management API (SigV4 verified); empty accepts any signature on loopback")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight requests may take to finish on SIGINT/SIGTERM")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&cfg.AWSCredentials, "aws-credentials", "", "AWS shared-credentials file that AWS service integrations sign with: the profile named after the integration's credentials role ARN, else [default]; empty: none (such integrations answer 500)")
	fs.Var(&cfg.JWTIssuers, "jwt-issuer", "ARN=URL: verify the tokens of the Cognito user pool ARN (a COGNITO_USER_POOLS authorizer's providerARNs) as issued by the OIDC issuer URL: iss must be URL, keys are read from URL/.well-known/jwks.json (repeatable, or comma-separated; default: none, such authorizers answer 401)")
	fs.Var(&cfg.AWSEndpoints, "aws-endpoint", "SERVICE=URL: send AWS service integrations of SERVICE (as the integration URI names it: sqs, s3, dynamodb; * for all) to URL instead of AWS's https://SERVICE.REGION.amazonaws.com (repeatable, or comma-separated; default: none)")
	fs.StringVar(&cfg.LambdaEndpoint, "lambda-endpoint", "", "Lambda API URL that integrations invoke functions of other accounts or regions at (e.g. https://lambda.eu-west-1.amazonaws.com, or another gatehouse's management address); empty: such functions are not found")
	fs.StringVar(&cfg.LambdaCredentials, "lambda-credentials", "", "AWS shared-credentials file whose [default] keys sign the calls to --lambda-endpoint; empty: unsigned")
	fs.Var(&cfg.VPCEndpoints, "vpce", "LISTEN_ADDR=vpce-id[,vpc-id]: also serve the data plane on LISTEN_ADDR as the VPC endpoint vpce-id (of VPC vpc-id): private APIs are served there only, and resource policies see aws:SourceVpce and aws:SourceVpc (repeatable, or space-separated; default: none)")
	fs.BoolVar(&cfg.StrictPermissions, "strict-permissions", false, "enforce functions' resource policies (AddPermission) on API Gateway invocations, as AWS does; off: API Gateway may invoke any local function")
	fs.StringVar(&cfg.LambdaLocalCodeRoot, "lambda-local-code-root", "", "directory under which CreateFunction/UpdateFunctionCode may take code from a local directory (S3Bucket gatehouse-local, S3Key the absolute path); empty: disabled")
	fs.Var(&cfg.LambdaRuntimes, "lambda-runtime", "RUNTIME=INTERPRETER: run functions of the managed runtime RUNTIME (python3.9 ... python3.14, nodejs18.x ... nodejs24.x) with INTERPRETER, a path or a command on PATH, e.g. python3.12=/usr/bin/python3.11 (repeatable, or comma-separated; default: python3 and node found on PATH at start; a runtime without an interpreter is refused at CreateFunction)")
	fs.DurationVar(&cfg.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "longest a client may take to send a request's line and header section, from its first byte (both listeners; nginx's client_header_timeout is 60s); it is then closed")
	fs.DurationVar(&cfg.ReadBodyTimeout, "read-body-timeout", 30*time.Second, "longest a request body may stall: a client that sends no body byte for this long is answered 408 and closed, as nginx's client_body_timeout (60s there); renewed on progress, so a stall ends it after 1-2x this (both listeners)")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", 30*time.Second, "data plane: longest a response may stall: a client that accepts no byte for this long is dropped and the request's work ends (nginx's send_timeout is 60s)")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", 5*time.Minute, "how long a kept-alive connection may wait for its next request (both listeners)")
	fs.IntVar(&cfg.MaxHeaderBytes, "max-header-bytes", defaultMaxHeaderBytes, "largest request line plus header section in bytes (both listeners); AWS's API Gateway limit is 10,240 bytes of request line and header values; over it: 414 (request line) or 431")
	fs.DurationVar(&cfg.AdminRequestTimeout, "admin-request-timeout", 10*time.Minute, "management API: longest a request may take to be read, and its answer to be written, whole (a 70 MB Lambda code upload must fit)")
	fs.Int64Var(&cfg.AdminMaxBodyBytes, "admin-max-body-bytes", defaultAdminMaxBodyBytes, "management API: largest request body in bytes (above every operation's own limit: the Lambda API takes a 50 MB zip, 70,167,211 bytes as base64 JSON); a larger Content-Length is answered 413 at once")
	fs.StringVar(&cfg.State, "state", "", "runtime state of throttles, quotas, the Lambda authorizer cache and the stage response cache: empty keeps it in this process (quota counts persisted in the embedded store under --data-dir); redis://[user:password@]host:port/db (rediss:// for TLS) shares it in Redis between every gatehouse that names the same Redis, which must answer at start")
	fs.DurationVar(&cfg.StateTimeout, "state-timeout", defaultStateTimeout, "Redis state: longest one throttle or quota decision, usage read, or cache lookup, fill or flush may take; past it the request gets the state-error policy (--throttle-on-state-error, --quota-on-state-error), and a cache lookup is a miss")
	fs.StringVar(&cfg.ThrottleOnStateError, "throttle-on-state-error", "allow", "what a throttled request gets when the state cannot answer (Redis down or slow): allow (not throttled) or deny (500)")
	fs.StringVar(&cfg.QuotaOnStateError, "quota-on-state-error", "deny", "what a request under a usage plan quota gets when the state cannot answer: deny (500) or allow (admitted, not counted)")
	fs.Float64Var(&cfg.AccountRateLimit, "account-rate-limit", apigateway.DefaultAccountRateLimit, "the account's throttle, applied to every request after the other throttles, in requests per second (AWS's default is 10000); -1: no account throttle")
	fs.IntVar(&cfg.AccountBurstLimit, "account-burst-limit", apigateway.DefaultAccountBurstLimit, "the account throttle's burst, in requests (AWS's default is 5000); -1: no account throttle")
	fs.BoolVar(&cfg.Demo, "demo", false, "create the demo API (and deploy it to stage \"demo\") if it does not exist")
	file := fs.String("config", "", "JSON file with any of these settings (flag names as keys)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: gatehouse serve [flags]\n\n"+
			"Runs the management API and the data plane. Every flag can also be set with an\n"+
			"environment variable GATEHOUSE_<NAME> (e.g. GATEHOUSE_ADMIN_LISTEN) or a key of the\n"+
			"--config file; flags win over the environment, which wins over the file.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs, file
}

// loadConfig resolves the configuration from args, the environment and the --config file, and
// validates it, reporting every problem at once.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	fs, file := flagSet(&cfg, stderr)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if *file == "" {
		*file = getenv("GATEHOUSE_CONFIG")
	}
	var problems []string
	if *file != "" {
		fileValues, err := readConfigFile(*file)
		if err != nil {
			return cfg, err
		}
		for name, v := range fileValues {
			if set[name] || getenv(envName(name)) != "" {
				continue
			}
			if fs.Lookup(name) == nil || name == "config" {
				problems = append(problems, fmt.Sprintf("%s: unknown setting %q", *file, name))
				continue
			}
			if err := fs.Set(name, v); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: %v", *file, name, err))
			}
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || f.Name == "config" {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", envName(f.Name), err))
			}
		}
	})
	problems = append(problems, cfg.validate()...)
	if len(problems) > 0 {
		return cfg, errors.New("invalid configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return cfg, nil
}

// envName is the environment variable of a flag: "admin-listen" → GATEHOUSE_ADMIN_LISTEN.
func envName(flagName string) string {
	return "GATEHOUSE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// readConfigFile reads a JSON object of flag names to values (strings, numbers or booleans).
func readConfigFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		out[k] = fmt.Sprint(v)
	}
	return out, nil
}

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	servicePattern   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
	dbPattern        = regexp.MustCompile(`^[0-9]{1,5}$`)
	domainPattern    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// validate lists every problem of cfg.
func (cfg config) validate() []string {
	var problems []string
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		problems = append(problems, fmt.Sprintf("listen: %q is not host:port", cfg.Listen))
	}
	if _, _, err := net.SplitHostPort(cfg.AdminListen); err != nil {
		problems = append(problems, fmt.Sprintf("admin-listen: %q is not host:port", cfg.AdminListen))
	} else if !isLoopback(cfg.AdminListen) && cfg.AdminCredentials == "" {
		problems = append(problems, fmt.Sprintf("admin-listen: %q is not a loopback address; set admin-credentials to expose the management API", cfg.AdminListen))
	}
	if cfg.DataDir == "" {
		problems = append(problems, "data-dir: must not be empty")
	}
	if !regionPattern.MatchString(cfg.Region) {
		problems = append(problems, fmt.Sprintf("region: %q is not an AWS region name like us-east-1", cfg.Region))
	}
	if !accountIDPattern.MatchString(cfg.AccountID) {
		problems = append(problems, fmt.Sprintf("account-id: %q is not 12 digits", cfg.AccountID))
	}
	if !domainPattern.MatchString(cfg.Domain) {
		problems = append(problems, fmt.Sprintf("domain: %q is not a lower-case DNS name", cfg.Domain))
	}
	if cfg.AdminCredentials != "" {
		if _, err := os.Stat(cfg.AdminCredentials); err != nil {
			problems = append(problems, fmt.Sprintf("admin-credentials: %v", err))
		}
	}
	if cfg.AWSCredentials != "" {
		if _, err := os.Stat(cfg.AWSCredentials); err != nil {
			problems = append(problems, fmt.Sprintf("aws-credentials: %v", err))
		}
	}
	problems = append(problems, cfg.AWSEndpoints.problems()...)
	problems = append(problems, cfg.JWTIssuers.problems()...)
	problems = append(problems, cfg.LambdaRuntimes.problems()...)
	problems = append(problems, cfg.VPCEndpoints.problems(cfg.Listen, cfg.AdminListen)...)
	if cfg.LambdaEndpoint != "" {
		if u, err := url.Parse(cfg.LambdaEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("lambda-endpoint: %q is not an http(s) URL", cfg.LambdaEndpoint))
		}
	}
	if cfg.LambdaCredentials != "" {
		if _, err := os.Stat(cfg.LambdaCredentials); err != nil {
			problems = append(problems, fmt.Sprintf("lambda-credentials: %v", err))
		}
	}
	if cfg.LambdaLocalCodeRoot != "" {
		if fi, err := os.Stat(cfg.LambdaLocalCodeRoot); err != nil || !fi.IsDir() || !filepath.IsAbs(cfg.LambdaLocalCodeRoot) {
			problems = append(problems, fmt.Sprintf("lambda-local-code-root: %q is not an absolute path of a directory", cfg.LambdaLocalCodeRoot))
		}
	}
	if cfg.ShutdownTimeout <= 0 {
		problems = append(problems, "shutdown-timeout: must be positive")
	}
	// Zero would mean "no limit" to the servers: a slow client could then hold a
	// connection forever, so every limit must be set.
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"read-header-timeout", cfg.ReadHeaderTimeout}, {"read-body-timeout", cfg.ReadBodyTimeout},
		{"write-timeout", cfg.WriteTimeout}, {"idle-timeout", cfg.IdleTimeout}, {"admin-request-timeout", cfg.AdminRequestTimeout},
	} {
		if d.v <= 0 {
			problems = append(problems, d.name+": must be positive")
		}
	}
	if cfg.MaxHeaderBytes < 1024 {
		problems = append(problems, fmt.Sprintf("max-header-bytes: %d is below 1024", cfg.MaxHeaderBytes))
	}
	if cfg.AdminMaxBodyBytes < 1<<20 {
		problems = append(problems, fmt.Sprintf("admin-max-body-bytes: %d is below 1 MiB", cfg.AdminMaxBodyBytes))
	}
	problems = append(problems, cfg.stateProblems()...)
	switch cfg.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("log-level: %q is not debug, info, warn or error", cfg.LogLevel))
	}
	switch cfg.LogFormat {
	case "text", "json":
	default:
		problems = append(problems, fmt.Sprintf("log-format: %q is not text or json", cfg.LogFormat))
	}
	return problems
}

// stateProblems lists the problems of the runtime state settings.
func (cfg config) stateProblems() []string {
	var problems []string
	if cfg.State != "" {
		if _, err := redisURL(cfg.State); err != nil {
			problems = append(problems, "state: "+err.Error())
		}
	}
	if cfg.StateTimeout <= 0 {
		problems = append(problems, "state-timeout: must be positive")
	}
	if cfg.ThrottleOnStateError != "allow" && cfg.ThrottleOnStateError != "deny" {
		problems = append(problems, fmt.Sprintf("throttle-on-state-error: %q is not allow or deny", cfg.ThrottleOnStateError))
	}
	if cfg.QuotaOnStateError != "allow" && cfg.QuotaOnStateError != "deny" {
		problems = append(problems, fmt.Sprintf("quota-on-state-error: %q is not deny or allow", cfg.QuotaOnStateError))
	}
	if r := cfg.AccountRateLimit; math.IsNaN(r) || math.IsInf(r, 0) || (r < 0 && r != -1) {
		problems = append(problems, fmt.Sprintf("account-rate-limit: %v is not a rate of 0 or more requests per second, or -1 for none", r))
	}
	if b := cfg.AccountBurstLimit; b < -1 {
		problems = append(problems, fmt.Sprintf("account-burst-limit: %d is not a burst of 0 or more requests, or -1 for none", b))
	}
	if cfg.AccountRateLimit == 0 && cfg.AccountBurstLimit == 0 {
		// The gateway and the management API read an all-zero throttle as AWS's default,
		// and an account that admits nothing is no use: refuse it rather than guess.
		problems = append(problems, "account-rate-limit, account-burst-limit: both 0 would refuse every request; use -1 for no account throttle")
	}
	return problems
}

// accountThrottle is the account's bucket the serve flags give, as gateway.Config and
// mgmt.Config take it: -1 in either flag is a negative (no) throttle. validate has refused a
// zero rate with a zero burst, which both configs would read as AWS's default.
func (cfg config) accountThrottle() apigateway.ThrottleSettings {
	return apigateway.ThrottleSettings{RateLimit: cfg.AccountRateLimit, BurstLimit: cfg.AccountBurstLimit}
}

// redisURL parses a --state Redis URL: redis:// or rediss://, a host, and an optional
// database number as the path. Its errors never show the password.
func redisURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is neither empty (in-process state) nor a Redis URL like redis://127.0.0.1:6379/0", redactURL(raw))
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("%q is neither empty (in-process state) nor a Redis URL like redis://127.0.0.1:6379/0 (rediss:// for TLS)", u.Redacted())
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%q has no host", u.Redacted())
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" && !dbPattern.MatchString(db) {
		return nil, fmt.Errorf("%q: the path must be a database number like /0", u.Redacted())
	}
	return u, nil
}

// redactURL hides what may be a password in a string that url.Parse refused: everything
// between "://" and the last "@".
func redactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if i := strings.LastIndex(rest, "@"); ok && i >= 0 {
		return scheme + "://xxxxx@" + rest[i+1:]
	}
	return raw
}

// isLoopback reports whether a listen address only accepts connections from this machine.
// An empty host listens on every interface, so it is not loopback.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
