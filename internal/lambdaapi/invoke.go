package lambdaapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/lambda"
)

// Invoke: POST /2015-03-31/functions/{FunctionName}/invocations. X-Amz-Invocation-Type
// RequestResponse (the default) answers 200 with the function's response, X-Amz-Function-Error
// when it failed and X-Amz-Executed-Version; Event answers 202 at once and runs the function
// in the background; DryRun checks the call and answers 204.
func (s *Server) Invoke(ctx context.Context, c *call) error {
	invocationType := c.r.Header.Get("X-Amz-Invocation-Type")
	if invocationType == "" {
		invocationType = "RequestResponse"
	}
	var problems []string
	switch invocationType {
	case "RequestResponse", "Event", "DryRun":
	default:
		problems = append(problems, fmt.Sprintf("Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", invocationType))
	}
	logType := c.r.Header.Get("X-Amz-Log-Type")
	switch logType {
	case "", "None", "Tail":
	default:
		problems = append(problems, fmt.Sprintf("Value '%s' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]", logType))
	}
	if err := validation(problems); err != nil {
		return err
	}
	if invocationType == "Event" && len(c.body) > maxEventBody {
		return &Error{Status: http.StatusRequestEntityTooLarge, Type: "RequestTooLargeException",
			Message: "Request must be smaller than " + strconv.Itoa(maxEventBody) + " bytes for the InvokeAsync operation"}
	}
	payload := c.body
	if len(payload) == 0 {
		payload = []byte("{}")
	} else if !json.Valid(payload) {
		var v any
		err := json.Unmarshal(payload, &v)
		return invalidRequestContent("Could not parse request body into json: Could not parse payload into json: %v", err)
	}
	doc, ref, err := s.functionRef(ctx, c)
	if err != nil {
		return err
	}
	// The version this invocation runs: the qualifier's, or for an alias with
	// AdditionalVersionWeights one drawn by the Invoker (InvokerConfig.Rand).
	var q *lambda.Qualified
	if s.cfg.Invoker != nil {
		q, err = s.cfg.Invoker.Resolve(ctx, ref)
	} else {
		q, err = doc.Resolve(s.cfg.Registry.Scope(), ref.Qualifier, func() float64 { return 1 })
	}
	if err != nil {
		return s.registryError(err)
	}
	fn := q.Function
	if !lambda.LocalRuntime(fn.Configuration.Runtime) {
		return &Error{Status: http.StatusBadGateway, Type: "InvalidRuntimeException",
			Message: fmt.Sprintf("The runtime parameter of %s is not supported by gatehouse: functions run locally with the provided.al2023, provided.al2 or provided runtime, or a python3.x or nodejs runtime with an interpreter", fn.Configuration.Runtime)}
	}
	if s.cfg.Invoker == nil {
		return errService
	}
	switch invocationType {
	case "DryRun":
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	case "Event":
		s.cfg.Invoker.RunEvent(fn, q.ARN, payload)
		c.w.WriteHeader(http.StatusAccepted)
		return nil
	}
	// The function's invokedFunctionArn is the ARN as invoked: an alias's, not its version's.
	opts := &lambda.InvokeOptions{InvokedARN: q.ARN}
	if logType == "Tail" {
		// The invocation's request id is the call's, as on AWS: its log's RequestId is the
		// x-amzn-RequestId of the answer.
		opts.RequestID, opts.Tail = c.w.Header().Get(awsapi.RequestIDHeader), true
	}
	res, err := s.cfg.Invoker.RunWith(ctx, fn, payload, opts)
	if err != nil {
		if errors.Is(err, lambda.ErrRuntimeNotSupported) {
			return &Error{Status: http.StatusBadGateway, Type: "InvalidRuntimeException", Message: err.Error()}
		}
		if errors.Is(err, lambda.ErrThrottled) {
			return errReservedConcurrencyExceeded
		}
		if ctx.Err() != nil {
			return nil // the client went away
		}
		return err
	}
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", q.Version)
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if opts.Tail {
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(tailLog(opts.RequestID, q.Version, fn.Configuration.MemorySize, res)))
	}
	h.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(res.Payload)
	return nil
}

// tailLog is Invoke's LogResult before base64: the last 4 KB of the invocation's log as
// Lambda writes it to CloudWatch Logs, the function's output between its START and END
// lines, then the REPORT line:
//
//	START RequestId: {id} Version: {version}    ($LATEST, or the published version that ran)
//	{output lines}
//	END RequestId: {id}
//	REPORT RequestId: {id}\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\t
//
// Billed Duration is Duration rounded up to the millisecond (AWS's granularity since
// December 2020). Max Memory Used is the process's peak resident memory, 0 where the system
// does not tell. gatehouse writes no "Init Duration" for a cold start.
func tailLog(requestID, version string, memoryMB int, res *lambda.Result) []byte {
	ms := float64(res.Duration.Microseconds()) / 1000
	billed := max(int(math.Ceil(ms)), 1)
	b := make([]byte, 0, len(res.Log)+256)
	b = append(b, "START RequestId: "+requestID+" Version: "+version+"\n"...)
	b = append(b, res.Log...)
	b = append(b, "END RequestId: "+requestID+"\n"...)
	b = fmt.Appendf(b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t\n",
		requestID, ms, billed, memoryMB, res.MaxMemoryMB)
	if len(b) > lambda.MaxLogTail {
		b = b[len(b)-lambda.MaxLogTail:]
	}
	return b
}
