package apigateway

import (
	"strconv"
	"time"
)

// Timestamp is an instant that travels as AWS's rest-json default: seconds since the Unix
// epoch as a JSON number (botocore's "unixTimestamp").
type Timestamp time.Time

// Now returns the current time truncated to whole seconds, as AWS reports it.
func Now() Timestamp { return Timestamp(time.Now().UTC().Truncate(time.Second)) }

// MarshalJSON writes whole seconds since the epoch.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, time.Time(t).Unix(), 10), nil
}

// UnmarshalJSON accepts integer or fractional seconds since the epoch.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	sec := int64(f)
	*t = Timestamp(time.Unix(sec, int64((f-float64(sec))*1e9)).UTC())
	return nil
}

// Time returns t as a time.Time.
func (t Timestamp) Time() time.Time { return time.Time(t) }

// RestAPI is AWS's RestApi shape.
type RestAPI struct {
	ID                        string                 `json:"id"`
	Name                      string                 `json:"name"`
	Description               string                 `json:"description,omitempty"`
	CreatedDate               Timestamp              `json:"createdDate"`
	Version                   string                 `json:"version,omitempty"`
	Warnings                  []string               `json:"warnings,omitempty"`
	BinaryMediaTypes          []string               `json:"binaryMediaTypes,omitempty"`
	MinimumCompressionSize    *int                   `json:"minimumCompressionSize,omitempty"`
	APIKeySource              string                 `json:"apiKeySource,omitempty"`
	EndpointConfiguration     *EndpointConfiguration `json:"endpointConfiguration,omitempty"`
	Policy                    string                 `json:"policy,omitempty"`
	Tags                      map[string]string      `json:"tags,omitempty"`
	DisableExecuteAPIEndpoint bool                   `json:"disableExecuteApiEndpoint"`
	RootResourceID            string                 `json:"rootResourceId,omitempty"`
	SecurityPolicy            string                 `json:"securityPolicy,omitempty"`
	EndpointAccessMode        string                 `json:"endpointAccessMode,omitempty"`
	APIStatus                 string                 `json:"apiStatus,omitempty"`
	APIStatusMessage          string                 `json:"apiStatusMessage,omitempty"`
}

// EndpointConfiguration is AWS's EndpointConfiguration shape.
type EndpointConfiguration struct {
	Types          []string `json:"types,omitempty"`
	IPAddressType  string   `json:"ipAddressType,omitempty"`
	VPCEndpointIDs []string `json:"vpcEndpointIds,omitempty"`
}

// Resource is AWS's Resource shape: one node of the API's path tree.
type Resource struct {
	ID       string `json:"id"`
	ParentID string `json:"parentId,omitempty"`
	// PathPart is the last segment: a literal, "{name}" or the greedy "{name+}". Empty for
	// the root resource.
	PathPart string `json:"pathPart,omitempty"`
	// Path is the full path from the root, "/" for the root.
	Path            string             `json:"path"`
	ResourceMethods map[string]*Method `json:"resourceMethods,omitempty"`
}

// Method is AWS's Method shape. HTTPMethod is one of GET, POST, PUT, PATCH, DELETE, HEAD,
// OPTIONS or ANY.
type Method struct {
	HTTPMethod          string                     `json:"httpMethod"`
	AuthorizationType   string                     `json:"authorizationType"`
	AuthorizerID        string                     `json:"authorizerId,omitempty"`
	APIKeyRequired      bool                       `json:"apiKeyRequired"`
	RequestValidatorID  string                     `json:"requestValidatorId,omitempty"`
	OperationName       string                     `json:"operationName,omitempty"`
	RequestParameters   map[string]bool            `json:"requestParameters,omitempty"`
	RequestModels       map[string]string          `json:"requestModels,omitempty"`
	MethodResponses     map[string]*MethodResponse `json:"methodResponses,omitempty"`
	MethodIntegration   *Integration               `json:"methodIntegration,omitempty"`
	AuthorizationScopes []string                   `json:"authorizationScopes,omitempty"`
}

// MethodResponse is AWS's MethodResponse shape.
//
// The maps are omitted when nil but sent when empty: AWS echoes an empty map it was given
// (localstack test_apigateway_api.snapshot.json, test_lifecycle_method_response
// "put-method-response").
type MethodResponse struct {
	StatusCode         string            `json:"statusCode"`
	ResponseParameters map[string]bool   `json:"responseParameters,omitzero"`
	ResponseModels     map[string]string `json:"responseModels,omitzero"`
}

// Integration types.
const (
	IntegrationHTTP      = "HTTP"
	IntegrationHTTPProxy = "HTTP_PROXY"
	IntegrationMock      = "MOCK"
	IntegrationAWS       = "AWS"
	IntegrationAWSProxy  = "AWS_PROXY"
)

// Passthrough behaviours.
const (
	PassthroughWhenNoMatch     = "WHEN_NO_MATCH"
	PassthroughWhenNoTemplates = "WHEN_NO_TEMPLATES"
	PassthroughNever           = "NEVER"
)

