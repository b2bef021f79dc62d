// Package jsonpath compiles and evaluates JSONPath expressions the way Jayway JsonPath (the
// Java library behind API Gateway's $input.path, $input.json and
// integration.response.body.JSONPATH) reads them.
//
// Supported: $ (root), .name, ['name'], ["name"], ['a','b'] (name unions), [0], [-1],
// [0,2] (index unions), [1:3], [:2], [-2:] (slices), .* and [*] (wildcards), ..name, ..*,
// ..[0], ..['a'] (recursive descent), and filters [?(expr)] with == != < <= > >=, && || !,
// parentheses, string (single or double quoted), number, true, false and null literals,
// @ and $ sub-paths, and existence tests ([?(@.isbn)], [?(!@.isbn)]).
//
// Jayway behaviour kept on purpose:
//   - A path that does not start with $ or @ is read as "$." + path: "a.b" is $.a.b and
//     "[0]" is $[0] (Jayway's PathCompiler prepends "$."; a leading "." therefore makes a
//     deep scan: ".a" is $..a). A leading @ is the same as $.
//   - A name after a dot runs to the next '.', '[' or '('; it may hold '-', ':', unicode and
//     so on ($.content-type, $.ünïcode). A space in it is an error (use ['a b']). A '(' makes a
//     function call (.length()), which is not supported and is an error.
//   - A name step on an array, and an index step on an object, match nothing (Jayway does not
//     map names over arrays).
//   - A filter applied to an object tests the object itself; applied to an array it tests each
//     element. ..[?(f)] visits every object and array below the start.
//   - Recursive descent visits containers in pre-order and, at each, applies the next step
//     before descending (so $..* lists an object's values before their children).
//   - Unions return matches in the order written ($[2,0] gives element 2 then 0), duplicates
//     included.
//   - In filters a missing value equals nothing, so [?(@.a != 'x')] keeps elements without a;
//     numbers compare numerically across int64 and float64; a number and a string that parses
//     as the same number are equal (Jayway's NumberNode/StringNode equality); < <= > >= compare
//     two numbers or two strings and are false otherwise; objects and arrays are == when
//     deeply equal. [?(@.a)] tests that a exists (even as null or false), not that it is true;
//     an indefinite sub-path ([?(@..a)]) exists when it matches something.
//   - && binds tighter than ||, and ! negates what follows it: !@.a is "a is missing",
//     !(@.a == 1) and !@.a == 1 both negate the comparison.
//
// Deliberate differences from Jayway (documented in the tests):
//   - A name union ['a','b'] is indefinite and yields a list of the values that exist; Jayway
//     merges a trailing name union into one object {"a":..,"b":..}.
//   - Slices with a negative start and an explicit end ([-3:2]) count the start from the end as
//     Python does; Jayway 2.x walks negative indexes through the array's end. A slice step
//     ([::2]) is an error (Jayway silently ignores it).
//   - Tokens must be separated by '.' or '[': Jayway also accepts $.*a as $.*.a.
//   - In a filter, a dot name also ends at blanks, ')', ']' and the operator characters
//     < > = ! ~ & | (use ['a&b'] for such names). Regex (=~), in/nin/size/empty/subsetof/
//     anyof/noneof, ===/!==, JSON literals and functions (.length()) are not supported and
//     fail to compile.
//   - A filter on a leaf matches nothing (Jayway throws when the path before it is definite).
//   - Two missing values are not equal. Strings order by UTF-8 bytes, which differs from
//     Java's UTF-16 order only between U+E000..U+FFFF and characters beyond U+FFFF.
//
// Limits: expressions nest at most MaxDepth deep (filters, parentheses, negations and
// sub-paths); an evaluation visits at most MaxVisits values, and stops early (returning what
// it found so far) beyond that, so a path like $..*..*..* cannot run away on large input.
package jsonpath

import (
	"fmt"
	"slices"
	"strings"
)

// MaxDepth is how deeply filters, parentheses, negations and filter sub-paths may nest.
const MaxDepth = 32

// MaxVisits bounds the values one Eval may produce or visit (across all steps, recursive
// descents and filter sub-paths).
const MaxVisits = 1 << 20

// Object and Array are how Eval sees JSON containers: any value with these methods (the VTL
// engine's ordered *Map and *List satisfy them). Eval also accepts map[string]any (keys
// visited in sorted order) and []any.
type Object interface {
	Get(key string) (any, bool)
	Keys() []string
}

// Array is a JSON array as Eval sees it.
type Array interface {
	Len() int
	Index(i int) any
}

// Path is a compiled JSONPath expression. It is immutable and safe for concurrent use.
type Path struct {
	expr     string
	steps    []step
	definite bool
}

