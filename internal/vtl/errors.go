package vtl

import (
	"errors"
	"fmt"
	"strings"
)

// ParseError reports a template that cannot be parsed. Line and Column are 1-based;
// Column counts bytes.
type ParseError struct {
	Line, Column int
	Msg          string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// LimitError reports that rendering exceeded one of the Limits. Limit names it: "output"
// (bytes), "steps", "depth".
type LimitError struct {
	Limit string
	Max   int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("template exceeds its %s limit of %d", e.Limit, e.Max)
}

// ExecError reports a failure while rendering: a host Object's error, or the Java
// exception a method would throw (an index out of range, an invalid regular expression).
// Velocity aborts rendering on these (MethodInvocationException), and so does Execute.
type ExecError struct {
	Line, Column int
	Err          error
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
}

func (e *ExecError) Unwrap() error { return e.Err }

// errStop and errBreak carry #stop and #break up to the directive that ends them.
var (
	errStop  = errors.New("#stop")
	errBreak = errors.New("#break")
)

// lineCol turns a byte offset in src into a 1-based line and column.
func lineCol(src string, off int) (int, int) {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + strings.Count(src[:off], "\n")
	col := off + 1
	if i := strings.LastIndexByte(src[:off], '\n'); i >= 0 {
		col = off - i
	}
	return line, col
}

// javaException is the error a Java method would throw; Velocity wraps it and stops.
func javaException(class, format string, args ...any) error {
	return fmt.Errorf("java.lang.%s: %s", class, fmt.Sprintf(format, args...))
}
