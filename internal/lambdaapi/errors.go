package lambdaapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Error is a Lambda API error as Lambda renders it: x-amzn-ErrorType names Type and the body
// is {"Type":"User","message":...}. The botocore model spells the message member "Message"
// for some errors (ResourceNotFoundException, ServiceException, InvalidRuntimeException) and
// "message" for the rest; Lambda answers with the model's spelling. Validation and
// authentication errors carry only {"message"} (plain).
type Error struct {
	Status  int
	Type    string
	Message string
	Reason  string // TooManyRequestsException's Reason (ThrottleReason); empty for the rest
	plain   bool
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// errService is what every unexpected failure becomes on the wire; the cause is logged.
var errService = &Error{Status: http.StatusInternalServerError, Type: "ServiceException", Message: "An internal error occurred"}

// writeError renders err; anything that is not an *Error is a ServiceException.
func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = errService
	}
	var body any
	switch {
	case e.plain:
		body = struct {
			Message string `json:"message"`
		}{e.Message}
	case e.Type == "ResourceNotFoundException" || e.Type == "InvalidRuntimeException":
		body = struct {
			Type    string `json:"Type"`
			Message string `json:"Message"`
		}{"User", e.Message}
	case e.Type == "ServiceException":
		body = struct {
			Type    string `json:"Type"`
			Message string `json:"Message"`
		}{"Service", e.Message}
	default:
		body = struct {
			Type    string `json:"Type"`
			Message string `json:"message"`
			Reason  string `json:"Reason,omitempty"`
		}{"User", e.Message, e.Reason}
	}
	w.Header().Set("x-amzn-ErrorType", e.Type)
	writeJSON(w, e.Status, body)
}

// writeJSON writes v with status, HTML characters unescaped as AWS sends them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		buf.WriteString(`{"Type":"Service","Message":"An internal error occurred"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func notFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Type: "ResourceNotFoundException", Message: fmt.Sprintf(format, args...)}
}

func invalidParameter(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: "InvalidParameterValueException", Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Type: "ResourceConflictException", Message: fmt.Sprintf(format, args...)}
}

func invalidRequestContent(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: "InvalidRequestContentException", Message: fmt.Sprintf(format, args...)}
}

// errReservedConcurrencyExceeded is Lambda's answer to invoking a function whose reserved
// concurrency is 0.
var errReservedConcurrencyExceeded = &Error{Status: http.StatusTooManyRequests, Type: "TooManyRequestsException",
	Message: "Rate Exceeded.", Reason: "ReservedFunctionConcurrentInvocationLimitExceeded"}

// errPrecondition is Lambda's answer to a stale RevisionId.
var errPrecondition = &Error{Status: http.StatusPreconditionFailed, Type: "PreconditionFailedException",
	Message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}

// validation is the ValidationException for the model's constraints, every problem at once:
// "2 validation errors detected: Value '0' at 'timeout' failed to satisfy constraint: ...; ...".
func validation(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	noun := "validation errors"
	if len(problems) == 1 {
		noun = "validation error"
	}
	return &Error{Status: http.StatusBadRequest, Type: "ValidationException", plain: true,
		Message: fmt.Sprintf("%d %s detected: %s", len(problems), noun, strings.Join(problems, "; "))}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
