package lambdaapi

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/lambda"
)

// The service model's patterns (botocore lambda 2015-03-31), as Lambda quotes them.
const (
	functionNamePattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`
	rolePattern         = `arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`
	envNamePattern      = `[a-zA-Z]([a-zA-Z0-9_])+`
)

var (
	roleRE    = regexp.MustCompile(`^` + rolePattern + `$`)
	envNameRE = regexp.MustCompile(`^` + envNamePattern + `$`)
)

// runtimes is the model's Runtime enum. Every one can be stored but a managed runtime
// without an interpreter (checkRuntime); the OS-only custom runtimes and the managed ones
// run locally (lambda.LocalRuntime).
var runtimes = []string{"nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x",
	"nodejs16.x", "java8", "java8.al2", "java11", "python2.7", "python3.6", "python3.7", "python3.8", "python3.9",
	"dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8", "nodejs4.3-edge", "go1.x",
	"ruby2.5", "ruby2.7", "provided", "provided.al2", "nodejs18.x", "python3.10", "java17", "ruby3.2", "ruby3.3",
	"ruby3.4", "python3.11", "nodejs20.x", "provided.al2023", "python3.12", "java21", "python3.13", "nodejs22.x",
	"nodejs24.x", "python3.14", "java25", "dotnet10", "ruby4.0"}

// reservedEnv are the environment variables Lambda sets itself and refuses in a function's
// configuration (the Lambda developer guide, "Defined runtime environment variables").
var reservedEnv = []string{"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION",
	"AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API",
	"AWS_REGION", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT"}

// configInput is the configuration a CreateFunction or UpdateFunctionConfiguration call
// sets; nil is absent.
type configInput struct {
	Role, Runtime, Handler, Description *string
	Timeout, MemorySize                 *int
	Environment                         *lambda.Environment
	TracingConfig                       *lambda.TracingConfig
	EphemeralStorage                    *lambda.EphemeralStorage
	Architectures                       []string
	LoggingConfig                       *lambda.LoggingConfig
	SnapStart                           *lambda.SnapStart
	DeadLetterConfig                    *lambda.DeadLetterConfig
	KMSKeyArn                           *string
}

// checkConfig lists every constraint in lists Lambda's ValidationException messages.
func checkConfig(in configInput) []string {
	var p []string
	bad := func(value any, field, constraint string) {
		p = append(p, fmt.Sprintf("Value '%v' at '%s' failed to satisfy constraint: %s", value, field, constraint))
	}
	if in.Role != nil && *in.Role != "" && !roleRE.MatchString(*in.Role) {
		bad(*in.Role, "role", "Member must satisfy regular expression pattern: "+rolePattern)
	}
	if in.Runtime != nil && *in.Runtime != "" && !slices.Contains(runtimes, *in.Runtime) {
		bad(*in.Runtime, "runtime", "Member must satisfy enum value set: ["+strings.Join(runtimes, ", ")+"]")
	}
	if in.Handler != nil && (len(*in.Handler) > 128 || strings.ContainsAny(*in.Handler, " \t\r\n")) {
		bad(*in.Handler, "handler", `Member must satisfy regular expression pattern: [^\s]+`)
	}
	if in.Description != nil && len(*in.Description) > 256 {
		bad(*in.Description, "description", "Member must have length less than or equal to 256")
	}
	if in.Timeout != nil {
		switch {
		case *in.Timeout < 1:
			bad(*in.Timeout, "timeout", "Member must have value greater than or equal to 1")
		case *in.Timeout > 900:
			bad(*in.Timeout, "timeout", "Member must have value less than or equal to 900")
		}
	}
	if in.MemorySize != nil {
		switch {
		case *in.MemorySize < 128:
			bad(*in.MemorySize, "memorySize", "Member must have value greater than or equal to 128")
		case *in.MemorySize > 32768:
			bad(*in.MemorySize, "memorySize", "Member must have value less than or equal to 32768")
		}
	}
	if in.Environment != nil {
		names := make([]string, 0, len(in.Environment.Variables))
		for k := range in.Environment.Variables {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if !envNameRE.MatchString(k) {
				bad(k, "environment.variables", "Member must satisfy regular expression pattern: "+envNamePattern)
			}
		}
	}
	if in.TracingConfig != nil && in.TracingConfig.Mode != "" && in.TracingConfig.Mode != "Active" && in.TracingConfig.Mode != "PassThrough" {
		bad(in.TracingConfig.Mode, "tracingConfig.mode", "Member must satisfy enum value set: [Active, PassThrough]")
	}
	if in.EphemeralStorage != nil && (in.EphemeralStorage.Size < 512 || in.EphemeralStorage.Size > 10240) {
		bad(in.EphemeralStorage.Size, "ephemeralStorage.size", "Member must have value between 512 and 10240")
	}
	if in.LoggingConfig != nil && in.LoggingConfig.LogFormat != "" && in.LoggingConfig.LogFormat != "JSON" && in.LoggingConfig.LogFormat != "Text" {
		bad(in.LoggingConfig.LogFormat, "loggingConfig.logFormat", "Member must satisfy enum value set: [JSON, Text]")
	}
	if in.SnapStart != nil && in.SnapStart.ApplyOn != "" && in.SnapStart.ApplyOn != "PublishedVersions" && in.SnapStart.ApplyOn != "None" {
		bad(in.SnapStart.ApplyOn, "snapStart.applyOn", "Member must satisfy enum value set: [PublishedVersions, None]")
	}
	// [B] DeadLetterConfig.TargetArn (ResourceArn) and KMSKeyArn share this pattern; "" is allowed.
	if in.DeadLetterConfig != nil && in.DeadLetterConfig.TargetArn != "" && !resourceARNRE.MatchString(in.DeadLetterConfig.TargetArn) {
		bad(in.DeadLetterConfig.TargetArn, "deadLetterConfig.targetArn", "Member must satisfy regular expression pattern: "+resourceARNPattern)
	}
	if in.KMSKeyArn != nil && *in.KMSKeyArn != "" && !resourceARNRE.MatchString(*in.KMSKeyArn) {
		bad(*in.KMSKeyArn, "kMSKeyArn", "Member must satisfy regular expression pattern: "+resourceARNPattern)
	}
	return append(p, checkArchitectures(in.Architectures)...)
}

// resourceARNPattern is the service model's ResourceArn and KMSKeyArn pattern.
const resourceARNPattern = `(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()`

var resourceARNRE = regexp.MustCompile(`^(?:arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)$`)

func checkArchitectures(a []string) []string {
	switch {
	case len(a) > 1:
		return []string{fmt.Sprintf("Value '[%s]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1", strings.Join(a, ", "))}
	case len(a) == 1 && a[0] != "x86_64" && a[0] != "arm64":
		return []string{fmt.Sprintf("Value '[%s]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]", a[0])}
	}
	return nil
}

// maxMemorySize is the most memory a function gets, in MB. The model allows up to 32768
// (checkConfig); Lambda refuses more than the account's limit after that check, as a
// ValidationException without the "N validation errors detected" frame, e.g. "'MemorySize'
// value failed to satisfy constraint: Member must have value less than or equal to 3008" for
// an account limited to 3008 MB (aws-samples/serverless-rag-demo#124,
// ubc-cirrus-lab/parrotfish#38).
const maxMemorySize = 10240

// checkService is Lambda's service-side check of a configuration, after the model's
// (checkConfig): the memory limit, then the environment (checkEnvironment).
func checkService(in configInput) error {
	if in.MemorySize != nil && *in.MemorySize > maxMemorySize {
		return &Error{Status: http.StatusBadRequest, Type: "ValidationException", plain: true,
			Message: fmt.Sprintf("'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to %d", maxMemorySize)}
	}
	return checkEnvironment(in.Environment)
}

// checkEnvironment is Lambda's service-side check of environment variables: no reserved key,
// at most 4 KB in all. It answers InvalidParameterValueException with Lambda's wording.
func checkEnvironment(env *lambda.Environment) error {
	if env == nil {
		return nil
	}
	var reserved []string
	size := 0
	for k, v := range env.Variables {
		if slices.Contains(reservedEnv, k) {
			reserved = append(reserved, k)
		}
		size += len(k) + len(v)
	}
	if len(reserved) > 0 {
		sort.Strings(reserved)
		return invalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ","))
	}
	if size > 4096 {
		return invalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d", size)
	}
	return nil
}

// applyConfig sets the present fields of in on cfg (Role, Runtime and Handler are set by the
// callers, which treat them differently).
func applyConfig(cfg *lambda.FunctionConfiguration, in configInput) {
	if in.Description != nil {
		cfg.Description = *in.Description
	}
	if in.Timeout != nil {
		cfg.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		cfg.MemorySize = *in.MemorySize
	}
	if in.Environment != nil {
		if len(in.Environment.Variables) == 0 {
			cfg.Environment = nil
		} else {
			cfg.Environment = &lambda.Environment{Variables: in.Environment.Variables}
		}
	}
	if in.TracingConfig != nil && in.TracingConfig.Mode != "" {
		cfg.TracingConfig = *in.TracingConfig
	}
	if in.EphemeralStorage != nil {
		cfg.EphemeralStorage = *in.EphemeralStorage
	}
	if len(in.Architectures) > 0 {
		cfg.Architectures = in.Architectures
	}
	if in.LoggingConfig != nil {
		lc := *in.LoggingConfig
		if lc.LogFormat == "" {
			lc.LogFormat = cfg.LoggingConfig.LogFormat
		}
		if lc.LogGroup == "" {
			lc.LogGroup = cfg.LoggingConfig.LogGroup
		}
		cfg.LoggingConfig = lc
	}
	if in.SnapStart != nil && in.SnapStart.ApplyOn != "" {
		cfg.SnapStart = lambda.SnapStart{ApplyOn: in.SnapStart.ApplyOn, OptimizationStatus: "Off"}
	}
	// An empty TargetArn or KMSKeyArn removes the setting (what Terraform sends to unset it).
	if in.DeadLetterConfig != nil {
		cfg.DeadLetterConfig = nil
		if in.DeadLetterConfig.TargetArn != "" {
			cfg.DeadLetterConfig = &lambda.DeadLetterConfig{TargetArn: in.DeadLetterConfig.TargetArn}
		}
	}
	if in.KMSKeyArn != nil {
		cfg.KMSKeyArn = *in.KMSKeyArn
	}
}
