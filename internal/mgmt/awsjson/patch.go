package awsjson

import (
	"fmt"
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
		switch op.Op {
		case OpAdd, OpRemove, OpReplace, OpMove, OpTest, OpCopy:
		default:
			// The enum in the order AWS lists it.
			problems = append(problems, fmt.Sprintf("Value '%s' at '%s.patchOperations.%d.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]", op.Op, input, i+1))
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
