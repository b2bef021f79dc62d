package mgmt

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// Authorizer operations. An API's authorizers live in its head document by id
// (RestAPIDocument.Authorizers), as request validators do, so a deployment snapshots them
// with the methods that use them. A method names one with authorizerId (method.go's
// checkAuthorization).
//
// Sources of the AWS behaviours below, named beside each:
//   - [L] LocalStack's AWS-validated test_apigateway_api.snapshot.json (recorded from AWS);
//   - [T] AWS's answers quoted in Terraform, CDK and Serverless issues (the issue beside it);
//   - [B] botocore's apigateway service model (shapes, required members, enums);
//   - [M] moto's test suite (tests/test_apigateway), not recorded from AWS.
// A message marked "gatehouse's wording" was not found in any of them.

// AuthorizerRuntime is what the authorizer operations need of the data plane: cmd passes
// the gateway (mgmt never imports it). Nil answers FlushStageAuthorizersCache and
// TestInvokeAuthorizer with ErrAuthorizerRuntimeUnavailable.
type AuthorizerRuntime interface {
	// FlushStageAuthorizersCache drops the cached authorizer results of one stage.
	FlushStageAuthorizersCache(ctx context.Context, apiID, stage string) error
	// TestInvokeAuthorizer runs authorizer a (the API's current definition, not a
	// deployed one) on the simulated request in.
	TestInvokeAuthorizer(ctx context.Context, apiID string, a *apigateway.Authorizer, stageVariables map[string]string, in *apigateway.TestInvokeAuthorizerRequest) (*apigateway.TestInvokeAuthorizerResponse, error)
}

var (
	// [M] test_get_authorizer / test_update_authorizer on an unknown id ("xxx").
	errAuthorizerNotFound = awsjson.NotFound("Invalid Authorizer identifier specified")
	// [L] test_authorizer_crud_no_api "wrong-rest-api-id-create-authorizer": AWS answers
	// CreateAuthorizer on an unknown API with this conflict (and validates the authorizerUri
	// first, as the test's comment notes).
	errAuthorizerAPINotFound = awsjson.Conflict("Unable to complete operation due to concurrent modification. Please try again later.")
	// ErrAuthorizerRuntimeUnavailable answers FlushStageAuthorizersCache and
	// TestInvokeAuthorizer on a server without the data plane's authorizer runtime
	// (gatehouse's wording); a runtime that is not ready yet may return it too.
	ErrAuthorizerRuntimeUnavailable = awsjson.BadRequest("The authorizer runtime is not available: this gatehouse cannot flush or test-invoke authorizers")
)

// maxAuthorizerTTL is authorizerResultTtlInSeconds' largest value: [B] Authorizer
// "The maximum value is 3600, or 1 hour"; 0 turns caching off.
const maxAuthorizerTTL = 3600

// authorizerTypes are [B] AuthorizerType's values (the model's enum is checked before a
// handler runs; UpdateAuthorizer's /type is checked here).
var authorizerTypes = []string{apigateway.AuthorizerToken, apigateway.AuthorizerRequest, apigateway.AuthorizerCognitoUserPools}

var (
	// A Lambda invocation URI: arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/
	// functions/{function ARN}/invocations ([B] Authorizer.authorizerUri). The region must
	// be a region's name: [T] terraform-provider-aws#1757, where AWS refused the literal
	// "region". The function ARN may name its function through a stage variable
	// (${stageVariables.fn}), as AWS allows for Lambda URIs.
	lambdaInvocationURI = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):apigateway:[a-z]{2}(-[a-z]+)+-[0-9]+:lambda:path/2015-03-31/functions/arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):lambda:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:function:[^/\s]+/invocations$`)
	// TOKEN's source: [T] aws-cdk#6330 and serverless#4428 quote AWS's pattern.
	tokenSource = regexp.MustCompile(`^method\.request\.header\.[a-zA-Z0-9._-]+$`)
	// REQUEST's sources ([A] api-gateway-lambda-authorizer-input: headers, query strings,
	// stage variables and $context; path parameters cannot be identity sources).
	requestSource = regexp.MustCompile(`^(method\.request\.(header|querystring)\.[a-zA-Z0-9._-]+|stageVariables\.[a-zA-Z0-9_]+|context\.[a-zA-Z0-9._-]+)$`)
	// A Cognito user pool ARN ([B] providerARNs: arn:aws:cognito-idp:{region}:{account_id}:userpool/{user_pool_id}).
	userPoolARN = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):cognito-idp:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:userpool/[\w-]+_[0-9a-zA-Z]+$`)
	// An IAM role ARN for authorizerCredentials.
	roleARN = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
)

