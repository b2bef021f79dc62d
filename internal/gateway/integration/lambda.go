package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/mapping"
	"github.com/gatehouse/gatehouse/internal/lambdacall"
)

// LambdaInvoker invokes a Lambda function: the local runtime or a remote Lambda API. It is
// the data plane's one way to call a function (integrations and Lambda authorizers alike),
// so every call carries the source ARN a function's resource policy is checked against
// (*lambda.Invoker implements it; cmd/gatehouse checks that at compile time).
// Result.FunctionError is Lambda's X-Amz-Function-Error ("Unhandled"), "" when the function
// succeeded; Result.Payload is then the function's result, else its error document
// ({"errorMessage": ..., "errorType": ...}). err is a failure to invoke at all.
type LambdaInvoker interface {
	Invoke(ctx context.Context, in lambdacall.Invocation) (lambdacall.Result, error)
}

// functionNotFound is an invoker's error for a function that does not exist.
type functionNotFound interface{ FunctionNotFound() bool }

// throttled is an invoker's error for an invocation Lambda throttled (429
// TooManyRequestsException).
type throttled interface{ Throttled() bool }

// accessDenied is an invoker's error for a function whose policy does not let API Gateway
// invoke it.
type accessDenied interface{ AccessDenied() bool }

// lambdaURIPath and lambdaURISuffix frame the function ARN in a Lambda integration URI:
// arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{functionArn}/invocations,
// whose account part is "lambda" (the service) and resource part "path/...". The part after
// "path" is the path of Lambda's Invoke operation, which AWS's developer guide writes with
// its own leading slash (":lambda:path//2015-03-31/functions/...",
// integration-request-basic-setup): the doubled slash names the same function.
const (
	lambdaURIPath   = "path/"
	lambdaInvoke    = "2015-03-31/functions/"
	lambdaURISuffix = "/invocations"
)

// IsLambdaURI reports whether uri is a Lambda integration URI,
// arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{fn}/invocations
// (or path//2015-03-31/...), which makes an AWS integration a Lambda (non-proxy) one.
func IsLambdaURI(uri string) bool {
	_, err := lambdaFunction(uri)
	return err == nil
}

// lambdaFunction returns the function ARN (or name) of a Lambda integration URI.
func lambdaFunction(uri string) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("lambda integration uri %q: %s; want arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{functionArn}/invocations", uri, why)
	}
	if !strings.HasPrefix(uri, "arn:") {
		return "", bad("not an ARN")
	}
	a, err := arn.Parse(uri)
	if err != nil || a.Service != "apigateway" {
		return "", bad("not an apigateway ARN")
	}
	rest, ok := strings.CutPrefix(a.Resource, lambdaURIPath)
	if a.AccountID != "lambda" || !ok {
		return "", bad("not a Lambda invocation path")
	}
	// path//2015-03-31/..., as AWS's guide writes it, is the same path.
	op := strings.TrimPrefix(rest, "/")
	op, ok = strings.CutPrefix(op, lambdaInvoke)
	if !ok {
		return "", bad("not a Lambda invocation path")
	}
	fn, ok := strings.CutSuffix(op, lambdaURISuffix)
	if !ok || fn == "" {
		return "", bad("no function")
	}
	return fn, nil
}

// lambdaIntegration is AWS_PROXY (payload format 1.0) and AWS with a Lambda URI.
type lambdaIntegration struct {
	proxy    bool
	function string // the function's ARN or name, stage variables substituted
	// configErr fails every request with 500 API_CONFIGURATION_ERROR: an integration
	// httpMethod other than POST, or no invoker (a function named by a stage variable the
	// stage lacks is a StageValueError). AWS accepts such integrations and fails at run time.
	configErr *invoke.Error
	sourceARN string
	timeout   time.Duration
	invoker   LambdaInvoker
	// invocationType is the source of integration.request.header.X-Amz-Invocation-Type
	// (non-proxy only): 'Event' for every request, or method.request.header.InvocationType
	// for the client to choose (AWS: set-up-lambda-integration-async). nil: RequestResponse.
	invocationType *source
	binary         mediaTypes // the API's binaryMediaTypes

	bufs sync.Pool // *[]byte: event buffers (AWS_PROXY)

	nonProxy // AWS (non-proxy) only
}

// NewLambdaProxy compiles an AWS_PROXY integration: the request becomes a payload format
// 1.0 event, the function's answer the response.
func NewLambdaProxy(c Config) (invoke.Handler, error) { return newLambda(c, true) }

// NewLambda compiles an AWS integration whose URI names a Lambda function: the request
// template builds the payload, the function's result (or error) the integration response.
func NewLambda(c Config) (invoke.Handler, error) { return newLambda(c, false) }

