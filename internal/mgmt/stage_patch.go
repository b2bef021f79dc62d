package mgmt

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// UpdateStage's patch paths ([D] docs.aws.amazon.com/apigateway/latest/api/patch-operations.html
// #UpdateStage-Patch, and the recordings named below).

// stageUpdatePaths is the list AWS appends to an invalid stage patch path, verbatim,
// including its missing commas (test_apigateway_common.snapshot.json
// test_create_update_stages "error-update-doc-version").
const stageUpdatePaths = "[/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, /{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, /{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled]"

// invalidStagePath is AWS's answer to a path UpdateStage does not know, whatever the op.
func invalidStagePath(path string) *awsjson.Error {
	return awsjson.BadRequest("Invalid method setting path: %s. Must be one of: %s", path, stageUpdatePaths)
}

// cannotRemove is AWS's answer to removing a method setting, or a canary setting, that is
// not there; the trailing space is AWS's (test_update_stage_remove_wildcard "delete-error":
// "*/*"; test_update_stage_canary_deployment_validation
// "update-stage-canary-settings-remove-overrides": "canarySettings/stageVariableOverrides").
func cannotRemove(what string) *awsjson.Error {
	return awsjson.BadRequest("Cannot remove method setting %s because there is no method setting for this method ", what)
}

// stagePathKind says what a stage patch path addresses.
type stagePathKind int

const (
	stagePathInvalid       stagePathKind = iota
	stagePathField                       // a top-level field: Name
	stagePathAccessLog                   // accessLogSettings: Name "" (all), "format", "destinationArn"
	stagePathVariable                    // variables/{Name}
	stagePathCanary                      // canarySettings: Name "" (all) or a field; stageVariableOverrides/{Variable}
	stagePathMethodSetting               // /{resource path}/{method}[/{group}/{setting}]: Key, Setting
)

// stagePath is a parsed UpdateStage patch path.
type stagePath struct {
	Kind stagePathKind
	// Name is the field (Field, AccessLog, Canary) or the variable name (Variable).
	Name string
	// Variable is the overridden variable of canarySettings/stageVariableOverrides/{name}.
	Variable string
	// Key is the methodSettings key: the resource path without its leading slash, a slash
	// and the method ("pets/{id}/GET", "*/*").
	Key string
	// Setting is "group/setting" ("metrics/enabled"); empty addresses the whole entry.
	Setting string
}

// stageFields are the top-level stage fields a patch replaces.
var stageFields = map[string]bool{
	"deploymentId": true, "description": true, "cacheClusterEnabled": true, "cacheClusterSize": true,
	"clientCertificateId": true, "documentationVersion": true, "tracingEnabled": true,
}

// methodSettingPaths are the method settings' "group/setting" path parts.
var methodSettingPaths = map[string]bool{
	"metrics/enabled": true, "logging/loglevel": true, "logging/dataTrace": true,
	"throttling/burstLimit": true, "throttling/rateLimit": true,
	"caching/enabled": true, "caching/ttlInSeconds": true, "caching/dataEncrypted": true,
	"caching/requireAuthorizationForCacheControl": true, "caching/unauthorizedCacheControlHeaderStrategy": true,
}

// methodSettingMethods are the methods a method setting may name; "*" is every method.
var methodSettingMethods = map[string]bool{
	"*": true, "GET": true, "PUT": true, "POST": true, "DELETE": true, "PATCH": true, "OPTIONS": true, "HEAD": true, "ANY": true,
}