// Content handling of integrations and integration responses; "" passes payloads through.
const (
	ContentHandlingConvertToText   = "CONVERT_TO_TEXT"
	ContentHandlingConvertToBinary = "CONVERT_TO_BINARY"
)

// DefaultTimeoutInMillis is AWS's default integration timeout, 29 s.
const DefaultTimeoutInMillis = 29000

// Integration is AWS's Integration shape.
type Integration struct {
	Type string `json:"type"`
	// HTTPMethod is the method used to call the backend ("integrationHttpMethod" in
	// PutIntegration's input, "httpMethod" on the wire of Integration).
	HTTPMethod           string                          `json:"httpMethod,omitempty"`
	URI                  string                          `json:"uri,omitempty"`
	ConnectionType       string                          `json:"connectionType,omitempty"`
	ConnectionID         string                          `json:"connectionId,omitempty"`
	Credentials          string                          `json:"credentials,omitempty"`
	RequestParameters    map[string]string               `json:"requestParameters,omitempty"`
	RequestTemplates     Templates                       `json:"requestTemplates,omitempty"`
	PassthroughBehavior  string                          `json:"passthroughBehavior,omitempty"`
	ContentHandling      string                          `json:"contentHandling,omitempty"`
	TimeoutInMillis      int                             `json:"timeoutInMillis"`
	CacheNamespace       string                          `json:"cacheNamespace,omitempty"`
	CacheKeyParameters   []string                        `json:"cacheKeyParameters"`
	IntegrationResponses map[string]*IntegrationResponse `json:"integrationResponses,omitempty"`
	TLSConfig            *TLSConfig                      `json:"tlsConfig,omitempty"`
	ResponseTransferMode string                          `json:"responseTransferMode,omitempty"`
	IntegrationTarget    string                          `json:"integrationTarget,omitempty"`
}

// TLSConfig is AWS's TlsConfig shape.
type TLSConfig struct {
	InsecureSkipVerification bool `json:"insecureSkipVerification"`
}

// IntegrationResponse is AWS's IntegrationResponse shape. The maps are omitted when nil but
// sent when empty, as AWS echoes an empty map it was given (localstack
// test_apigateway_integrations.snapshot.json, test_put_integration_responses
// "put-integration-response-get").
type IntegrationResponse struct {
	StatusCode string `json:"statusCode"`
	// SelectionPattern is a regular expression matched against the backend status code
	// (HTTP) or error message (Lambda). Empty marks the default response.
	SelectionPattern string `json:"selectionPattern,omitempty"`
	// SelectionPatternGiven says SelectionPattern was given, if empty: it is then written
	// (integration_response.go).
	SelectionPatternGiven bool              `json:"-"`
	ResponseParameters    map[string]string `json:"responseParameters,omitzero"`
	ResponseTemplates     Templates         `json:"responseTemplates,omitzero"`
	ContentHandling       string            `json:"contentHandling,omitempty"`
}

// Deployment is AWS's Deployment shape.
type Deployment struct {
	ID          string                               `json:"id"`
	Description string                               `json:"description,omitempty"`
	CreatedDate Timestamp                            `json:"createdDate"`
	APISummary  map[string]map[string]MethodSnapshot `json:"apiSummary,omitempty"`
}

// MethodSnapshot is AWS's MethodSnapshot shape (Deployment.apiSummary values).
type MethodSnapshot struct {
	AuthorizationType string `json:"authorizationType,omitempty"`
	APIKeyRequired    bool   `json:"apiKeyRequired"`
}

// Stage is AWS's Stage shape.
type Stage struct {
	DeploymentID         string                    `json:"deploymentId,omitempty"`
	ClientCertificateID  string                    `json:"clientCertificateId,omitempty"`
	StageName            string                    `json:"stageName"`
	Description          string                    `json:"description,omitempty"`
	CacheClusterEnabled  bool                      `json:"cacheClusterEnabled"`
	CacheClusterSize     string                    `json:"cacheClusterSize,omitempty"`
	CacheClusterStatus   string                    `json:"cacheClusterStatus,omitempty"`
	MethodSettings       map[string]*MethodSetting `json:"methodSettings"`
	Variables            map[string]string         `json:"variables,omitempty"`
	DocumentationVersion string                    `json:"documentationVersion,omitempty"`
	AccessLogSettings    *AccessLogSettings        `json:"accessLogSettings,omitempty"`
	CanarySettings       *CanarySettings           `json:"canarySettings,omitempty"`
	TracingEnabled       bool                      `json:"tracingEnabled"`
	WebACLArn            string                    `json:"webAclArn,omitempty"`
	Tags                 map[string]string         `json:"tags,omitempty"`
	CreatedDate          Timestamp                 `json:"createdDate"`
	LastUpdatedDate      Timestamp                 `json:"lastUpdatedDate"`
}

