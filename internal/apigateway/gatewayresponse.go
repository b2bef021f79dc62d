package apigateway

// GatewayResponseType names a gateway response: the kind of failure the gateway itself
// answers for.
type GatewayResponseType string

// The 21 gateway response types of AWS's GatewayResponseType enum.
const (
	ResponseDefault4XX                   GatewayResponseType = "DEFAULT_4XX"
	ResponseDefault5XX                   GatewayResponseType = "DEFAULT_5XX"
	ResponseResourceNotFound             GatewayResponseType = "RESOURCE_NOT_FOUND"
	ResponseUnauthorized                 GatewayResponseType = "UNAUTHORIZED"
	ResponseInvalidAPIKey                GatewayResponseType = "INVALID_API_KEY"
	ResponseAccessDenied                 GatewayResponseType = "ACCESS_DENIED"
	ResponseAuthorizerFailure            GatewayResponseType = "AUTHORIZER_FAILURE"
	ResponseAuthorizerConfigurationError GatewayResponseType = "AUTHORIZER_CONFIGURATION_ERROR"
	ResponseInvalidSignature             GatewayResponseType = "INVALID_SIGNATURE"
	ResponseExpiredToken                 GatewayResponseType = "EXPIRED_TOKEN"
	ResponseMissingAuthenticationToken   GatewayResponseType = "MISSING_AUTHENTICATION_TOKEN"
	ResponseIntegrationFailure           GatewayResponseType = "INTEGRATION_FAILURE"
	ResponseIntegrationTimeout           GatewayResponseType = "INTEGRATION_TIMEOUT"
	ResponseAPIConfigurationError        GatewayResponseType = "API_CONFIGURATION_ERROR"
	ResponseUnsupportedMediaType         GatewayResponseType = "UNSUPPORTED_MEDIA_TYPE"
	ResponseBadRequestParameters         GatewayResponseType = "BAD_REQUEST_PARAMETERS"
	ResponseBadRequestBody               GatewayResponseType = "BAD_REQUEST_BODY"
	ResponseRequestTooLarge              GatewayResponseType = "REQUEST_TOO_LARGE"
	ResponseThrottled                    GatewayResponseType = "THROTTLED"
	ResponseQuotaExceeded                GatewayResponseType = "QUOTA_EXCEEDED"
	ResponseWAFFiltered                  GatewayResponseType = "WAF_FILTERED"
)

// GatewayResponseInfo is what AWS fixes for a gateway response type.
type GatewayResponseInfo struct {
	Type GatewayResponseType
	// Status is AWS's default status code; 0 for DEFAULT_4XX and DEFAULT_5XX, which have
	// none of their own.
	Status int
	// ErrorType is the x-amzn-ErrorType header value the data plane sends.
	ErrorType string
}

// gatewayResponseTypes lists every type with AWS's defaults, in the service model's enum order
// (GetGatewayResponses sorts them by name, as recorded). Source: ../shared/AWS_REFERENCE.md
// section 4 (recorded from AWS).
var gatewayResponseTypes = [...]GatewayResponseInfo{
	{ResponseDefault4XX, 0, ""},
	{ResponseDefault5XX, 0, ""},
	{ResponseResourceNotFound, 404, "ResourceNotFoundException"},
	{ResponseUnauthorized, 401, "UnauthorizedException"},
	{ResponseInvalidAPIKey, 403, "ForbiddenException"},
	{ResponseAccessDenied, 403, "AccessDeniedException"},
	{ResponseAuthorizerFailure, 500, "AuthorizerFailureException"},
	{ResponseAuthorizerConfigurationError, 500, "AuthorizerConfigurationException"},
	{ResponseInvalidSignature, 403, "InvalidSignatureException"},
	{ResponseExpiredToken, 403, "ExpiredTokenException"},
	{ResponseMissingAuthenticationToken, 403, "MissingAuthenticationTokenException"},
	{ResponseIntegrationFailure, 504, "InternalServerErrorException"},
	{ResponseIntegrationTimeout, 504, "InternalServerErrorException"},
	{ResponseAPIConfigurationError, 500, "ApiConfigurationException"},
	{ResponseUnsupportedMediaType, 415, "BadRequestException"},
	{ResponseBadRequestParameters, 400, "BadRequestException"},
	{ResponseBadRequestBody, 400, "BadRequestException"},
	{ResponseRequestTooLarge, 413, "RequestTooLargeException"},
	{ResponseThrottled, 429, "TooManyRequestsException"},
	{ResponseQuotaExceeded, 429, "LimitExceededException"},
	{ResponseWAFFiltered, 403, "WafFilteredException"},
}

// GatewayResponseTypes returns every gateway response type with AWS's defaults.
func GatewayResponseTypes() []GatewayResponseInfo { return gatewayResponseTypes[:] }

// LookupGatewayResponseType reports AWS's defaults for t, and false for an unknown type.
func LookupGatewayResponseType(t GatewayResponseType) (GatewayResponseInfo, bool) {
	for _, info := range gatewayResponseTypes {
		if info.Type == t {
			return info, true
		}
	}
	return GatewayResponseInfo{}, false
}

// Is4XX reports whether t falls back to DEFAULT_4XX (true) or DEFAULT_5XX (false).
func (i GatewayResponseInfo) Is4XX() bool {
	switch i.Type {
	case ResponseDefault4XX:
		return true
	case ResponseDefault5XX:
		return false
	}
	return i.Status < 500
}

// DefaultResponseTemplate is the body template of every default gateway response.
const DefaultResponseTemplate = `{"message":$context.error.messageString}`

// DefaultGatewayResponse returns the response AWS reports for t before any customization:
// its default status (none for DEFAULT_4XX/5XX), no parameters, the default JSON template.
func DefaultGatewayResponse(info GatewayResponseInfo) *GatewayResponse {
	gr := &GatewayResponse{
		ResponseType:       info.Type,
		ResponseParameters: map[string]string{},
		ResponseTemplates:  map[string]string{"application/json": DefaultResponseTemplate},
		DefaultResponse:    true,
	}
	if info.Status != 0 {
		gr.StatusCode = itoa(info.Status)
	}
	return gr
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