// parseStagePath classifies an UpdateStage patch path. A method setting's resource path
// travels either JSON-Pointer-escaped in one segment, as AWS documents it
// ("/~1pets~1{id}/GET/metrics/enabled"), or as plain segments, as Terraform's
// aws_api_gateway_method_settings sends it ("/" + method_path + "/metrics/enabled", with
// method_path "pets/{id}/GET", "*/*", or "/GET" for the root resource).
func parseStagePath(path string) stagePath {
	if !strings.HasPrefix(path, "/") {
		return stagePath{}
	}
	raw := strings.Split(path[1:], "/")
	seg := make([]string, len(raw))
	for i, r := range raw {
		seg[i] = awsjson.Unescape(r)
	}
	n := len(seg)
	switch {
	case n == 1 && stageFields[seg[0]]:
		return stagePath{Kind: stagePathField, Name: seg[0]}
	case n == 1 && seg[0] == "accessLogSettings":
		return stagePath{Kind: stagePathAccessLog}
	case n == 1 && seg[0] == "canarySettings":
		return stagePath{Kind: stagePathCanary}
	case n == 2 && seg[0] == "accessLogSettings" && (seg[1] == "format" || seg[1] == "destinationArn"):
		return stagePath{Kind: stagePathAccessLog, Name: seg[1]}
	case n == 2 && seg[0] == "variables" && seg[1] != "":
		return stagePath{Kind: stagePathVariable, Name: seg[1]}
	case n == 2 && seg[0] == "canarySettings":
		return stagePath{Kind: stagePathCanary, Name: seg[1]}
	case n == 3 && seg[0] == "canarySettings" && seg[1] == "stageVariableOverrides" && seg[2] != "":
		return stagePath{Kind: stagePathCanary, Name: seg[1], Variable: seg[2]}
	case n >= 4 && methodSettingPaths[seg[n-2]+"/"+seg[n-1]]:
		if key, ok := methodSettingKey(seg[:n-3], seg[n-3]); ok {
			return stagePath{Kind: stagePathMethodSetting, Key: key, Setting: seg[n-2] + "/" + seg[n-1]}
		}
	case n >= 2:
		if key, ok := methodSettingKey(seg[:n-1], seg[n-1]); ok {
			return stagePath{Kind: stagePathMethodSetting, Key: key}
		}
	}
	return stagePath{}
}

// methodSettingKey returns the methodSettings key of a resource path, given as its
// (unescaped) patch path segments, and a method: "*/*" for the wildcard, else the resource
// path without its leading slash and the method ("pets/GET"; "/GET" for the root).
func methodSettingKey(resource []string, method string) (string, bool) {
	if !methodSettingMethods[method] {
		return "", false
	}
	var res string
	switch {
	case len(resource) == 1 && resource[0] == "*":
		return "*/" + method, true
	case len(resource) == 1 && strings.HasPrefix(resource[0], "/"):
		res = resource[0] // escaped: "/pets/{id}", or "/" for the root
	case len(resource) == 1 && resource[0] == "":
		res = "/" // Terraform's root: method_path "/GET"
	default:
		res = "/" + strings.Join(resource, "/")
	}
	if res != "/" && (strings.Contains(res, "//") || strings.HasSuffix(res, "/")) || strings.Contains(res, "*") {
		return "", false
	}
	return res[1:] + "/" + method, true
}

// String renders p back as a canonical patch path; parseStagePath(p.String()) == p for every
// valid p.
func (p stagePath) String() string {
	esc := func(s string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(s) }
	switch p.Kind {
	case stagePathField:
		return "/" + p.Name
	case stagePathAccessLog:
		if p.Name == "" {
			return "/accessLogSettings"
		}
		return "/accessLogSettings/" + p.Name
	case stagePathVariable:
		return "/variables/" + esc(p.Name)
	case stagePathCanary:
		switch {
		case p.Name == "":
			return "/canarySettings"
		case p.Variable != "":
			return "/canarySettings/" + esc(p.Name) + "/" + esc(p.Variable)
		}
		return "/canarySettings/" + esc(p.Name)
	case stagePathMethodSetting:
		i := strings.LastIndexByte(p.Key, '/')
		res, method := p.Key[:i], p.Key[i+1:]
		if res != "*" {
			res = "/" + res
		}
		out := "/" + esc(res) + "/" + method
		if p.Setting != "" {
			out += "/" + p.Setting
		}
		return out
	}
	return ""
}

// defaultMethodSetting is a new method settings entry as AWS fills it
// (test_update_stage_remove_wildcard "update-stage": caching enabled was the only change).
// loggingLevel stays unset (AWS leaves it out until it is set).
func defaultMethodSetting() *apigateway.MethodSetting {
	return &apigateway.MethodSetting{
		ThrottlingBurstLimit:                   apigateway.DefaultAccountBurstLimit,
		ThrottlingRateLimit:                    apigateway.DefaultAccountRateLimit,
		CacheTTLInSeconds:                      300,
		RequireAuthorizationForCacheControl:    true,
		UnauthorizedCacheControlHeaderStrategy: "SUCCEED_WITH_RESPONSE_HEADER",
	}
}

