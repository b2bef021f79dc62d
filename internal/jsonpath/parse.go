package jsonpath

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parser reads one expression. s is the text being parsed (the trimmed expression, with "$."
// in front when it had no root); base maps an offset in s back to the caller's expression.
type parser struct {
	orig  string
	s     string
	base  int
	pos   int
	depth int
	slab  []string // backing store for single names, so each does not allocate
}

// single returns a one-name slice carved from the parser's slab.
func (p *parser) single(name string) []string {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]string, 0, 8)
	}
	p.slab = append(p.slab, name)
	n := len(p.slab)
	return p.slab[n-1 : n : n]
}

func (p *parser) errAt(pos int, msg string) error {
	off := pos + p.base
	off = max(0, min(off, len(p.orig)))
	return &SyntaxError{Expr: p.orig, Offset: off, Msg: msg}
}

func (p *parser) errf(format string, args ...any) error {
	return p.errAt(p.pos, fmt.Sprintf(format, args...))
}

// describe names the character at pos for error messages.
func (p *parser) describe() string {
	if p.pos >= len(p.s) {
		return "end of path"
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.pos:])
	return strconv.QuoteRune(r)
}

func (p *parser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *parser) eat(c byte) bool {
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *parser) skipWS() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errf("expression nested too deeply (limit %d)", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseSteps reads steps after a root ($ or @) up to the end of the path. Inside a filter
// (inFilter) it stops at the first character that cannot continue a path and leaves it to
// the filter parser.
func (p *parser) parseSteps(inFilter bool, capHint int) ([]step, error) {
	steps := make([]step, 0, capHint)
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case '.':
			scan := false
			if p.pos+1 < len(p.s) && p.s[p.pos+1] == '.' {
				scan = true
				p.pos += 2
			} else {
				p.pos++
			}
			if p.pos >= len(p.s) {
				return nil, p.errf("path must not end with '.' or '..'")
			}
			switch p.s[p.pos] {
			case '.':
				return nil, p.errf("unexpected '.'")
			case '[':
				st, err := p.parseBracket(scan)
				if err != nil {
					return nil, err
				}
				steps = append(steps, st)
			case '*':
				p.pos++
				steps = append(steps, step{kind: stepWildcard, scan: scan})
			default:
				name, err := p.parseDotName(inFilter)
				if err != nil {
					return nil, err
				}
				steps = append(steps, step{kind: stepName, scan: scan, names: p.single(name)})
			}
		case '[':
			st, err := p.parseBracket(false)
			if err != nil {
				return nil, err
			}
			steps = append(steps, st)
		default:
			if inFilter {
				return steps, nil
			}
			return nil, p.errf("unexpected %s; expected '.', '[' or end of path", p.describe())
		}
	}
	return steps, nil
}

// filterNameStop lists what ends a dot name inside a filter besides '.', '[', '(' and blanks.
const filterNameStop = ")]<>=!~&|"

func (p *parser) parseDotName(inFilter bool) (string, error) {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '.' || c == '[' || c == '(' {
			break
		}
		if inFilter && (c <= ' ' || strings.IndexByte(filterNameStop, c) >= 0) {
			break
		}
		if c == ' ' {
			return "", p.errf("use bracket notation ['my name'] for a name with blanks")
		}
		p.pos++
	}
	if p.pos == start {
		return "", p.errf("expected a name after '.', found %s", p.describe())
	}
	if p.pos < len(p.s) && p.s[p.pos] == '(' {
		return "", p.errf("functions such as %s() are not supported", p.s[start:p.pos])
	}
	return p.s[start:p.pos], nil
}

