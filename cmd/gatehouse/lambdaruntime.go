package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/lambda"
)

// runtimeList is the repeatable --lambda-runtime RUNTIME=INTERPRETER: the interpreter that
// runs functions of an AWS managed runtime (python3.12=/usr/bin/python3.11), instead of the
// family's default looked up on PATH (python3, node).
type runtimeList struct{ pairList }

// parseRuntimeEntry splits one RUNTIME=INTERPRETER entry: RUNTIME one of the managed
// runtimes (lambda.ManagedRuntime), INTERPRETER a non-empty path or command (its own
// existence is checked when the Lambda runtime starts, which runs it once).
func parseRuntimeEntry(e string) (runtime, interpreter string, err error) {
	runtime, interpreter, ok := strings.Cut(e, "=")
	runtime, interpreter = strings.TrimSpace(runtime), strings.TrimSpace(interpreter)
	if !ok || runtime == "" || interpreter == "" {
		return "", "", fmt.Errorf("%q is not RUNTIME=INTERPRETER (e.g. python3.12=/usr/bin/python3.11)", e)
	}
	if !lambda.ManagedRuntime(runtime) {
		return "", "", fmt.Errorf("%q is not a runtime that runs with an interpreter (python3.9 ... python3.14, nodejs18.x ... nodejs24.x)", runtime)
	}
	if strings.ContainsAny(interpreter, "\x00\n") {
		return "", "", errors.New(runtime + ": the interpreter path holds a NUL or newline")
	}
	return runtime, interpreter, nil
}

// problems lists every malformed entry, and a runtime named twice.
func (l runtimeList) problems() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range l.pairList {
		rt, _, err := parseRuntimeEntry(e)
		if err != nil {
			out = append(out, "lambda-runtime: "+err.Error())
			continue
		}
		if seen[rt] {
			out = append(out, fmt.Sprintf("lambda-runtime: %s given twice", rt))
		}
		seen[rt] = true
	}
	return out
}