// applyStagePatch applies UpdateStage's operations in order to st, reporting every problem.
// exists says whether a deployment of the API exists. On error st is partly changed and
// must be thrown away.
func applyStagePatch(st *apigateway.Stage, ops []awsjson.PatchOperation, exists func(id string) (bool, error)) error {
	var p problemList
	for _, op := range ops {
		if op.Op == awsjson.OpCopy {
			if err := applyStageCopy(st, op); err != nil {
				p.add(err)
			}
			continue
		}
		sp := parseStagePath(op.Path)
		var err error
		switch sp.Kind {
		case stagePathInvalid:
			err = invalidStagePath(op.Path)
		case stagePathCanary:
			err = applyCanaryOp(st, sp, op, exists)
		case stagePathMethodSetting:
			err = applyMethodSettingOp(st, sp, op)
		case stagePathVariable:
			err = applyVariableOp(st, sp, op)
		default:
			err = applyStageFieldOp(st, sp, op, exists)
		}
		var ae *awsjson.Error
		switch {
		case err == nil:
		case errors.As(err, &ae):
			p.add(ae)
		default:
			return err // a store failure
		}
	}
	return p.err()
}

// errStageOp is the answer to an op a valid path does not support (not verified; AWS's
// wording for other resources, test_update_rest_api_compression "unsupported-operation").
func errStageOp(allowed string) *awsjson.Error {
	return awsjson.BadRequest("Invalid patch operation specified. Must be one of: [%s]", allowed)
}

// applyStageFieldOp handles the top-level fields and accessLogSettings.
func applyStageFieldOp(st *apigateway.Stage, sp stagePath, op awsjson.PatchOperation, exists func(string) (bool, error)) error {
	if sp.Kind == stagePathAccessLog {
		switch {
		case op.Op == awsjson.OpRemove && sp.Name == "":
			st.AccessLogSettings = nil
			return nil
		case sp.Name == "":
			return errStageOp("remove")
		case op.Op != awsjson.OpReplace && op.Op != awsjson.OpAdd:
			// add sets a setting as replace does: AWS takes both on
			// /accessLogSettings/destinationArn and /format (deploy scripts send either).
			return errStageOp("add, replace")
		}
		als := apigateway.AccessLogSettings{}
		if st.AccessLogSettings != nil {
			als = *st.AccessLogSettings
		}
		if sp.Name == "format" {
			als.Format = op.Val()
		} else {
			als.DestinationArn = op.Val()
		}
		st.AccessLogSettings = &als
		if als == (apigateway.AccessLogSettings{}) {
			st.AccessLogSettings = nil
		}
		return nil
	}
	if op.Op != awsjson.OpReplace {
		return errStageOp("replace")
	}
	v := op.Val()
	switch sp.Name {
	case "deploymentId":
		// Switching the deployment is how a stage is rolled back or forward.
		ok, err := exists(v)
		if err != nil {
			return err
		}
		if !ok {
			return errNoSuchDeployment
		}
		st.DeploymentID = v
	case "description":
		st.Description = v
	case "clientCertificateId":
		st.ClientCertificateID = v
	case "documentationVersion":
		st.DocumentationVersion = v
	case "cacheClusterSize":
		if msg := cacheClusterSizeProblem("cacheClusterSize", v); msg != "" {
			return awsjson.BadRequest("Invalid cache cluster size specified: %s", v) // not verified
		}
		st.CacheClusterSize = v
	case "cacheClusterEnabled":
		b, msg := parseJavaBool(op.Path, v)
		if msg != "" {
			return awsjson.BadRequest("%s", msg)
		}
		setCacheCluster(st, b)
	case "tracingEnabled":
		b, msg := parseJavaBool(op.Path, v)
		if msg != "" {
			return awsjson.BadRequest("%s", msg)
		}
		st.TracingEnabled = b
	}
	return nil
}

// applyVariableOp sets (add, replace) or removes one stage variable.
func applyVariableOp(st *apigateway.Stage, sp stagePath, op awsjson.PatchOperation) error {
	switch op.Op {
	case awsjson.OpRemove:
		delete(st.Variables, sp.Name)
		return nil
	case awsjson.OpAdd, awsjson.OpReplace:
	default:
		return errStageOp("add, remove, replace")
	}
	var p problemList
	checkStageVariable(&p, sp.Name, op.Val())
	if err := p.err(); err != nil {
		return err
	}
	if st.Variables == nil {
		st.Variables = map[string]string{}
	}
	st.Variables[sp.Name] = op.Val()
	if len(st.Variables) > maxStageVariables {
		return awsjson.BadRequest("A stage can have at most %d stage variables", maxStageVariables)
	}
	return nil
}