func newLambda(c Config, proxy bool) (*lambdaIntegration, error) {
	in := c.Integration
	uri, missing := substituteStageVariables(in.URI, c.StageVariables)
	fn, err := lambdaFunction(uri)
	if err == nil && missing != "" {
		// A stage may lack the variable another stage names its function with.
		err = fmt.Errorf("lambda integration uri %q: stage variable %q is not set on this stage", in.URI, missing)
	}
	if err != nil {
		return nil, stageValueError(in.URI, uri, err)
	}
	l := &lambdaIntegration{
		proxy:     proxy,
		function:  fn,
		sourceARN: c.SourceARN,
		timeout:   timeout(in.TimeoutInMillis),
		invoker:   c.Lambda,
		binary:    mediaTypes(c.BinaryMediaTypes),
	}
	l.bufs.New = func() any { b := make([]byte, 0, 4<<10); return &b }
	switch {
	case in.HTTPMethod != http.MethodPost:
		// Lambda is invoked with POST; AWS answers 500 otherwise (AWS_REFERENCE section 2,
		// recorded). AWS also refuses other methods for AWS_PROXY at PutIntegration.
		l.configErr = invoke.ConfigurationError.Because(
			fmt.Errorf("lambda integration httpMethod is %q; Lambda functions are invoked with POST", in.HTTPMethod))
	case c.Lambda == nil:
		l.configErr = invoke.ConfigurationError.Because(
			errors.New("no Lambda invoker is configured"))
	case refusedMapping(in.RequestParameters, true):
		// AWS refuses these header mappings on Lambda integrations too, proxy or not
		// (recorded: TestApiGatewayHeaderRemapping[AWS], [AWS_PROXY]).
		l.configErr = refusedMappingError()
	}
	if !proxy {
		if l.nonProxy, err = compileNonProxy(c); err != nil {
			return nil, err
		}
		for k, v := range in.RequestParameters {
			name, ok := strings.CutPrefix(k, "integration.request.header.")
			if !ok || !strings.EqualFold(name, invocationTypeHeader) {
				continue
			}
			src, err := parseSource(v, c.StageVariables, false)
			if err != nil {
				return nil, fmt.Errorf("compile request parameters: requestParameters[%q]: %v", k, err)
			}
			l.invocationType = &src
		}
	}
	return l, nil
}

// Invoke implements invoke.Handler.
func (l *lambdaIntegration) Invoke(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
	if l.configErr != nil {
		return nil, l.configErr
	}
	inv.AnswerTrace = true // Lambda answers carry the request's trace (a function's own is dropped)
	if l.proxy {
		return l.invokeProxy(ctx, inv)
	}
	return l.invokeNonProxy(ctx, inv)
}

// maxPooledEvent is the largest event buffer kept for reuse, in bytes.
const maxPooledEvent = 256 << 10

func (l *lambdaIntegration) invokeProxy(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
	bp := l.bufs.Get().(*[]byte)
	event := appendProxyEvent((*bp)[:0], inv, l.binary)
	out, fnErr, err := l.call(ctx, lambdacall.RequestResponse, event)
	if err == nil && cap(event) <= maxPooledEvent {
		// Only a finished call gives the buffer back: after a timeout the invoker may
		// still be reading it.
		*bp = event[:0]
		l.bufs.Put(bp)
	}
	if err != nil {
		return nil, err
	}
	if fnErr != "" {
		// AWS: "Lambda execution failed with status 200 due to customer function error".
		return nil, invoke.LambdaFailed.Because(
			fmt.Errorf("lambda function %s failed (%s): %s", l.function, fnErr, truncate(out, 512)))
	}
	accept, _ := inv.Request.HeaderValue("Accept")
	resp, err := parseProxyResponse(out, l.binary.acceptsBinary(accept))
	if err != nil {
		// AWS: "Execution failed due to configuration error: Malformed Lambda proxy response".
		return nil, invoke.LambdaFailed.Because(
			fmt.Errorf("malformed Lambda proxy response from %s: %w: %s", l.function, err, truncate(out, 512)))
	}
	return resp, nil
}

