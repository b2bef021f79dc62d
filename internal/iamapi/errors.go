package iamapi

import (
	"fmt"
	"net/http"
	"strings"
)

// Error is a failure in IAM's shape: the HTTP status, IAM's error code (the model's
// error.code, e.g. "NoSuchEntity") and IAM's message. The Type element (Sender or Receiver)
// follows from the status.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorType is the query protocol's <Type>: Sender for a client's fault, Receiver for ours.
func (e *Error) errorType() string {
	if e.Status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// The errors of the IAM and STS models, with their status (botocore's error.httpStatusCode)
// and IAM's wording.
func noSuchUser(name string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: "The user with name " + name + " cannot be found."}
}

func noSuchAccessKey(id string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: "The Access Key with id " + id + " cannot be found."}
}

func noSuchUserPolicy(name string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: "The user policy with name " + name + " cannot be found."}
}

func userExists(name string) *Error {
	return &Error{Status: http.StatusConflict, Code: "EntityAlreadyExists", Message: "User with name " + name + " already exists."}
}

func deleteConflict(what string) *Error {
	return &Error{Status: http.StatusConflict, Code: "DeleteConflict", Message: "Cannot delete entity, must delete " + what + " first."}
}

func limitExceeded(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "LimitExceeded", Message: fmt.Sprintf(format, args...)}
}

func malformedPolicy(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "MalformedPolicyDocument", Message: msg}
}

func invalidInput(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidInput", Message: msg}
}

// invalidAction is IAM's and STS's answer to an Action they do not have (or not at the
// Version given).
func invalidAction(action, version string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidAction", Message: "Could not find operation " + action + " for version " + version}
}

func accessDenied(callerARN, action, resource string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "AccessDenied",
		Message: "User: " + callerARN + " is not authorized to perform: " + action + " on resource: " + resource + " because no identity-based policy allows the " + action + " action"}
}

// errServiceFailure is what a failure of gatehouse's own (the store, a panic) looks like.
var errServiceFailure = &Error{Status: http.StatusInternalServerError, Code: "ServiceFailure", Message: "An internal error occurred. Try again later."}

// validation collects the model's constraint violations of one call, reported together as
// AWS's query services report them: "2 validation errors detected: Value 'a b' at 'userName'
// failed to satisfy constraint: ...; Value ...".
type validation []string

func (v *validation) add(value *string, member, constraint string) {
	shown := "null"
	if value != nil {
		shown = "'" + *value + "'"
	}
	*v = append(*v, "Value "+shown+" at '"+member+"' failed to satisfy constraint: "+constraint)
}

func (v validation) err() error {
	if len(v) == 0 {
		return nil
	}
	noun := "error"
	if len(v) > 1 {
		noun = "errors"
	}
	return &Error{Status: http.StatusBadRequest, Code: "ValidationError",
		Message: fmt.Sprintf("%d validation %s detected: %s", len(v), noun, strings.Join(v, "; "))}
}