// applyCanaryOp handles /canarySettings paths. Recorded in test_apigateway_canary.snapshot.json:
// only replace sets a canary field, and it creates the canary on the stage's own deployment
// with 0% of the traffic when there is none ("update-stage-with-deployment",
// "update-stage-with-percent"); add is refused ("update-stage-add-deployment"); remove takes
// the whole canary away ("update-stage-remove-canary-settings") and nothing else but one
// override; replacing the whole object is an invalid path ("...-bad-path-2").
func applyCanaryOp(st *apigateway.Stage, sp stagePath, op awsjson.PatchOperation, exists func(string) (bool, error)) error {
	switch op.Op {
	case awsjson.OpAdd:
		return awsjson.BadRequest("Invalid add operation with path: %s", op.Path)
	case awsjson.OpRemove:
		switch {
		case sp.Name == "":
			st.CanarySettings = nil
			return nil
		case sp.Variable != "" && st.CanarySettings != nil:
			deleteEntry(&st.CanarySettings.StageVariableOverrides, sp.Variable)
			return nil
		}
		return cannotRemove(strings.TrimPrefix(op.Path, "/"))
	case awsjson.OpReplace:
	default:
		return errStageOp("replace, remove")
	}
	known := sp.Name == "percentTraffic" || sp.Name == "deploymentId" || sp.Name == "useStageCache" ||
		sp.Name == "stageVariableOverrides" && sp.Variable != ""
	if !known {
		return invalidStagePath(op.Path)
	}
	v := op.Val()
	canary := apigateway.CanarySettings{DeploymentID: st.DeploymentID}
	if st.CanarySettings != nil {
		canary = *st.CanarySettings
		canary.StageVariableOverrides = maps.Clone(canary.StageVariableOverrides)
	}
	switch sp.Name {
	case "percentTraffic":
		f, err := strconv.ParseFloat(v, 64)
		msg := percentTrafficProblem(f)
		if err != nil || msg != "" {
			if msg == "" {
				msg = percentTrafficProblem(-1)
			}
			return awsjson.BadRequest("%s", msg)
		}
		canary.PercentTraffic = f
	case "deploymentId":
		ok, err := exists(v)
		if err != nil {
			return err
		}
		if !ok {
			return errNoSuchDeployment
		}
		canary.DeploymentID = v
	case "useStageCache":
		b, msg := parseJavaBool(op.Path, v)
		if msg != "" {
			return awsjson.BadRequest("%s", msg)
		}
		canary.UseStageCache = b
	default: // stageVariableOverrides/{name}
		var p problemList
		checkStageVariable(&p, sp.Variable, v)
		if err := p.err(); err != nil {
			return err
		}
		if canary.StageVariableOverrides == nil {
			canary.StageVariableOverrides = map[string]string{}
		}
		canary.StageVariableOverrides[sp.Variable] = v
	}
	st.CanarySettings = &canary
	return nil
}

// applyStageCopy handles copy, which AWS supports only to promote a canary: its deployment
// onto the stage, its overrides into the stage variables
// (test_update_stage_with_copy_ops "copy-with-bad-statement", "copy-with-no-replace",
// "update-stage-with-copy-2"). The canary itself stays.
func applyStageCopy(st *apigateway.Stage, op awsjson.PatchOperation) *awsjson.Error {
	valid := op.Path == "/deploymentId" && op.From == "/canarySettings/deploymentId" ||
		op.Path == "/variables" && op.From == "/canarySettings/stageVariableOverrides"
	if !valid {
		return awsjson.BadRequest("Invalid copy operation with path: %s and from %s. Valid copy:path are [/deploymentId, /variables] and valid copy:from are [/canarySettings/deploymentId, /canarySettings/stageVariableOverrides]", op.Path, op.From)
	}
	if st.CanarySettings == nil {
		return awsjson.BadRequest("Promotion not available. Canary does not exist.")
	}
	if op.Path == "/deploymentId" {
		st.DeploymentID = st.CanarySettings.DeploymentID
		return nil
	}
	if len(st.CanarySettings.StageVariableOverrides) > 0 && st.Variables == nil {
		st.Variables = map[string]string{}
	}
	for k, v := range st.CanarySettings.StageVariableOverrides {
		st.Variables[k] = v
	}
	return nil
}