// parseBracket reads [...] at pos.
func (p *parser) parseBracket(scan bool) (step, error) {
	open := p.pos
	p.pos++
	p.skipWS()
	if p.pos >= len(p.s) {
		return step{}, p.errAt(open, "unclosed '['")
	}
	c := p.s[p.pos]
	switch {
	case c == '\'' || c == '"':
		var names []string
		for {
			name, err := p.parseQuoted()
			if err != nil {
				return step{}, err
			}
			names = append(names, name)
			p.skipWS()
			if p.eat(',') {
				p.skipWS()
				if c := p.peek(); c != '\'' && c != '"' {
					return step{}, p.errf("expected a quoted name after ',', found %s", p.describe())
				}
				continue
			}
			if p.eat(']') {
				break
			}
			return step{}, p.errf("expected ',' or ']', found %s", p.describe())
		}
		return step{kind: stepName, scan: scan, names: names}, nil
	case c == '*':
		p.pos++
		p.skipWS()
		if !p.eat(']') {
			return step{}, p.errf("expected ']' after '*', found %s", p.describe())
		}
		return step{kind: stepWildcard, scan: scan}, nil
	case c == '?':
		p.pos++
		p.skipWS()
		if !p.eat('(') {
			return step{}, p.errf("expected '(' after '?', found %s", p.describe())
		}
		if err := p.enter(); err != nil {
			return step{}, err
		}
		x, err := p.parseOr()
		if err != nil {
			return step{}, err
		}
		p.leave()
		p.skipWS()
		if !p.eat(')') {
			return step{}, p.errf("expected ')' to close the filter, found %s", p.describe())
		}
		p.skipWS()
		if !p.eat(']') {
			return step{}, p.errf("expected ']' after the filter, found %s", p.describe())
		}
		return step{kind: stepFilter, scan: scan, filter: x}, nil
	case c == '-' || c == ':' || isDigit(c):
		return p.parseIndexes(scan)
	}
	return step{}, p.errf("expected a quoted name, index, slice, '*' or '?(' after '[', found %s", p.describe())
}

// parseIndexes reads [i], [i,j,...], [from:], [:to] or [from:to] after the '['.
func (p *parser) parseIndexes(scan bool) (step, error) {
	first, hasFirst, err := p.parseOptInt()
	if err != nil {
		return step{}, err
	}
	p.skipWS()
	if p.eat(':') {
		p.skipWS()
		to, hasTo, err := p.parseOptInt()
		if err != nil {
			return step{}, err
		}
		p.skipWS()
		if p.peek() == ':' {
			return step{}, p.errf("slice steps ([from:to:step]) are not supported")
		}
		if !hasFirst && !hasTo {
			return step{}, p.errf("a slice needs a start or an end")
		}
		if !p.eat(']') {
			return step{}, p.errf("expected ']' after the slice, found %s", p.describe())
		}
		return step{kind: stepSlice, scan: scan, from: first, to: to, hasFrom: hasFirst, hasTo: hasTo}, nil
	}
	if !hasFirst {
		return step{}, p.errf("expected an index, found %s", p.describe())
	}
	indexes := []int{first}
	for p.eat(',') {
		p.skipWS()
		n, ok, err := p.parseOptInt()
		if err != nil {
			return step{}, err
		}
		if !ok {
			return step{}, p.errf("expected an index after ',', found %s", p.describe())
		}
		indexes = append(indexes, n)
		p.skipWS()
	}
	if !p.eat(']') {
		return step{}, p.errf("expected ',' or ']', found %s", p.describe())
	}
	return step{kind: stepIndex, scan: scan, indexes: indexes}, nil
}

// parseOptInt reads an optional signed decimal integer in Java's int range.
func (p *parser) parseOptInt() (int, bool, error) {
	start := p.pos
	neg := p.eat('-')
	digits := p.pos
	n := 0
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		n = n*10 + int(p.s[p.pos]-'0')
		if n > 1<<31 {
			return 0, false, p.errAt(start, "index out of range")
		}
		p.pos++
	}
	if p.pos == digits {
		if neg {
			return 0, false, p.errf("expected digits after '-'")
		}
		return 0, false, nil
	}
	if neg {
		n = -n
	}
	if n > 1<<31-1 {
		return 0, false, p.errAt(start, "index out of range")
	}
	return n, true, nil
}

