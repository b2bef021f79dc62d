package awsjson

import (
	"strconv"
	"strings"
)

// PatchOperation is AWS's PatchOperation: one change of an Update* call. Paths use JSON
// Pointer escaping: "~1" stands for "/" and "~0" for "~" inside one segment.
type PatchOperation struct {
	Op    string  `json:"op"`
	Path  string  `json:"path"`
	Value *string `json:"value,omitempty"`
	From  string  `json:"from,omitempty"`
}

// PatchRequest is the body of every Update* call.
type PatchRequest struct {
	PatchOperations []PatchOperation `json:"patchOperations"`
}

// MaxPatchOperations bounds the patch operations of one Update* call. AWS documents no such
// quota (botocore's ListOfPatchOperation has no length constraint, and limits.md lists none),
// so this is gatehouse's deliberate bound: five times the largest update AWS's own quotas
// allow (100 stage variables replaced, remove and add, are 200 operations), and small enough
// that a hostile caller cannot make one call cost more than a few milliseconds.
const MaxPatchOperations = 1000

// DecodePatch reads an Update* call's body. More than max operations is a
// BadRequestException naming the bound; each operation is then applied once, so a call's
// cost grows linearly with its operations.
func DecodePatch(body []byte, max int) ([]PatchOperation, error) {
	var in PatchRequest
	if err := Decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.PatchOperations) > max {
		return nil, BadRequest("Too many patch operations: %d. At most %d are allowed in one request.", len(in.PatchOperations), max)
	}
	return in.PatchOperations, nil
}

// Patch operation names.
const (
	OpAdd     = "add"
	OpRemove  = "remove"
	OpReplace = "replace"
	OpMove    = "move"
	OpCopy    = "copy"
	OpTest    = "test"
)

// OpProblems returns the ValidationException problems of ops whose op is not in the service
// model's Op enum, numbered from 1 as AWS does, under the operation's input name (e.g.
// "updateMethodResponseInput"). Recorded: localstack's
// test_update_method_response_wrong_operations, test_update_gateway_response
// "update-gateway-wrong-op".
func OpProblems(input string, ops []PatchOperation) []string {
	var problems []string
	for i, op := range ops {
		if p := EnumProblem("Op", input+".patchOperations."+strconv.Itoa(i+1)+".member.op", op.Op); p != "" {
			problems = append(problems, p)
		}
	}
	return problems
}

// Val returns the operation's value, "" when absent.
func (p PatchOperation) Val() string {
	if p.Value == nil {
		return ""
	}
	return *p.Value
}

// Segments splits a patch path into its unescaped segments: "/a~1b/c" → ["a/b", "c"]. The root
// path "/" gives one empty segment.
func Segments(path string) []string {
	if !strings.HasPrefix(path, "/") {
		return nil
	}
	parts := strings.Split(path[1:], "/")
	for i, s := range parts {
		parts[i] = Unescape(s)
	}
	return parts
}

// Unescape undoes JSON Pointer escaping of one segment.
func Unescape(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
}