// MethodSetting is AWS's MethodSetting shape: per-method stage settings, keyed in
// Stage.MethodSettings by "{resource path}/{HTTP method}" ("*/*" for all).
type MethodSetting struct {
	MetricsEnabled                         bool    `json:"metricsEnabled"`
	LoggingLevel                           string  `json:"loggingLevel,omitempty"`
	DataTraceEnabled                       bool    `json:"dataTraceEnabled"`
	ThrottlingBurstLimit                   int     `json:"throttlingBurstLimit"`
	ThrottlingRateLimit                    float64 `json:"throttlingRateLimit"`
	CachingEnabled                         bool    `json:"cachingEnabled"`
	CacheTTLInSeconds                      int     `json:"cacheTtlInSeconds"`
	CacheDataEncrypted                     bool    `json:"cacheDataEncrypted"`
	RequireAuthorizationForCacheControl    bool    `json:"requireAuthorizationForCacheControl"`
	UnauthorizedCacheControlHeaderStrategy string  `json:"unauthorizedCacheControlHeaderStrategy,omitempty"`
}

// AccessLogSettings is AWS's AccessLogSettings shape.
type AccessLogSettings struct {
	Format         string `json:"format,omitempty"`
	DestinationArn string `json:"destinationArn,omitempty"`
}

// CanarySettings is AWS's CanarySettings shape.
type CanarySettings struct {
	PercentTraffic         float64           `json:"percentTraffic"`
	DeploymentID           string            `json:"deploymentId,omitempty"`
	StageVariableOverrides map[string]string `json:"stageVariableOverrides,omitempty"`
	UseStageCache          bool              `json:"useStageCache"`
}

// GatewayResponse is AWS's GatewayResponse shape.
type GatewayResponse struct {
	ResponseType       GatewayResponseType `json:"responseType"`
	StatusCode         string              `json:"statusCode,omitempty"`
	ResponseParameters map[string]string   `json:"responseParameters"`
	ResponseTemplates  map[string]string   `json:"responseTemplates"`
	DefaultResponse    bool                `json:"defaultResponse"`
}

// Account is AWS's Account shape.
type Account struct {
	CloudwatchRoleArn string            `json:"cloudwatchRoleArn,omitempty"`
	ThrottleSettings  *ThrottleSettings `json:"throttleSettings,omitempty"`
	Features          []string          `json:"features,omitempty"`
	APIKeyVersion     string            `json:"apiKeyVersion,omitempty"`
}

// ThrottleSettings is AWS's ThrottleSettings shape.
type ThrottleSettings struct {
	BurstLimit int     `json:"burstLimit"`
	RateLimit  float64 `json:"rateLimit"`
}

// AWS's account-level throttle per region: 10,000 requests a second with a burst of 5,000
// ([A] limits.md), GetAccount's throttleSettings, and what a new method setting's throttling
// starts as (test_update_stage_remove_wildcard "update-stage": burst 5000, rate 10000.0).
const (
	DefaultAccountBurstLimit = 5000
	DefaultAccountRateLimit  = 10000.0
)

// OrAccountDefault is t, or AWS's account default for the zero value (a configuration that
// sets none).
func (t ThrottleSettings) OrAccountDefault() ThrottleSettings {
	if t == (ThrottleSettings{}) {
		return ThrottleSettings{BurstLimit: DefaultAccountBurstLimit, RateLimit: DefaultAccountRateLimit}
	}
	return t
}

// Model is AWS's Model shape: a JSON Schema (draft 4) for a request or response payload of
// one content type. Schema is the schema's text as given, not parsed.
type Model struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Schema      string `json:"schema,omitempty"`
	ContentType string `json:"contentType"`
}

// RequestValidator is AWS's RequestValidator shape: what a method's requestValidatorId turns
// on.
type RequestValidator struct {
	ID                        string `json:"id"`
	Name                      string `json:"name,omitempty"`
	ValidateRequestBody       bool   `json:"validateRequestBody"`
	ValidateRequestParameters bool   `json:"validateRequestParameters"`
}

// ModelURLPrefix is what a model's URL starts with; ModelURL completes it.
const ModelURLPrefix = "https://apigateway.amazonaws.com/restapis/"

// ModelURL is the canonical URL of a model, the only form a schema's $ref may use to name
// another model of its API ([A] models-mappings-models.md: "$ref":
// "https://apigateway.amazonaws.com/restapis/{restapi_id}/models/{model_name}").
func ModelURL(apiID, name string) string { return ModelURLPrefix + apiID + "/models/" + name }

// DefaultModels returns the two models AWS creates with every REST API, with AWS's
// descriptions and schema texts byte for byte (awscli's examples/apigateway/get-models.rst;
// localstack's test_apigateway_api.snapshot.json, test_model_lifecycle "get-models"). newID
// makes their ids.
func DefaultModels(newID func() string) map[string]*Model {
	return map[string]*Model{
		"Empty": {
			ID:          newID(),
			Name:        "Empty",
			Description: "This is a default empty schema model",
			Schema:      "{\n  \"$schema\": \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Empty Schema\",\n  \"type\" : \"object\"\n}",
			ContentType: "application/json",
		},
		"Error": {
			ID:          newID(),
			Name:        "Error",
			Description: "This is a default error schema model",
			Schema:      "{\n  \"$schema\" : \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Error Schema\",\n  \"type\" : \"object\",\n  \"properties\" : {\n    \"message\" : { \"type\" : \"string\" }\n  }\n}",
			ContentType: "application/json",
		},
	}
}