// parseQuoted reads a '...' or "..." string at pos with Java-style backslash escapes.
func (p *parser) parseQuoted() (string, error) {
	open := p.pos
	q := p.s[p.pos]
	p.pos++
	start := p.pos
	simple := true
	for {
		if p.pos >= len(p.s) {
			return "", p.errAt(open, fmt.Sprintf("unclosed string; expected %c", q))
		}
		c := p.s[p.pos]
		if c == q {
			break
		}
		if c == '\\' {
			simple = false
			p.pos++
			if p.pos >= len(p.s) {
				return "", p.errAt(open, fmt.Sprintf("unclosed string; expected %c", q))
			}
		}
		p.pos++
	}
	raw := p.s[start:p.pos]
	p.pos++ // closing quote
	if simple {
		return raw, nil
	}
	return unescape(raw), nil
}

// unescape resolves \b \f \n \r \t \uXXXX and \x (any other x stands for itself).
// raw never ends in a lone backslash.
func unescape(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(raw[i+1:])
			if !ok {
				b.WriteByte('u')
				continue
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r < 0xDC00 && strings.HasPrefix(raw[i+1:], `\u`) {
					if r2, ok := hex4(raw[i+3:]); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
						r = utf16.DecodeRune(r, r2)
						i += 6
					}
				}
				if utf16.IsSurrogate(r) {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte(raw[i])
		}
	}
	return b.String()
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// Filter expressions: or := and ('||' and)*; and := unary ('&&' unary)*;
// unary := '!' unary | '(' or ')' | operand (op operand)?

type exprKind uint8

const (
	exprOr exprKind = iota
	exprAnd
	exprNot
	exprExists
	exprCmp
)

type cmpOp uint8

const (
	opEQ cmpOp = iota
	opNE
	opLT
	opLE
	opGT
	opGE
)

type expr struct {
	kind        exprKind
	left, right *expr
	op          cmpOp
	a, b        operand
}

// operand is a literal or a sub-path relative to @ (rel) or $.
type operand struct {
	path *Path
	rel  bool
	lit  any // nil, string, bool, int64 or float64 when path is nil
}

func (p *parser) parseOr() (*expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		p.skipWS()
		if !strings.HasPrefix(p.s[p.pos:], "||") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &expr{kind: exprOr, left: l, right: r}
	}
}

func (p *parser) parseAnd() (*expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		p.skipWS()
		if !strings.HasPrefix(p.s[p.pos:], "&&") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &expr{kind: exprAnd, left: l, right: r}
	}
}

func (p *parser) parseUnary() (*expr, error) {
	p.skipWS()
	switch p.peek() {
	case '!':
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		p.leave()
		return &expr{kind: exprNot, left: x}, nil
	case '(':
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.leave()
		p.skipWS()
		if !p.eat(')') {
			return nil, p.errf("expected ')', found %s", p.describe())
		}
		return x, nil
	}
	return p.parseComparison()
}

func (p *parser) parseComparison() (*expr, error) {
	start := p.pos
	a, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	p.skipWS()
	op, ok, err := p.parseCmpOp()
	if err != nil {
		return nil, err
	}
	if !ok {
		if a.path == nil {
			return nil, p.errAt(start, "a literal must be compared with ==, !=, <, <=, > or >=")
		}
		return &expr{kind: exprExists, a: a}, nil
	}
	p.skipWS()
	b, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	return &expr{kind: exprCmp, op: op, a: a, b: b}, nil
}

