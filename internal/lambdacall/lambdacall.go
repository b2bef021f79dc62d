// Package lambdacall is the vocabulary of one Lambda invocation shared by the data plane
// (internal/gateway, which may not import internal/lambda) and the Invoker that runs it
// (internal/lambda): what is invoked, from where and how, and what came back. The interface
// itself, integration.LambdaInvoker, lives where it is used; this package holds only its
// values, so that both sides name the same types. It imports nothing internal.
package lambdacall

// InvocationType is Lambda's X-Amz-Invocation-Type.
type InvocationType string

const (
	// RequestResponse runs the function and waits for its answer. The zero value means it.
	RequestResponse InvocationType = "RequestResponse"
	// Event queues the function to run asynchronously; the Result carries no payload.
	Event InvocationType = "Event"
)

// Invocation is one call of a function.
type Invocation struct {
	// FunctionARN names the function as an API Gateway integration URI does: an ARN,
	// possibly qualified with a version or alias (arn:aws:lambda:{region}:{account}:function:orders:live),
	// or a bare name.
	FunctionARN string
	// SourceARN is the calling execute-api ARN
	// (arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}/{path}, or
	// .../{api}/authorizers/{id} for an authorizer): the source the function's resource
	// policy must allow when permissions are enforced. Empty is a source no policy allows.
	SourceARN string
	// Type is RequestResponse (also "") or Event.
	Type InvocationType
	// Payload is the event; the invoker may read it until Invoke returns (an Event
	// invocation copies what it keeps).
	Payload []byte
}

// Result is what an invocation returned.
type Result struct {
	// Payload is the function's result, or its error document
	// ({"errorMessage": ..., "errorType": ...}) when FunctionError is set; nil for Event.
	Payload []byte
	// FunctionError is Lambda's X-Amz-Function-Error ("Unhandled"), "" when the function
	// succeeded.
	FunctionError string
	// ExecutedVersion is Lambda's X-Amz-Executed-Version: the version that ran ("$LATEST").
	ExecutedVersion string
}