// SyntaxError reports why an expression does not compile and where.
type SyntaxError struct {
	Expr   string // the expression as given to Compile
	Offset int    // byte offset in Expr of the problem
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("jsonpath %q: %s at offset %d", e.Expr, e.Msg, e.Offset)
}

type stepKind uint8

const (
	stepName     stepKind = iota // names
	stepIndex                    // indexes
	stepSlice                    // from/to
	stepWildcard                 // * or [*]
	stepFilter                   // [?(...)]
)

type step struct {
	kind    stepKind
	scan    bool // preceded by ..
	names   []string
	indexes []int
	from    int
	to      int
	hasFrom bool
	hasTo   bool
	filter  *expr
}

func (s *step) definite() bool {
	if s.scan {
		return false
	}
	switch s.kind {
	case stepName:
		return len(s.names) == 1
	case stepIndex:
		return len(s.indexes) == 1
	}
	return false
}

// String returns the expression p was compiled from.
func (p *Path) String() string { return p.expr }

// Definite reports whether p names at most one value (no wildcard, recursive descent, filter,
// union or slice).
func (p *Path) Definite() bool { return p.definite }

// Compile parses a JSONPath expression; the result is immutable and safe for concurrent use.
// Errors are *SyntaxError and say what is wrong and where.
func Compile(expr string) (*Path, error) {
	// Java's String.trim: strip chars <= ' ' at both ends, as Jayway does.
	start, end := 0, len(expr)
	for start < end && expr[start] <= ' ' {
		start++
	}
	for end > start && expr[end-1] <= ' ' {
		end--
	}
	p := &parser{orig: expr}
	if start == end {
		return nil, p.errAt(0, "empty path")
	}
	src := expr[start:end]
	p.base = start
	if src[0] != '$' && src[0] != '@' {
		// Jayway reads a path without a root as "$." + path.
		src = "$." + src
		p.base = start - 2
	}
	p.s = src
	p.pos = 1
	// Each step starts with '.' or '[' (a filter's may add a few): size once for common paths.
	steps, err := p.parseSteps(false, min(strings.Count(src, ".")+strings.Count(src, "["), 16))
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.s) {
		return nil, p.errf("unexpected %s; expected '.', '[' or end of path", p.describe())
	}
	return newPath(expr, steps), nil
}

// newPath makes the Path of expr, which parsed into steps.
func newPath(expr string, steps []step) *Path {
	p := &Path{expr: expr, steps: steps, definite: true}
	for i := range steps {
		if !steps[i].definite() {
			p.definite = false
			break
		}
	}
	return p
}

// MustCompile is Compile for expressions known to be valid; it panics on error.
func MustCompile(expr string) *Path {
	p, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return p
}

// Eval evaluates p on root. A definite path returns the value and true, or (nil, false) when
// any step is missing. An indefinite path returns every match, in the order described in the
// package documentation, as a non-nil []any (possibly empty) and true.
func (p *Path) Eval(root any) (any, bool) {
	if p.definite {
		return walkDefinite(p.steps, root)
	}
	e := evaluator{root: root, budget: MaxVisits}
	return e.run(p.steps, root), true
}

// walkDefinite follows steps that each name at most one value. It never allocates.
func walkDefinite(steps []step, v any) (any, bool) {
	for i := range steps {
		s := &steps[i]
		switch s.kind {
		case stepName:
			o, ok := asObject(v)
			if !ok {
				return nil, false
			}
			if v, ok = o.Get(s.names[0]); !ok {
				return nil, false
			}
		case stepIndex:
			n, ok := arrayLen(v)
			if !ok {
				return nil, false
			}
			j := s.indexes[0]
			if j < 0 {
				j += n
			}
			if j < 0 || j >= n {
				return nil, false
			}
			v = arrayIndex(v, j)
		default:
			return nil, false
		}
	}
	return v, true
}

// goMap adapts map[string]any; its keys are visited in sorted order.
type goMap map[string]any

func (m goMap) Get(k string) (any, bool) { v, ok := m[k]; return v, ok }
func (m goMap) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func asObject(v any) (Object, bool) {
	switch x := v.(type) {
	case Object:
		return x, true
	case map[string]any:
		return goMap(x), true
	}
	return nil, false
}

func arrayLen(v any) (int, bool) {
	switch x := v.(type) {
	case Object:
		return 0, false
	case Array:
		return x.Len(), true
	case []any:
		return len(x), true
	}
	return 0, false
}

// arrayIndex returns element i of v, which arrayLen accepted; 0 <= i < len.
func arrayIndex(v any, i int) any {
	switch x := v.(type) {
	case Array:
		return x.Index(i)
	case []any:
		return x[i]
	}
	return nil
}

func isContainer(v any) bool {
	switch v.(type) {
	case Object, Array, map[string]any, []any:
		return true
	}
	return false
}