// parseCmpOp reads a comparison operator, or reports ok=false when none follows.
func (p *parser) parseCmpOp() (cmpOp, bool, error) {
	rest := p.s[p.pos:]
	switch {
	case strings.HasPrefix(rest, "===") || strings.HasPrefix(rest, "!=="):
		return 0, false, p.errf("operator %s is not supported", rest[:3])
	case strings.HasPrefix(rest, "=~"):
		return 0, false, p.errf("regular expressions (=~) are not supported")
	case strings.HasPrefix(rest, "=="):
		p.pos += 2
		return opEQ, true, nil
	case strings.HasPrefix(rest, "!="):
		p.pos += 2
		return opNE, true, nil
	case strings.HasPrefix(rest, "<="):
		p.pos += 2
		return opLE, true, nil
	case strings.HasPrefix(rest, ">="):
		p.pos += 2
		return opGE, true, nil
	case strings.HasPrefix(rest, "<"):
		p.pos++
		return opLT, true, nil
	case strings.HasPrefix(rest, ">"):
		p.pos++
		return opGT, true, nil
	case strings.HasPrefix(rest, "="):
		return 0, false, p.errf("use '==' to compare")
	}
	if len(rest) > 0 && ('a' <= rest[0] && rest[0] <= 'z') {
		end := 0
		for end < len(rest) && 'a' <= rest[end] && rest[end] <= 'z' {
			end++
		}
		return 0, false, p.errf("operator %q is not supported", rest[:end])
	}
	return 0, false, nil
}

func (p *parser) parseOperand() (operand, error) {
	if p.pos >= len(p.s) {
		return operand{}, p.errf("expected a value, found end of path")
	}
	start := p.pos
	switch c := p.s[p.pos]; {
	case c == '@' || c == '$':
		p.pos++
		if err := p.enter(); err != nil {
			return operand{}, err
		}
		steps, err := p.parseSteps(true, 0)
		if err != nil {
			return operand{}, err
		}
		p.leave()
		return operand{path: newPath(p.s[start:p.pos], steps), rel: c == '@'}, nil
	case c == '\'' || c == '"':
		s, err := p.parseQuoted()
		if err != nil {
			return operand{}, err
		}
		return operand{lit: s}, nil
	case c == '-' || isDigit(c):
		return p.parseNumber()
	case c == '{' || c == '[':
		return operand{}, p.errf("JSON literals are not supported")
	case c == '/':
		return operand{}, p.errf("regular expressions are not supported")
	}
	for _, w := range [...]struct {
		word string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.s[p.pos:], w.word) {
			end := p.pos + len(w.word)
			if end == len(p.s) || !isWordChar(p.s[end]) {
				p.pos = end
				return operand{lit: w.v}, nil
			}
		}
	}
	return operand{}, p.errf("expected a value (a path, string, number, true, false or null), found %s", p.describe())
}

func isWordChar(c byte) bool {
	return c == '_' || isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf
}

// parseNumber reads -?digits(.digits)?([eE][+-]?digits)? as int64, or float64 when it has a
// fraction or exponent or does not fit.
func (p *parser) parseNumber() (operand, error) {
	start := p.pos
	p.eat('-')
	d := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	if p.pos == d {
		return operand{}, p.errf("expected digits")
	}
	isFloat := false
	if p.peek() == '.' {
		p.pos++
		d := p.pos
		for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
			p.pos++
		}
		if p.pos == d {
			return operand{}, p.errf("expected digits after '.'")
		}
		isFloat = true
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.pos++
		if c := p.peek(); c == '+' || c == '-' {
			p.pos++
		}
		d := p.pos
		for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
			p.pos++
		}
		if p.pos == d {
			return operand{}, p.errf("expected digits in the exponent")
		}
		isFloat = true
	}
	text := p.s[start:p.pos]
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return operand{lit: n}, nil
		}
	}
	// The syntax is checked above, so only a range error is possible: ParseFloat then
	// returns ±Inf or 0, which compare as Java's BigDecimal would not, but sensibly.
	f, _ := strconv.ParseFloat(text, 64)
	return operand{lit: f}, nil
}
