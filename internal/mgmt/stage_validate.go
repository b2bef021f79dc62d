package mgmt

import (
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// Validation shared by the deployment, stage, gateway response and account operations.
// Where a message is AWS's, the recorded case that shows it is named beside it; the
// recordings are localstack's tests/aws/services/apigateway/*.snapshot.json (taken against
// real AWS). Messages marked "not verified" follow AWS's style but were not recorded.

// Errors of the deployment and stage operations.
var (
	// localstack's legacy provider (validated against AWS) for UpdateDeployment and
	// GetDeployment on an unknown id.
	errDeploymentNotFound = awsjson.NotFound("Invalid Deployment identifier specified")
	// AWS's answer for GetStage/UpdateStage/DeleteStage on an unknown stage, lower-case "stage"
	// (moto's StageNotFoundException; issue 8's measurement against AWS).
	errStageNotFound = awsjson.NotFound("Invalid stage identifier specified")
	// test_apigateway_canary.snapshot.json "update-stage-no-deployment" and
	// "bad-canary-deployment-id": a deployment id in a stage update or a canary that does not
	// exist.
	errNoSuchDeployment = awsjson.BadRequest("Deployment id does not exist")
)

// problemList gathers every problem of one request so that the answer lists them all. The
// first problem's type (BadRequestException, NotFoundException...) is the answer's type;
// the messages are joined as AWS concatenates them.
type problemList []*awsjson.Error

func (p *problemList) add(e *awsjson.Error) { *p = append(*p, e) }

func (p *problemList) addf(format string, args ...any) {
	p.add(awsjson.BadRequest(format, args...))
}

// err returns nil when there is no problem.
func (p problemList) err() error {
	if len(p) == 0 {
		return nil
	}
	if len(p) == 1 {
		return p[0]
	}
	msgs := make([]string, len(p))
	for i, e := range p {
		msgs[i] = e.Message
	}
	return &awsjson.Error{Status: p[0].Status, Type: p[0].Type, Message: joinProblems(msgs)}
}

// Stage names: [B] CreateStageRequest.stageName "Stage names can only contain alphanumeric
// characters, hyphens, and underscores. Maximum length is 128 characters."
const maxStageNameLen = 128

// stageNameProblem returns AWS's message for an invalid stage name, "" for a valid one.
// Older AWS answered "Stage name only allows a-zA-Z0-9_" before hyphens were allowed; the
// message with the hyphen is not verified.
func stageNameProblem(name string) string {
	if name == "" || len(name) > maxStageNameLen {
		return "Stage name only allows a-zA-Z0-9_-"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && c != '_' && c != '-' {
			return "Stage name only allows a-zA-Z0-9_-"
		}
	}
	return ""
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Stage variable limits (../shared/AWS_REFERENCE.md section 11, AWS quotas page).
const (
	maxStageVariables        = 100
	maxStageVariableNameLen  = 64
	maxStageVariableValueLen = 512
)

// stageVariableNameProblem checks one stage variable name: alphanumeric or underscore, at
// most 64 characters. The wording is not verified.
func stageVariableNameProblem(name string) string {
	if name == "" || len(name) > maxStageVariableNameLen {
		return fmt.Sprintf("Stage variable name '%s' must be 1 to %d characters long", name, maxStageVariableNameLen)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '_' {
			return fmt.Sprintf("Stage variable name '%s' can only contain alphanumeric characters and underscores", name)
		}
	}
	return ""
}

// stageVariableValueProblem checks one value: [A-Za-z0-9-._~:/?#&=,]+ ([B] CreateStage), at
// most 512 characters. The wording is not verified.
func stageVariableValueProblem(name, value string) string {
	if len(value) > maxStageVariableValueLen {
		return fmt.Sprintf("Stage variable value for '%s' must be at most %d characters long", name, maxStageVariableValueLen)
	}
	ok := value != ""
	for i := 0; ok && i < len(value); i++ {
		c := value[i]
		ok = isAlnum(c) || strings.IndexByte("-._~:/?#&=,", c) >= 0
	}
	if !ok {
		return fmt.Sprintf("Stage variable value for '%s' must match the regular expression [A-Za-z0-9-._~:/?#&=,]+", name)
	}
	return ""
}

// checkStageVariables adds the problems of a whole variables map (names sorted so that the
// message is stable).
func checkStageVariables(p *problemList, vars map[string]string) {
	if len(vars) > maxStageVariables {
		p.addf("A stage can have at most %d stage variables", maxStageVariables)
	}
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		checkStageVariable(p, name, vars[name])
	}
}

// checkStageVariable adds the problems of one stage variable (or canary override).
func checkStageVariable(p *problemList, name, value string) {
	if msg := stageVariableNameProblem(name); msg != "" {
		p.addf("%s", msg)
	}
	if msg := stageVariableValueProblem(name, value); msg != "" {
		p.addf("%s", msg)
	}
}

// Cache cluster sizes of the service model's CacheClusterSize enum, in GB.
var cacheClusterSizes = []string{"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"}

// defaultCacheClusterSize is the size AWS gives a cluster enabled without one.
const defaultCacheClusterSize = "0.5"

// cacheClusterSizeProblem returns the ValidationException problem of a size outside the
// enum, in AWS's ValidationException wording, at the given input member.
func cacheClusterSizeProblem(member, size string) string {
	for _, s := range cacheClusterSizes {
		if s == size {
			return ""
		}
	}
	return fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", size, member, strings.Join(cacheClusterSizes, ", "))
}

// Cache cluster statuses. gatehouse's cache needs no provisioning, so an enabled cluster is
// AVAILABLE at once (AWS passes through CREATE_IN_PROGRESS for minutes); a disabled one is
// NOT_AVAILABLE, as every recorded stage shows.
const (
	cacheClusterAvailable    = "AVAILABLE"
	cacheClusterNotAvailable = "NOT_AVAILABLE"
)

// setCacheCluster applies cacheClusterEnabled with its status and default size.
func setCacheCluster(st *apigateway.Stage, enabled bool) {
	st.CacheClusterEnabled = enabled
	st.CacheClusterStatus = cacheClusterNotAvailable
	if enabled {
		st.CacheClusterStatus = cacheClusterAvailable
		if st.CacheClusterSize == "" {
			st.CacheClusterSize = defaultCacheClusterSize
		}
	}
}

// setCacheDataKey gives a stage whose cache is enabled its cache data key (the key the data
// plane seals cacheDataEncrypted entries with: random bytes, kept in the stored document
// only), and takes it from a stage whose cache is disabled, so that a cache enabled again
// starts with a new key.
func setCacheDataKey(st *apigateway.StageDocument) {
	switch {
	case !st.CacheClusterEnabled:
		st.CacheDataKey = nil
	case len(st.CacheDataKey) == 0:
		st.CacheDataKey = make([]byte, apigateway.CacheDataKeySize)
		rand.Read(st.CacheDataKey) // never fails (crypto/rand, Go 1.24+)
	}
}

// percentTrafficProblem checks a canary's share of traffic: 0.0 to 100.0 ([B] CanarySettings).
// The wording is not verified.
func percentTrafficProblem(pct float64) string {
	if pct < 0 || pct > 100 || pct != pct {
		return "Canary traffic percentage must be between 0.0 and 100.0"
	}
	return ""
}

// parseJavaBool reads a patch value as AWS's Java back end does: "true" in any case is
// true; anything else is an error (AWS's wording for it is not verified).
func parseJavaBool(path, v string) (bool, string) {
	switch strings.ToLower(v) {
	case "true":
		return true, ""
	case "false":
		return false, ""
	}
	return false, fmt.Sprintf("Invalid boolean value '%s' for %s", v, path)
}

func parseNonNegInt(path, v string) (int, string) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Sprintf("Invalid integer value '%s' for %s", v, path)
	}
	return n, ""
}

