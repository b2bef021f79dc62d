package invoke

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// Failure is one way a request can fail that the client sees as a gateway response: the
// gateway response type AWS renders, the message it puts in $context.error.message and,
// where AWS answers with another status than the type's default, that status. The
// failures below are the whole mapping from what went wrong to what the client gets;
// integrations and the edge name one of them instead of spelling out an Error.
type Failure struct {
	Type    apigateway.GatewayResponseType
	Status  int // 0: the type's default status
	Message string
	// MessageNull: the message is null ({"message": null}), not Message.
	MessageNull bool
}

// Because returns the Error for this failure; cause is logged beside the request id and
// never sent.
func (f Failure) Because(cause error) *Error {
	return &Error{Type: f.Type, Status: f.Status, Message: f.Message, MessageNull: f.MessageNull, Err: cause}
}

// The failures, and what AWS answers for each.
var (
	// ConfigurationError is a method that cannot be served as configured: an integration
	// response or template that fails, a Lambda function that does not exist or may not be
	// invoked, a signing or role problem, a mapping to a reserved header, a 1xx status.
	// API_CONFIGURATION_ERROR, 500 {"message": "Internal server error"}; AWS logs
	// "Execution failed due to configuration error: ...".
	ConfigurationError = Failure{Type: apigateway.ResponseAPIConfigurationError, Message: "Internal server error"}

	// Timeout is the integration's deadline passing: INTEGRATION_TIMEOUT, 504
	// {"message": "Endpoint request timed out"}.
	Timeout = Failure{Type: apigateway.ResponseIntegrationTimeout, Message: "Endpoint request timed out"}

	// Unreachable is an HTTP backend that could not be called (refused, reset, DNS, TLS):
	// INTEGRATION_FAILURE, 504 {"message": "Internal server error"}.
	Unreachable = Failure{Type: apigateway.ResponseIntegrationFailure, Message: "Internal server error"}

	// BrokenAnswer is a backend answer that came but is broken (malformed, ambiguously
	// framed, oversized head, cut short): INTEGRATION_FAILURE sent as 502, as nginx answers
	// an upstream's invalid response and AWS a malformed Lambda proxy response.
	BrokenAnswer = Failure{Type: apigateway.ResponseIntegrationFailure, Status: http.StatusBadGateway, Message: "Internal server error"}

	// LambdaFailed is a Lambda proxy function that failed or answered no valid proxy
	// response: DEFAULT_5XX sent as 502 {"message": "Internal server error"} (AWS:
	// "Lambda execution failed with status 200 due to customer function error",
	// "Malformed Lambda proxy response").
	LambdaFailed = Failure{Type: apigateway.ResponseDefault5XX, Status: http.StatusBadGateway, Message: "Internal server error"}

	// LambdaUnavailable is any other failure to invoke a function (Lambda throttling, a
	// runtime that cannot start it): INTEGRATION_FAILURE sent as 500, as AWS maps
	// Lambda's 429 and 5XX (repost.aws knowledge-center api-gateway-internal-server-error).
	LambdaUnavailable = Failure{Type: apigateway.ResponseIntegrationFailure, Status: http.StatusInternalServerError, Message: "Internal server error"}

	// BadRequest is a request the gateway cannot read or route safely (a body cut short, a
	// dot segment above the root): DEFAULT_4XX, 400 {"message":"Bad Request"}.
	BadRequest = Failure{Type: apigateway.ResponseDefault4XX, Message: "Bad Request"}

	// Internal is what AWS answers with its plain DEFAULT_5XX, 500 {"message": "Internal
	// server error"} with InternalServerErrorException: a failure that is no Error (a bug,
	// an unforeseen cause), and the configuration errors AWS answers so rather than as
	// API_CONFIGURATION_ERROR (a request mapping to a header AWS refuses).
	Internal = Failure{Type: apigateway.ResponseDefault5XX, Message: "Internal server error"}

	// InvalidAPIKey is a method that requires an API key called without an enabled key of a
	// usage plan bound to the stage: INVALID_API_KEY, 403 {"message":"Forbidden"}.
	InvalidAPIKey = Failure{Type: apigateway.ResponseInvalidAPIKey, Message: "Forbidden"}

	// Throttled is a request over a token bucket's rate and burst (the usage plan's, the
	// stage method's or the account's): THROTTLED, 429 {"message":"Too Many Requests"}.
	Throttled = Failure{Type: apigateway.ResponseThrottled, Message: "Too Many Requests"}

	// QuotaExceeded is a request over its API key's usage plan quota for the period:
	// QUOTA_EXCEEDED, 429 {"message":"Limit Exceeded"}.
	QuotaExceeded = Failure{Type: apigateway.ResponseQuotaExceeded, Message: "Limit Exceeded"}

	// AuthorizerConfigurationError is a Lambda authorizer that could not be called, failed
	// with another error than "Unauthorized", timed out or answered no valid output (no
	// policyDocument, an unparsable policy, a context value that is an object):
	// AUTHORIZER_CONFIGURATION_ERROR, 500 {"message": null} (AuthorizerConfigurationException;
	// widely reported, e.g. stackoverflow 47921803 and the failure modes of dev.to/marcogrcr).
	AuthorizerConfigurationError = Failure{Type: apigateway.ResponseAuthorizerConfigurationError, MessageNull: true}

	// TooLarge is a request payload over 10485760 bytes: REQUEST_TOO_LARGE, 413 with AWS's
	// text, recorded from AWS ("413 HTTP content length exceeded 10485760 bytes." in client
	// code that handles it). AWS sends it as plain text from its front end; gatehouse renders
	// it through the gateway response (testdata/conformance/request_too_large.txtar).
	TooLarge = Failure{Type: apigateway.ResponseRequestTooLarge, Message: "HTTP content length exceeded 10485760 bytes."}

	// InvalidationDenied is a Cache-Control: max-age=0 from a caller without
	// execute-api:InvalidateCache on a cached method whose unauthorizedCacheControlHeaderStrategy
	// is FAIL_WITH_403: ACCESS_DENIED, 403 {"message":"Unauthorized"} (the developer guide's
	// "returns a 403 Unauthorized response"; the exact body is not recorded).
	InvalidationDenied = Failure{Type: apigateway.ResponseAccessDenied, Message: "Unauthorized"}
)