func (l *lambdaIntegration) invokeNonProxy(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
	var ov mapping.Overrides
	payload, err := l.requestPayload(inv, &ov)
	if err != nil {
		return nil, err
	}
	if len(payload) == 0 {
		// Lambda's Invoke without a payload hands the function {}.
		payload = emptyObject
	}
	typ, err := l.invocationTypeOf(inv)
	if err != nil {
		return nil, err
	}
	out, fnErr, err := l.call(ctx, typ, payload)
	if err != nil {
		return nil, err
	}
	if typ == lambdacall.Event {
		// Lambda queued the event and answered 202 with no body: the default integration
		// response maps an empty body (AWS: "the front-end REST API method doesn't return
		// the result").
		out = out[:0]
	}
	// selectionPattern matches a function error's errorMessage, and "" for a success.
	message := ""
	if fnErr != "" {
		message = errorMessage(out)
	}
	ir, err := l.responses.selectError(message)
	if err != nil {
		return nil, err
	}
	return ir.methodResponse(inv, nil, out, &ov)
}

var emptyObject = []byte("{}")

// invocationTypeHeader is the Lambda Invoke header a non-proxy integration's request
// parameters may map to choose an asynchronous invocation.
const invocationTypeHeader = "X-Amz-Invocation-Type"

// invocationTypeOf is the invocation type the integration's X-Amz-Invocation-Type mapping
// gives this request: RequestResponse without one (or when its source is absent, as AWS
// then sends no header). A value Lambda does not take is Lambda's 400
// InvalidParameterValueException, which API Gateway answers 500.
func (l *lambdaIntegration) invocationTypeOf(inv *invoke.Invocation) (lambdacall.InvocationType, error) {
	if l.invocationType == nil {
		return lambdacall.RequestResponse, nil
	}
	v, many, ok := l.invocationType.values(inv, nil, &mappedBody{raw: inv.Request.Body})
	if many != nil {
		v, ok = many[len(many)-1], true
	}
	switch t := lambdacall.InvocationType(v); {
	case !ok || v == "" || t == lambdacall.RequestResponse:
		return lambdacall.RequestResponse, nil
	case t == lambdacall.Event:
		return lambdacall.Event, nil
	}
	return "", invoke.Internal.Because(fmt.Errorf("lambda function %s: X-Amz-Invocation-Type %q is not RequestResponse or Event", l.function, v))
}

// call invokes the function within the integration's timeout, mapping a failure to invoke
// as AWS does: our deadline is 504 INTEGRATION_TIMEOUT "Endpoint request timed out"; a
// function that does not exist or may not be invoked by this API is a configuration error
// (500, logged by AWS as "Invalid permissions on Lambda function"); anything else (Lambda
// throttling, a runtime that cannot start the function) is 500 "Internal server error"
// (AWS maps Lambda's 429 and 5XX to 500: repost.aws knowledge-center
// api-gateway-internal-server-error).
func (l *lambdaIntegration) call(ctx context.Context, typ lambdacall.InvocationType, payload []byte) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	res, err := l.invoker.Invoke(ctx, lambdacall.Invocation{
		FunctionARN: l.function, SourceARN: l.sourceARN, Type: typ, Payload: payload,
	})
	if err == nil {
		return res.Payload, res.FunctionError, nil
	}
	var nf functionNotFound
	var ad accessDenied
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return nil, "", invoke.Timeout.Because(err)
	case errors.As(err, &nf) && nf.FunctionNotFound():
		return nil, "", invoke.ConfigurationError.Because(fmt.Errorf("invoke lambda function %s: %w", l.function, err))
	case errors.As(err, &ad) && ad.AccessDenied():
		return nil, "", invoke.ConfigurationError.Because(fmt.Errorf("invalid permissions on lambda function %s: %w", l.function, err))
	}
	var th throttled
	if errors.As(err, &th) && th.Throttled() {
		// Lambda's 429 TooManyRequestsException (reserved concurrency reached): API
		// Gateway answers 500 {"message": "Internal server error"}, as for any invocation
		// Lambda rejects (AWS Lambda developer guide, services-apigateway-errors).
		return nil, "", invoke.LambdaUnavailable.Because(fmt.Errorf("lambda function %s throttled: %w", l.function, err))
	}
	return nil, "", invoke.LambdaUnavailable.Because(
		fmt.Errorf("invoke lambda function %s: %w", l.function, err))
}

// errorMessage is the errorMessage of a function's error document, "" when it has none.
func errorMessage(out []byte) string {
	s := scanner{b: out}
	s.ws()
	if !s.eat('{') {
		return ""
	}
	for {
		s.ws()
		if s.eat('}') {
			return ""
		}
		key, err := s.str()
		if err != nil {
			return ""
		}
		s.ws()
		if !s.eat(':') {
			return ""
		}
		s.ws()
		if string(key) == "errorMessage" && s.peek() == '"' {
			v, err := s.str()
			if err != nil {
				return ""
			}
			return string(v)
		}
		if err := s.skip(0); err != nil {
			return ""
		}
		s.ws()
		if !s.eat(',') {
			return ""
		}
	}
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
