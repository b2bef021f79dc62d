package apigateway

// Authorizer types.
const (
	AuthorizerToken            = "TOKEN"
	AuthorizerRequest          = "REQUEST"
	AuthorizerCognitoUserPools = "COGNITO_USER_POOLS"
)

// Method authorization types.
const (
	AuthorizationNone             = "NONE"
	AuthorizationAWSIAM           = "AWS_IAM"
	AuthorizationCustom           = "CUSTOM"
	AuthorizationCognitoUserPools = "COGNITO_USER_POOLS"
)

// DefaultAuthorizerResultTTL is authorizerResultTtlInSeconds when an authorizer does not
// set it: 300 seconds, AWS's default.
const DefaultAuthorizerResultTTL = 300

// Authorizer is AWS's Authorizer shape. An API's authorizers live in its RestAPIDocument
// (Authorizers), so a deployment snapshots them with the methods that use them.
type Authorizer struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	ProviderARNs []string `json:"providerARNs,omitempty"`
	AuthType     string   `json:"authType,omitempty"`
	// AuthorizerURI is the Lambda function's invocation URI (TOKEN and REQUEST):
	// arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations.
	AuthorizerURI         string `json:"authorizerUri,omitempty"`
	AuthorizerCredentials string `json:"authorizerCredentials,omitempty"`
	// IdentitySource is a comma-separated list of mapping expressions
	// ("method.request.header.Authorization, method.request.querystring.token").
	IdentitySource               string `json:"identitySource,omitempty"`
	IdentityValidationExpression string `json:"identityValidationExpression,omitempty"`
	// AuthorizerResultTTLInSeconds is nil when not set: DefaultAuthorizerResultTTL applies
	// to TOKEN and REQUEST authorizers. 0 turns caching off.
	AuthorizerResultTTLInSeconds *int `json:"authorizerResultTtlInSeconds,omitempty"`
}

// TestInvokeAuthorizerRequest is AWS's TestInvokeAuthorizerRequest body (the API and
// authorizer ids are in the URI).
type TestInvokeAuthorizerRequest struct {
	Headers             map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders   map[string][]string `json:"multiValueHeaders,omitempty"`
	PathWithQueryString string              `json:"pathWithQueryString,omitempty"`
	Body                string              `json:"body,omitempty"`
	StageVariables      map[string]string   `json:"stageVariables,omitempty"`
	AdditionalContext   map[string]string   `json:"additionalContext,omitempty"`
}

// TestInvokeAuthorizerResponse is AWS's TestInvokeAuthorizerResponse.
type TestInvokeAuthorizerResponse struct {
	ClientStatus  int                 `json:"clientStatus"`
	Log           string              `json:"log"`
	Latency       int64               `json:"latency"`
	PrincipalID   string              `json:"principalId,omitempty"`
	Policy        string              `json:"policy,omitempty"`
	Authorization map[string][]string `json:"authorization,omitempty"`
	Claims        map[string]string   `json:"claims,omitempty"`
}
