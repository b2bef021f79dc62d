package lambdaapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

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
	switch lt := c.r.Header.Get("X-Amz-Log-Type"); lt {
	case "", "None", "Tail":
	default:
		problems = append(problems, fmt.Sprintf("Value '%s' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]", lt))
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
	fn, err := s.function(ctx, c)
	if err != nil {
		return err
	}
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
		s.cfg.Invoker.RunEvent(fn, payload)
		c.w.WriteHeader(http.StatusAccepted)
		return nil
	}
	res, err := s.cfg.Invoker.Run(ctx, fn, payload)
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
	h.Set("X-Amz-Executed-Version", lambda.LatestVersion)
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	h.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(res.Payload)
	return nil
}