// javaString is how AWS's messages print an absent value (Java's null).
func javaString(v string, set bool) string {
	if !set {
		return "null"
	}
	return v
}

// authorizerProblems returns every problem of an authorizer, in the order AWS's fields are
// listed. Absent optional values are "" (the ttl nil, as the caller fills AWS's default in
// before checking).
func authorizerProblems(a *apigateway.Authorizer) []string {
	var problems []string
	if strings.TrimSpace(a.Name) == "" {
		problems = append(problems, "Authorizer name must be non-empty") // gatehouse's wording
	}
	if !slices.Contains(authorizerTypes, a.Type) {
		// The model's enum message, as CreateAuthorizer's input check words it.
		problems = append(problems, fmt.Sprintf("Invalid authorizer type specified: %s. Valid options are %s", a.Type, strings.Join(authorizerTypes, ",")))
		return problems
	}
	lambda := a.Type != apigateway.AuthorizerCognitoUserPools
	if lambda && !lambdaInvocationURI.MatchString(a.AuthorizerURI) {
		// [T] terraform-provider-aws#1757: "Invalid Authorizer URI: {uri}. Authorizer URI
		// should be ...". An absent URI prints as Java's null (not recorded).
		problems = append(problems, fmt.Sprintf("Invalid Authorizer URI: %s. Authorizer URI should be a valid API Gateway ARN that represents a Lambda function invocation.", javaString(a.AuthorizerURI, a.AuthorizerURI != "")))
	}
	if !lambda {
		if len(a.ProviderARNs) == 0 {
			problems = append(problems, "Provider ARNs must be specified for a COGNITO_USER_POOLS authorizer") // gatehouse's wording
		}
		for _, p := range a.ProviderARNs {
			if !userPoolARN.MatchString(p) {
				problems = append(problems, "Invalid provider ARN specified: "+p+". It must be a Cognito user pool ARN") // gatehouse's wording
			}
		}
	}
	ttl := apigateway.DefaultAuthorizerResultTTL
	if a.AuthorizerResultTTLInSeconds != nil {
		ttl = *a.AuthorizerResultTTLInSeconds
	}
	if ttl < 0 || ttl > maxAuthorizerTTL {
		problems = append(problems, fmt.Sprintf("Invalid authorizer result TTL specified: %d. It must be between 0 and %d seconds", ttl, maxAuthorizerTTL)) // gatehouse's wording; the range is [B]'s
	}
	switch a.Type {
	case apigateway.AuthorizerToken, apigateway.AuthorizerCognitoUserPools:
		// A token from one header ([T] aws-cdk#6330: a list is refused with this message).
		if !tokenSource.MatchString(a.IdentitySource) {
			problems = append(problems, fmt.Sprintf("Invalid token source expression: %s. The source must be a method request header, matching 'method.request.header.[a-zA-Z0-9._-]+'", javaString(a.IdentitySource, a.IdentitySource != "")))
		}
	case apigateway.AuthorizerRequest:
		if strings.TrimSpace(a.IdentitySource) == "" {
			if ttl > 0 {
				// [B] Authorizer.identitySource: "When the authorization caching is not
				// enabled, this property is optional." The words are AWS's for HTTP APIs
				// ([T] terraform-provider-aws#32629); not recorded for REST APIs.
				problems = append(problems, "Identity source must be set if authorizer caching is enabled (TTL is greater than 0)")
			}
			break
		}
		for _, src := range strings.Split(a.IdentitySource, ",") {
			if src = strings.TrimSpace(src); !requestSource.MatchString(src) {
				problems = append(problems, "Invalid identity source expression: "+src+". The source must be a method request header or query string, a stage variable or a context variable") // gatehouse's wording
			}
		}
	}
	if a.IdentityValidationExpression != "" && a.Type == apigateway.AuthorizerToken {
		// AWS compiles it as a Java regular expression; gatehouse as Go's RE2, which lacks
		// look-around and back-references (docs: differences).
		if _, err := regexp.Compile(a.IdentityValidationExpression); err != nil {
			problems = append(problems, "Invalid identity validation expression specified: "+a.IdentityValidationExpression) // gatehouse's wording
		}
	}
	if a.AuthorizerCredentials != "" && lambda && !roleARN.MatchString(a.AuthorizerCredentials) {
		problems = append(problems, "Invalid ARN specified in the request") // PutIntegration's wording for its credentials
	}
	return problems
}

