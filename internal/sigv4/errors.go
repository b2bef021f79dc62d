package sigv4

import (
	"fmt"
	"net/http"
)

// AWS error types a Verify failure carries in Error.Code. The management plane
// sends Code as x-amzn-ErrorType and Message as {"message": ...}, as AWS does.
const (
	// CodeMissingAuthenticationToken: the request carries no signature at all
	// (no Authorization header, no X-Amz-* query authentication). AWS answers
	// 403 "Missing Authentication Token" (x-amzn-ErrorType
	// MissingAuthenticationTokenException; seen in
	// brain-power/Brain-Power-Amazon-Fidgetology#29).
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"

	// CodeIncompleteSignature: the Authorization header or the query
	// authentication parameters are malformed or incomplete. The message lists
	// every missing part, e.g. "Authorization header requires 'Credential'
	// parameter. ... Authorization=<header>" (aws/chalice#828, 403 from API
	// Gateway; JSON-protocol services such as SES answer 400,
	// brendanhay/amazonka#316 — gatehouse follows API Gateway).
	CodeIncompleteSignature = "IncompleteSignatureException"

	// CodeUnrecognizedClient: the access key id is unknown. AWS answers 403
	// "The security token included in the request is invalid."
	// (iann0036/iamlive#58, a REST-JSON service like API Gateway).
	CodeUnrecognizedClient = "UnrecognizedClientException"

	// CodeInvalidSignature: the signature does not match, the timestamp is
	// outside the allowed skew, or the credential scope is wrong. 403
	// (serverless/serverless#27, aws/aws-sdk-js-v3#3796).
	CodeInvalidSignature = "InvalidSignatureException"
)

// AWS's messages, verbatim, for the errors with a fixed text.
const (
	msgMissingAuthenticationToken = "Missing Authentication Token"
	msgUnrecognizedClient         = "The security token included in the request is invalid."
	msgSignatureMismatch          = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	// AWS's wording (aws/aws-sdk-php#2469, aws/aws-sdk-js-v3#3796).
	msgHostNotSigned = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
)

// Error is a verification failure in the shape AWS reports it: the error
// type (Code), the HTTP status and the message the client sees. The canonical
// request and string to sign are filled in for signature mismatches so that
// the operator can compare them with the client's debug log; they are never
// sent to the client.
type Error struct {
	Code    string // AWS error type, one of the Code* constants
	Status  int    // HTTP status AWS answers with (403 for every type here)
	Message string // AWS's message, verbatim where known

	CanonicalRequest string // the canonical request gatehouse computed; logs only
	StringToSign     string // the string to sign gatehouse computed; logs only
}

func (e *Error) Error() string {
	return "sigv4: " + e.Code + ": " + e.Message
}

func newError(code, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Status: http.StatusForbidden, Message: msg}
}

func errMissingToken() *Error {
	return newError(CodeMissingAuthenticationToken, msgMissingAuthenticationToken)
}

func errIncomplete(format string, args ...any) *Error {
	return newError(CodeIncompleteSignature, format, args...)
}

func errInvalid(format string, args ...any) *Error {
	return newError(CodeInvalidSignature, format, args...)
}