// applyMethodSettingOp handles /{resource path}/{method}/... paths. A new entry starts as a
// copy of "*/*" when there is one, else from AWS's defaults; later changes to "*/*" do not
// reach it (test_create_update_stages "update-stage", "update-stage-override"). remove of a
// whole entry deletes it.
func applyMethodSettingOp(st *apigateway.Stage, sp stagePath, op awsjson.PatchOperation) error {
	if sp.Setting == "" {
		if op.Op != awsjson.OpRemove {
			return invalidStagePath(op.Path)
		}
		if _, ok := st.MethodSettings[sp.Key]; !ok {
			return cannotRemove(sp.Key)
		}
		delete(st.MethodSettings, sp.Key)
		return nil
	}
	ms := st.MethodSettings[sp.Key]
	switch op.Op {
	case awsjson.OpRemove:
		// Removing one setting puts AWS's default back.
		if ms == nil {
			return cannotRemove(sp.Key)
		}
		next := *ms
		setMethodSetting(&next, sp.Setting, defaultMethodSettingValue(sp.Setting))
		if sp.Setting == "logging/loglevel" {
			next.LoggingLevel = "" // unset, as on a new entry
		}
		st.MethodSettings[sp.Key] = &next
		return nil
	case awsjson.OpAdd, awsjson.OpReplace:
	default:
		return errStageOp("add, remove, replace")
	}
	var next apigateway.MethodSetting
	switch {
	case ms != nil:
		next = *ms
	case sp.Key != "*/*" && st.MethodSettings["*/*"] != nil:
		next = *st.MethodSettings["*/*"]
	default:
		next = *defaultMethodSetting()
	}
	if msg := setMethodSetting(&next, sp.Setting, op.Val()); msg != "" {
		return awsjson.BadRequest("%s", msg)
	}
	if st.MethodSettings == nil {
		st.MethodSettings = map[string]*apigateway.MethodSetting{}
	}
	st.MethodSettings[sp.Key] = &next
	return nil
}

// defaultMethodSettingValue is the patch value that restores a setting's default.
func defaultMethodSettingValue(setting string) string {
	d := defaultMethodSetting()
	switch setting {
	case "logging/loglevel":
		return "OFF"
	case "throttling/burstLimit":
		return strconv.Itoa(d.ThrottlingBurstLimit)
	case "throttling/rateLimit":
		return strconv.FormatFloat(d.ThrottlingRateLimit, 'f', -1, 64)
	case "caching/ttlInSeconds":
		return strconv.Itoa(d.CacheTTLInSeconds)
	case "caching/requireAuthorizationForCacheControl":
		return "true"
	case "caching/unauthorizedCacheControlHeaderStrategy":
		return d.UnauthorizedCacheControlHeaderStrategy
	}
	return "false"
}

// Method setting value domains ([B] MethodSetting).
var (
	loggingLevels            = []string{"OFF", "ERROR", "INFO"}
	unauthorizedCacheControl = []string{"FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER"}
)

// maxCacheTTL is AWS's largest cache TTL, in seconds (an hour).
const maxCacheTTL = 3600

// setMethodSetting sets one setting from its patch value, returning a problem (wording not
// verified) for a value out of its domain.
func setMethodSetting(ms *apigateway.MethodSetting, setting, v string) string {
	path := "/" + setting
	var msg string
	switch setting {
	case "metrics/enabled":
		ms.MetricsEnabled, msg = parseJavaBool(path, v)
	case "logging/dataTrace":
		ms.DataTraceEnabled, msg = parseJavaBool(path, v)
	case "caching/enabled":
		ms.CachingEnabled, msg = parseJavaBool(path, v)
	case "caching/dataEncrypted":
		ms.CacheDataEncrypted, msg = parseJavaBool(path, v)
	case "caching/requireAuthorizationForCacheControl":
		ms.RequireAuthorizationForCacheControl, msg = parseJavaBool(path, v)
	case "throttling/burstLimit":
		ms.ThrottlingBurstLimit, msg = parseBurstLimit(path, v)
	case "throttling/rateLimit":
		ms.ThrottlingRateLimit, msg = parseRateLimit(path, v)
	case "caching/ttlInSeconds":
		var n int
		n, msg = parseNonNegInt(path, v)
		if msg == "" && n > maxCacheTTL {
			msg = fmt.Sprintf("Invalid cache TTL %d: must be between 0 and %d seconds", n, maxCacheTTL)
		}
		ms.CacheTTLInSeconds = n
	case "logging/loglevel":
		if !slices.Contains(loggingLevels, v) {
			return fmt.Sprintf("Invalid logging level '%s'. Must be one of: [%s]", v, strings.Join(loggingLevels, ", "))
		}
		ms.LoggingLevel = v
	case "caching/unauthorizedCacheControlHeaderStrategy":
		if !slices.Contains(unauthorizedCacheControl, v) {
			return fmt.Sprintf("Invalid unauthorizedCacheControlHeaderStrategy '%s'. Must be one of: [%s]", v, strings.Join(unauthorizedCacheControl, ", "))
		}
		ms.UnauthorizedCacheControlHeaderStrategy = v
	}
	return msg
}