type createAuthorizerInput struct {
	Name                         string   `json:"name"`
	Type                         string   `json:"type"`
	ProviderARNs                 []string `json:"providerARNs"`
	AuthType                     string   `json:"authType"`
	AuthorizerURI                string   `json:"authorizerUri"`
	AuthorizerCredentials        string   `json:"authorizerCredentials"`
	IdentitySource               string   `json:"identitySource"`
	IdentityValidationExpression string   `json:"identityValidationExpression"`
	AuthorizerResultTTLInSeconds *int     `json:"authorizerResultTtlInSeconds"`
}

// CreateAuthorizer is POST /restapis/{restapi_id}/authorizers: 201 with the authorizer. An
// absent authorizerResultTtlInSeconds is stored and answered as 300, AWS's default ([B]
// "If this field is not set, the default value is 300"; [M] answers it too), so that a
// client reading it back sees what AWS shows. The authorizer is validated before the API
// is looked up, as AWS does ([L] "wrong-rest-api-id-create-authorizer").
func (s *Server) CreateAuthorizer(ctx context.Context, c *call) error {
	var in createAuthorizerInput
	if err := c.decode(&in); err != nil {
		return err
	}
	a := &apigateway.Authorizer{
		Name:                         in.Name,
		Type:                         in.Type,
		ProviderARNs:                 in.ProviderARNs,
		AuthType:                     in.AuthType,
		AuthorizerURI:                in.AuthorizerURI,
		AuthorizerCredentials:        in.AuthorizerCredentials,
		IdentitySource:               in.IdentitySource,
		IdentityValidationExpression: in.IdentityValidationExpression,
		AuthorizerResultTTLInSeconds: in.AuthorizerResultTTLInSeconds,
	}
	if a.AuthorizerResultTTLInSeconds == nil {
		ttl := apigateway.DefaultAuthorizerResultTTL
		a.AuthorizerResultTTLInSeconds = &ttl
	}
	if err := badRequestProblems(authorizerProblems(a)); err != nil {
		return err
	}
	_, err := s.updateAPIOr(ctx, c.path("restapi_id"), errAuthorizerAPINotFound, func(doc *apigateway.RestAPIDocument) error {
		a.ID = newEntryID(doc.Authorizers)
		putEntry(&doc.Authorizers, a.ID, a)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, a)
	return nil
}

// GetAuthorizer is GET /restapis/{restapi_id}/authorizers/{authorizer_id}. An unknown API
// answers as an unknown authorizer (gatehouse's choice, as for request validators).
func (s *Server) GetAuthorizer(ctx context.Context, c *call) error {
	return getEntry(ctx, s, c, "authorizer_id", errAuthorizerNotFound, authorizersOf)
}

// GetAuthorizers is GET /restapis/{restapi_id}/authorizers, in id order with position and
// limit. An unknown API is [L] "wrong-rest-api-id-get-authorizers": 404 "Invalid API
// identifier specified {account}:{id}".
func (s *Server) GetAuthorizers(ctx context.Context, c *call) error {
	return listEntries(ctx, s, c, authorizersOf)
}

func authorizersOf(doc *apigateway.RestAPIDocument) map[string]*apigateway.Authorizer {
	return doc.Authorizers
}

// authorizerPatchPaths are UpdateAuthorizer's replaceable fields, listed in the refusal of
// any other path (the form of AWS's answer for request validators and models, [L]
// "update-request-validator-invalid-path").
const authorizerPatchPaths = "[/name, /type, /authorizerUri, /authorizerCredentials, /identitySource, /identityValidationExpression, /authorizerResultTtlInSeconds, /authType, /providerARNs]"

// UpdateAuthorizer is PATCH .../authorizers/{authorizer_id}. Scalars take replace (a value
// of "" clears an optional one); /providerARNs takes add and remove of one ARN, given as
// the value or as the path's last part (/providerARNs/{arn}, its slashes escaped ~1 or
// not), as the Terraform provider sends them, and replace of the whole list
// (comma-separated). The result is validated whole, every problem reported at once.
func (s *Server) UpdateAuthorizer(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateAuthorizerInput")
	if err != nil {
		return err
	}
	var updated *apigateway.Authorizer
	_, err = s.updateAPIOr(ctx, c.path("restapi_id"), errAuthorizerNotFound, func(doc *apigateway.RestAPIDocument) error {
		cur := doc.Authorizers[c.path("authorizer_id")]
		if cur == nil {
			return errAuthorizerNotFound
		}
		a := *cur
		a.ProviderARNs = slices.Clone(cur.ProviderARNs)
		var problems []string
		var arns *awsjson.ListPatch
		for _, op := range ops {
			if rest, ok := strings.CutPrefix(op.Path, "/providerARNs"); ok && (rest == "" || rest[0] == '/') {
				if arns == nil {
					arns = awsjson.NewListPatch(a.ProviderARNs)
				}
				if p := authorizerARNsPatch(arns, op, awsjson.Unescape(strings.TrimPrefix(rest, "/"))); p != "" {
					problems = append(problems, p)
				}
				continue
			}
			field, known := authorizerField(&a, op.Path)
			if !known {
				problems = append(problems, fmt.Sprintf("Invalid patch path  '%s' specified for op '%s'. Must be one of: %s", op.Path, op.Op, authorizerPatchPaths))
				continue
			}
			if op.Op != awsjson.OpReplace {
				problems = append(problems, unsupportedPatchOp(op))
				continue
			}
			if p := field(op.Val()); p != "" {
				problems = append(problems, p)
			}
		}
		if arns != nil {
			a.ProviderARNs = arns.List()
		}
		if len(problems) == 0 {
			problems = authorizerProblems(&a)
		}
		if err := badRequestProblems(problems); err != nil {
			return err
		}
		doc.Authorizers[a.ID] = &a
		updated = &a
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, updated)
	return nil
}

// authorizerField returns the setter of a scalar patch path of a, which returns a problem
// with the value ("" for none); known is false for any other path.
func authorizerField(a *apigateway.Authorizer, path string) (set func(v string) string, known bool) {
	str := func(p *string) func(string) string {
		return func(v string) string { *p = v; return "" }
	}
	switch path {
	case "/name":
		return str(&a.Name), true
	case "/type":
		return str(&a.Type), true
	case "/authorizerUri":
		return str(&a.AuthorizerURI), true
	case "/authorizerCredentials":
		return str(&a.AuthorizerCredentials), true
	case "/identitySource":
		return str(&a.IdentitySource), true
	case "/identityValidationExpression":
		return str(&a.IdentityValidationExpression), true
	case "/authType":
		return str(&a.AuthType), true
	case "/authorizerResultTtlInSeconds":
		return func(v string) string {
			n, err := strconv.Atoi(v)
			if err != nil {
				return "Invalid authorizer result TTL specified: " + v + ". It must be a whole number of seconds" // gatehouse's wording
			}
			a.AuthorizerResultTTLInSeconds = &n
			return ""
		}, true
	}
	return nil, false
}

// authorizerARNsPatch applies one /providerARNs operation; arn is the path's part after
// /providerARNs/ ("" for the list itself).
func authorizerARNsPatch(arns *awsjson.ListPatch, op awsjson.PatchOperation, arn string) string {
	if arn == "" {
		arn = op.Val()
	}
	switch op.Op {
	case awsjson.OpAdd:
		arns.Add(arn)
	case awsjson.OpRemove:
		arns.Remove(arn)
	case awsjson.OpReplace:
		if op.Path != "/providerARNs" {
			return unsupportedPatchOp(op)
		}
		var list []string
		for _, v := range strings.Split(op.Val(), ",") {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(list, v) {
				list = append(list, v)
			}
		}
		*arns = *awsjson.NewListPatch(list)
	default:
		return unsupportedPatchOp(op)
	}
	return ""
}

// DeleteAuthorizer is DELETE .../authorizers/{authorizer_id}: 202. Refused while a method
// uses it: [T] hashicorp/terraform#6731 and #25980 quote AWS's 409 ConflictException
// "Cannot delete authorizer '{name}', is referenced in method: GET//test" (the verb, "/",
// then the resource's path). AWS names one method; gatehouse names the first in path order.
func (s *Server) DeleteAuthorizer(ctx context.Context, c *call) error {
	id := c.path("authorizer_id")
	_, err := s.updateAPIOr(ctx, c.path("restapi_id"), errAuthorizerNotFound, func(doc *apigateway.RestAPIDocument) error {
		a := doc.Authorizers[id]
		if a == nil {
			return errAuthorizerNotFound
		}
		if where, ok := authorizerUser(doc, id); ok {
			return awsjson.Conflict("Cannot delete authorizer '%s', is referenced in method: %s", a.Name, where)
		}
		deleteEntry(&doc.Authorizers, id)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}

// authorizerUser returns the first method (in resource path order) that uses authorizer
// id, as "VERB/path".
func authorizerUser(doc *apigateway.RestAPIDocument, id string) (string, bool) {
	var found string
	for where, m := range methodsByPath(doc) {
		if m.AuthorizerID != id {
			continue
		}
		path, verb := where[:strings.LastIndexByte(where, '/')], where[strings.LastIndexByte(where, '/')+1:]
		if path == "" {
			path = "/"
		}
		found = verb + "/" + path
		break
	}
	return found, found != ""
}

// FlushStageAuthorizersCache is DELETE /restapis/{restapi_id}/stages/{stage_name}/cache/authorizers:
// 202 with no body, as [B] gives no output shape and AWS answers its other cache flush
// (FlushStageCache) 202. The stage must exist (404 "Invalid stage identifier specified").
func (s *Server) FlushStageAuthorizersCache(ctx context.Context, c *call) error {
	apiID, stage := c.path("restapi_id"), c.path("stage_name")
	if _, err := s.loadStage(ctx, apiID, stage); err != nil {
		return err
	}
	if s.authorizers == nil {
		return ErrAuthorizerRuntimeUnavailable
	}
	if err := s.authorizers.FlushStageAuthorizersCache(ctx, apiID, stage); err != nil {
		return fmt.Errorf("flush authorizer cache of stage %s of API %s: %w", stage, apiID, err)
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}

// TestInvokeAuthorizer is POST /restapis/{restapi_id}/authorizers/{authorizer_id}: the
// API's current authorizer (deployed or not) run by the data plane on the request's
// headers, path, body, stage variables and additional context; 200 with AWS's
// TestInvokeAuthorizerResponse. An error the runtime returns as an *awsjson.Error is sent
// as it is.
func (s *Server) TestInvokeAuthorizer(ctx context.Context, c *call) error {
	var in apigateway.TestInvokeAuthorizerRequest
	if err := c.decode(&in); err != nil {
		return err
	}
	apiID := c.path("restapi_id")
	_, a, err := loadEntry(ctx, s, apiID, c.path("authorizer_id"), errAuthorizerNotFound, authorizersOf)
	if err != nil {
		return err
	}
	if s.authorizers == nil {
		return ErrAuthorizerRuntimeUnavailable
	}
	out, err := s.authorizers.TestInvokeAuthorizer(ctx, apiID, a, in.StageVariables, &in)
	if err != nil {
		return fmt.Errorf("test invoke authorizer %s of API %s: %w", a.ID, apiID, err)
	}
	awsjson.WriteJSON(c.w, http.StatusOK, out)
	return nil
}

// checkMethodAuthorizer returns the problem of a CUSTOM or COGNITO_USER_POOLS method's
// authorizerId: it must name an authorizer of the API whose type fits: CUSTOM takes TOKEN
// or REQUEST, COGNITO_USER_POOLS takes COGNITO_USER_POOLS. [L] test_put_method_validation
// "missing-authorizer-id" and test_update_method_validation "wrong-auth-id" (an id that
// does not exist) answer msgAuthorizerRequired; a type that does not fit is answered the
// same (not recorded).
func checkMethodAuthorizer(doc *apigateway.RestAPIDocument, m *apigateway.Method) string {
	a := doc.Authorizers[m.AuthorizerID]
	if a == nil {
		return msgAuthorizerRequired
	}
	cognito := a.Type == apigateway.AuthorizerCognitoUserPools
	if cognito != (m.AuthorizationType == apigateway.AuthorizationCognitoUserPools) {
		return msgAuthorizerRequired
	}
	return ""
}