func parseNonNegFloat(path, v string) (float64, string) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f != f {
		return 0, fmt.Sprintf("Invalid number value '%s' for %s", v, path)
	}
	return f, ""
}

// throttlingUnset is the throttling limit that says "no method-level limit": AWS accepts it
// for throttling/burstLimit and throttling/rateLimit and answers it back as it was sent
// (-1, -1.0). Terraform's aws_api_gateway_method_settings sends it for a limit left unset
// (its schema default), and the provider's acceptance test
// TestAccAPIGatewayMethodSettings_Settings_throttlingBurstLimitDisabledByDefault, run against
// AWS, reads -1 back.
const throttlingUnset = -1

// parseBurstLimit reads a burst limit: a non-negative integer, or -1 for unset. Other
// negative values are refused (what AWS does with them is not verified).
func parseBurstLimit(path, v string) (int, string) {
	if n, err := strconv.Atoi(v); err == nil && n == throttlingUnset {
		return n, ""
	}
	return parseNonNegInt(path, v)
}

// parseRateLimit reads a rate limit: a non-negative number, or -1 (the provider sends
// "-1.000000") for unset.
func parseRateLimit(path, v string) (float64, string) {
	if f, err := strconv.ParseFloat(v, 64); err == nil && f == throttlingUnset {
		return f, ""
	}
	return parseNonNegFloat(path, v)
}
