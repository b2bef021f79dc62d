// Package awsjson speaks the REST-JSON wire protocol of AWS's apigateway service: AWS-shaped
// errors, JSON bodies, pagination and patch operations.
package awsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/awsapi"
)

// Error is a management API error as AWS renders it: the x-amzn-ErrorType header names Type
// and the body is {"message": Message}.
type Error struct {
	Status  int
	Type    string
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// NotFound is AWS's NotFoundException (404).
func NotFound(format string, args ...any) *Error {
	return &Error{http.StatusNotFound, "NotFoundException", fmt.Sprintf(format, args...)}
}

// BadRequest is AWS's BadRequestException (400).
func BadRequest(format string, args ...any) *Error {
	return &Error{http.StatusBadRequest, "BadRequestException", fmt.Sprintf(format, args...)}
}

// Conflict is AWS's ConflictException (409).
func Conflict(format string, args ...any) *Error {
	return &Error{http.StatusConflict, "ConflictException", fmt.Sprintf(format, args...)}
}

// LimitExceeded is AWS's LimitExceededException (429).
func LimitExceeded(format string, args ...any) *Error {
	return &Error{http.StatusTooManyRequests, "LimitExceededException", fmt.Sprintf(format, args...)}
}

// Unauthorized is AWS's UnauthorizedException (401).
func Unauthorized(format string, args ...any) *Error {
	return &Error{http.StatusUnauthorized, "UnauthorizedException", fmt.Sprintf(format, args...)}
}

// Validation is AWS's ValidationException (400): the service model's constraints, checked
// before the operation runs, all reported at once as "N validation error(s) detected: a; b"
// (recorded: localstack's test_update_method_response_wrong_operations).
func Validation(problems []string) *Error {
	noun := "validation errors"
	if len(problems) == 1 {
		noun = "validation error"
	}
	return &Error{http.StatusBadRequest, "ValidationException", fmt.Sprintf("%d %s detected: %s", len(problems), noun, strings.Join(problems, "; "))}
}

// Internal is the error every unexpected failure becomes on the wire; the cause is logged.
var Internal = &Error{http.StatusInternalServerError, "InternalFailure", "An internal error occurred"}

// WriteError renders err. Anything that is not an *Error is rendered as Internal.
func WriteError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = Internal
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-ErrorType", e.Type)
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{e.Message})
	w.WriteHeader(e.Status)
	w.Write(b)
}

// WriteJSON writes v as the response body with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// WriteEmpty answers with status and no body, as AWS's deletes do.
func WriteEmpty(w http.ResponseWriter, status int) {
	w.WriteHeader(status)
}

// MaxBodyBytes bounds a management request body. AWS's largest inputs (ImportRestApi) take
// definitions of up to 6 MB.
const MaxBodyBytes = 6 << 20

// Decode reads a JSON request body into v. An empty body decodes as {}. Malformed JSON is a
// SerializationException-style BadRequestException, as AWS answers it.
func Decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Type != nil && te.Type.Kind() == reflect.String {
				// A string field given a boolean or a number: AWS's deserializer's words
				// (CheckInput finds these first for the model's string members).
				switch te.Value {
				case "bool":
					return serializationError("java.lang.Boolean")
				case "number":
					return serializationError("com.amazon.coral.value.json.numbers.TruncatingBigNumber")
				}
			}
			return BadRequest("Invalid value for field %q: expected %s", te.Field, te.Type)
		}
		return &Error{http.StatusBadRequest, "SerializationException", "Could not parse request body into json: " + err.Error()}
	}
	if dec.More() {
		return &Error{http.StatusBadRequest, "SerializationException", "Could not parse request body into json: trailing data"}
	}
	return nil
}

// ReadBody reads at most MaxBodyBytes of r's body.
func ReadBody(r *http.Request) ([]byte, error) {
	b, err := awsapi.ReadBody(r, MaxBodyBytes)
	if errors.Is(err, awsapi.ErrTooLarge) {
		return nil, &Error{http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "Request body too large"}
	}
	if err != nil {
		return nil, BadRequest("Could not read request body")
	}
	return b, nil
}
