package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/lambda"
)

// runtimeList is the repeatable --lambda-runtime RUNTIME=INTERPRETER: the interpreter that
// runs functions of an AWS managed runtime (python3.12=/usr/bin/python3.11), instead of the
// family's default looked up on PATH (python3, node). One value may also hold several
// entries separated by commas (the GATEHOUSE_LAMBDA_RUNTIME and --config form).
type runtimeList []string

func (l *runtimeList) String() string { return strings.Join(*l, ",") }

func (l *runtimeList) Set(v string) error {
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			*l = append(*l, e)
		}
	}
	return nil
}

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

// Map returns the interpreters by runtime; problems has checked the entries.
func (l runtimeList) Map() map[string]string {
	if len(l) == 0 {
		return nil
	}
	m := make(map[string]string, len(l))
	for _, e := range l {
		if rt, p, err := parseRuntimeEntry(e); err == nil {
			m[rt] = p
		}
	}
	return m
}

// problems lists every malformed entry, and a runtime named twice.
func (l runtimeList) problems() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range l {
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
