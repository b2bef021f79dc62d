package vtl

import (
	"fmt"
	"strconv"
	"strings"
)

// maxParseDepth bounds nesting in the parser (blocks, parentheses, brackets, string
// interpolation) so that hostile templates get a ParseError instead of a stack overflow.
const maxParseDepth = 200

// Parse parses a template once; the result is immutable and safe for concurrent use.
// Errors are *ParseError.
func Parse(src string) (*Template, error) {
	t := &Template{src: src}
	p := &parser{src: src, full: src, slots: map[string]int{}, t: t}
	body, term, err := p.block()
	if err != nil {
		return nil, err
	}
	if term.kind != "" {
		return nil, p.errorAt(term.pos, fmt.Sprintf("#%s without a matching #if, #foreach or #define", term.kind))
	}
	t.root = body
	t.nslots = len(p.slots)
	return t, nil
}

type parser struct {
	src   string // the text being parsed: the template, or an interpolated string's content
	base  int    // offset of src within full
	full  string // the whole template, for error positions
	pos   int
	depth int
	slots map[string]int // variable name → slot, shared by interpolated strings
	t     *Template
}

// terminator is the directive that ended a block: "end", "else", "elseif" or "" at EOF.
type terminator struct {
	kind string
	cond expr // #elseif's condition
	pos  int
}

func (p *parser) errorAt(off int, msg string) error {
	line, col := lineCol(p.full, p.base+off)
	return &ParseError{Line: line, Column: col, Msg: msg}
}

func (p *parser) errorf(format string, args ...any) error {
	return p.errorAt(p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxParseDepth {
		return p.errorf("nested more than %d levels deep", maxParseDepth)
	}
	return nil
}

func (p *parser) slot(name string) int {
	if i, ok := p.slots[name]; ok {
		return i
	}
	i := len(p.slots)
	p.slots[name] = i
	return i
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

// isIdentChar: Velocity 1.x identifiers may hold '-' ($foo-bar is one reference; Velocity
// 2.1 keeps this behind parser.allow_hyphen_in_identifiers for 1.x compatibility).
func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '-' }

func (p *parser) identEnd(i int) int {
	for i < len(p.src) && isIdentChar(p.src[i]) {
		i++
	}
	return i
}

// block parses text, references and directives until EOF or a terminating directive.
func (p *parser) block() ([]node, terminator, error) {
	var nodes []node
	var text []byte
	flush := func() {
		if len(text) > 0 {
			nodes = append(nodes, &textNode{text: string(text)})
			text = text[:0]
		}
	}
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; c {
		case '$':
			ref, ok, err := p.reference()
			if err != nil {
				return nil, terminator{}, err
			}
			if !ok {
				text = append(text, '$')
				p.pos++
				continue
			}
			flush()
			nodes = append(nodes, &refNode{ref: ref})
		case '\\':
			n := 0
			for p.pos+n < len(p.src) && p.src[p.pos+n] == '\\' {
				n++
			}
			after := p.pos + n
			if after < len(p.src) && p.src[after] == '$' {
				p.pos = after
				ref, ok, err := p.reference()
				if err != nil {
					return nil, terminator{}, err
				}
				if ok {
					flush()
					nodes = append(nodes, &escRefNode{ref: ref, backslashes: n})
					continue
				}
				text = append(text, p.src[after-n:after+1]...)
				p.pos = after + 1
				continue
			}
			if after < len(p.src) && p.src[after] == '#' {
				if name, end := p.directiveName(after); isDirective(name) {
					// \#if prints #if; \\#if prints \ and runs the directive.
					text = append(text, strings.Repeat("\\", n/2)...)
					if n%2 == 1 {
						text = append(text, p.src[after:end]...)
						p.pos = end
					} else {
						p.pos = after
					}
					continue
				}
			}
			text = append(text, p.src[p.pos:after]...)
			p.pos = after
		case '#':
			rest := p.src[p.pos:]
			switch {
			case strings.HasPrefix(rest, "##"):
				// A line comment runs to the end of the line, newline included.
				end := strings.IndexByte(rest, '\n')
				if end < 0 {
					p.pos = len(p.src)
				} else {
					p.pos += end + 1
				}
				continue
			case strings.HasPrefix(rest, "#*"):
				end := strings.Index(rest[2:], "*#")
				if end < 0 {
					return nil, terminator{}, p.errorf("unclosed #* comment")
				}
				p.pos += 2 + end + 2
				continue
			case strings.HasPrefix(rest, "#[["):
				end := strings.Index(rest[3:], "]]#")
				if end < 0 {
					return nil, terminator{}, p.errorf("unclosed #[[ block")
				}
				text = append(text, rest[3:3+end]...)
				p.pos += 3 + end + 3
				continue
			}
			name, end := p.directiveName(p.pos)
			start := p.pos
			switch name {
			case "end", "else", "elseif":
				flush()
				p.pos = end
				term := terminator{kind: name, pos: start}
				if name == "elseif" {
					cond, err := p.parenExpr("#elseif")
					if err != nil {
						return nil, terminator{}, err
					}
					term.cond = cond
				}
				p.gobbleNewline()
				return nodes, term, nil
			case "set":
				// Velocity 1.7 drops the indentation before a #set.
				if lineStart(p.src, start) {
					text = trimIndent(text)
				}
				flush()
				p.pos = end
				n, err := p.setDirective(start)
				if err != nil {
					return nil, terminator{}, err
				}
				nodes = append(nodes, n)
			case "if", "foreach", "define", "break", "stop":
				flush()
				p.pos = end
				n, err := p.directive(name, start)
				if err != nil {
					return nil, terminator{}, err
				}
				nodes = append(nodes, n)
			case "macro", "include", "parse", "evaluate":
				return nil, terminator{}, p.errorf("#%s is not available in API Gateway mapping templates", name)
			default:
				text = append(text, '#')
				p.pos++
			}
		default:
			end := strings.IndexAny(p.src[p.pos:], "$#\\")
			if end < 0 {
				end = len(p.src) - p.pos
			}
			text = append(text, p.src[p.pos:p.pos+end]...)
			p.pos += end
		}
	}
	flush()
	return nodes, terminator{}, nil
}

func isDirective(name string) bool {
	switch name {
	case "if", "elseif", "else", "end", "foreach", "set", "define", "break", "stop":
		return true
	}
	return false
}

// lineStart reports whether only spaces and tabs precede src[i] on its line.
func lineStart(src string, i int) bool {
	for i > 0 {
		switch src[i-1] {
		case ' ', '\t':
			i--
		case '\n', '\r':
			return true
		default:
			return false
		}
	}
	return true
}

func trimIndent(text []byte) []byte {
	for len(text) > 0 && (text[len(text)-1] == ' ' || text[len(text)-1] == '\t') {
		text = text[:len(text)-1]
	}
	return text
}

// directiveName reads #name or #{name} at i; end is the offset after it.
func (p *parser) directiveName(i int) (name string, end int) {
	j := i + 1
	if j < len(p.src) && p.src[j] == '{' {
		k := j + 1
		for k < len(p.src) && (isIdentStart(p.src[k]) || p.src[k] >= '0' && p.src[k] <= '9') {
			k++
		}
		if k < len(p.src) && p.src[k] == '}' && k > j+1 {
			return p.src[j+1 : k], k + 1
		}
		return "", i + 1
	}
	k := j
	for k < len(p.src) && (isIdentStart(p.src[k]) || p.src[k] >= '0' && p.src[k] <= '9') {
		k++
	}
	return p.src[j:k], k
}

// gobbleNewline consumes spaces, tabs and one newline after a directive, when the newline
// follows. Velocity 1.7's lexer folds them into the directive's closing ")" (and #end,
// #else): a line holding only "#if(...)" or "#end" emits nothing, while a directive
// followed by other text leaves that text and its spaces alone.
func (p *parser) gobbleNewline() {
	j := p.pos
	for j < len(p.src) && (p.src[j] == ' ' || p.src[j] == '\t') {
		j++
	}
	switch {
	case strings.HasPrefix(p.src[j:], "\r\n"):
		p.pos = j + 2
	case j < len(p.src) && (p.src[j] == '\n' || p.src[j] == '\r'):
		p.pos = j + 1
	}
}

// openParen skips spaces and tabs after a directive name and consumes "(".
func (p *parser) openParen(directive string) error {
	j := p.pos
	for j < len(p.src) && (p.src[j] == ' ' || p.src[j] == '\t') {
		j++
	}
	if j >= len(p.src) || p.src[j] != '(' {
		return p.errorf("%s needs its arguments in parentheses", directive)
	}
	p.pos = j + 1
	return nil
}

func (p *parser) closeParen(directive string) error {
	p.space()
	if p.pos >= len(p.src) || p.src[p.pos] != ')' {
		return p.errorf("expected ) to close %s", directive)
	}
	p.pos++
	return nil
}

// parenExpr parses "( expr )" after a directive name.
func (p *parser) parenExpr(directive string) (expr, error) {
	if err := p.openParen(directive); err != nil {
		return nil, err
	}
	p.space()
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.closeParen(directive); err != nil {
		return nil, err
	}
	return e, nil
}

// body parses a directive's block up to its #end.
func (p *parser) body(directive string, start int) ([]node, terminator, error) {
	if err := p.enter(); err != nil {
		return nil, terminator{}, err
	}
	defer func() { p.depth-- }()
	nodes, term, err := p.block()
	if err != nil {
		return nil, term, err
	}
	if term.kind == "" {
		return nil, term, p.errorAt(start, directive+" without #end")
	}
	return nodes, term, nil
}

// endBody parses a directive's block that only #end may close; another terminator is an
// error that says where it was met: "#else inside #foreach".
func (p *parser) endBody(directive string, start int, where string) ([]node, error) {
	nodes, term, err := p.body(directive, start)
	if err != nil {
		return nil, err
	}
	if term.kind != "end" {
		return nil, p.errorAt(term.pos, "#"+term.kind+" "+where)
	}
	return nodes, nil
}

// variableArg parses "($name" after a directive name: the variable #foreach and #define
// bind.
func (p *parser) variableArg(directive, usage string) (*refExpr, error) {
	if err := p.openParen(directive); err != nil {
		return nil, err
	}
	p.space()
	v, ok, err := p.reference()
	if err != nil {
		return nil, err
	}
	if !ok || len(v.chain) > 0 {
		return nil, p.errorf("%s needs a variable: %s", directive, usage)
	}
	return v, nil
}

func (p *parser) directive(name string, start int) (node, error) {
	switch name {
	case "if":
		cond, err := p.parenExpr("#if")
		if err != nil {
			return nil, err
		}
		p.gobbleNewline()
		n := &ifNode{}
		for {
			body, term, err := p.body("#if", start)
			if err != nil {
				return nil, err
			}
			n.conds = append(n.conds, cond)
			n.blocks = append(n.blocks, body)
			switch term.kind {
			case "end":
				return n, nil
			case "elseif":
				cond = term.cond
				continue
			}
			// #else: the rest up to #end.
			els, err := p.endBody("#if", start, "after #else")
			if err != nil {
				return nil, err
			}
			if els == nil {
				els = []node{}
			}
			n.els = els
			return n, nil
		}
	case "foreach":
		v, err := p.variableArg("#foreach", "#foreach($item in $list)")
		if err != nil {
			return nil, err
		}
		p.space()
		if !p.word("in") {
			return nil, p.errorf("expected 'in' in #foreach")
		}
		p.space()
		iter, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.closeParen("#foreach"); err != nil {
			return nil, err
		}
		p.gobbleNewline()
		body, err := p.endBody("#foreach", start, "inside #foreach")
		if err != nil {
			return nil, err
		}
		return &foreachNode{slot: v.slot, iter: iter, body: body, pos: p.base + start}, nil
	case "define":
		v, err := p.variableArg("#define", "#define($name)")
		if err != nil {
			return nil, err
		}
		if err := p.closeParen("#define"); err != nil {
			return nil, err
		}
		p.gobbleNewline()
		body, err := p.endBody("#define", start, "inside #define")
		if err != nil {
			return nil, err
		}
		return &defineNode{slot: v.slot, block: &block{body: body}}, nil
	case "break", "stop":
		// #break($foreach) names the scope to leave; only the innermost loop is supported.
		if p.pos < len(p.src) && p.src[p.pos] == '(' {
			p.pos++
			p.space()
			if _, err := p.expr(); err != nil {
				return nil, err
			}
			if err := p.closeParen("#" + name); err != nil {
				return nil, err
			}
		}
		p.gobbleNewline()
		if name == "stop" {
			return &stopNode{}, nil
		}
		return &breakNode{}, nil
	}
	return nil, p.errorAt(start, "unknown directive #"+name)
}

func (p *parser) setDirective(start int) (node, error) {
	if err := p.openParen("#set"); err != nil {
		return nil, err
	}
	p.space()
	target, ok, err := p.reference()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, p.errorf("#set needs a reference to assign: #set($x = ...)")
	}
	if n := len(target.chain); n > 0 && target.chain[n-1].kind == stepCall {
		return nil, p.errorAt(target.pos-p.base, "#set cannot assign to a method call")
	}
	p.space()
	if p.pos >= len(p.src) || p.src[p.pos] != '=' {
		return nil, p.errorf("expected = in #set")
	}
	p.pos++
	p.space()
	value, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.closeParen("#set"); err != nil {
		return nil, err
	}
	p.gobbleNewline()
	return &setNode{target: target, value: value, pos: p.base + start}, nil
}

// reference parses $name, $!name, ${name}, $!{name} and its properties, indexes and
// method calls at p.pos. ok is false, with p.pos unchanged, when the text there is not a
// reference ($, $1, "$ ", ${x without its brace): the caller prints it as text.
func (p *parser) reference() (*refExpr, bool, error) {
	start := p.pos
	i := start + 1
	if i < len(p.src) && p.src[i] == '!' {
		i++
	}
	formal := false
	if i < len(p.src) && p.src[i] == '{' {
		formal = true
		i++
	}
	if i >= len(p.src) || !isIdentStart(p.src[i]) {
		return nil, false, nil
	}
	j := p.identEnd(i)
	name := p.src[i:j]
	r := &refExpr{pos: p.base + start, name: name, slot: p.slot(name)}
	switch name {
	case "foreach":
		r.special = specForeach
	case "velocityCount":
		r.special = specVelocityCount
	case "velocityHasNext":
		r.special = specVelocityHasNext
	}
	p.pos = j
	if err := p.enter(); err != nil {
		return nil, false, err
	}
	defer func() { p.depth-- }()
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '.' && p.pos+1 < len(p.src) && isIdentStart(p.src[p.pos+1]) {
			k := p.identEnd(p.pos + 1)
			s := step{pos: p.base + p.pos + 1, name: p.src[p.pos+1 : k]}
			if k < len(p.src) && p.src[k] == '(' {
				p.pos = k + 1
				args, err := p.args()
				if err != nil {
					return nil, false, err
				}
				s.kind, s.method, s.args = stepCall, lookupMethod(s.name), args
				p.precompile(&s)
			} else {
				p.pos = k
				s.kind = stepProp
				upper := strings.ToUpper(s.name[:1]) + s.name[1:]
				s.method, s.isID = lookupMethod("get"+upper), lookupMethod("is"+upper)
			}
			r.chain = append(r.chain, s)
			continue
		}
		if c == '[' {
			// An index: $a[0], $a['k'], $a[$i]. Text such as "$name[s]" that does not
			// hold an expression ends the reference before the bracket.
			save := p.pos
			p.pos++
			p.space()
			idx, err := p.expr()
			if err == nil {
				p.space()
				if p.pos < len(p.src) && p.src[p.pos] == ']' {
					p.pos++
					r.chain = append(r.chain, step{kind: stepIndex, pos: p.base + save, index: idx})
					continue
				}
			}
			p.pos = save
		}
		break
	}
	if formal {
		if p.pos >= len(p.src) || p.src[p.pos] != '}' {
			p.pos = start
			return nil, false, nil
		}
		p.pos++
	}
	r.text = p.src[start:p.pos]
	return r, true, nil
}

// args parses method arguments after "(" up to and including ")".
func (p *parser) args() ([]expr, error) {
	var args []expr
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
		return nil, nil
	}
	for {
		p.space()
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		p.space()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unclosed method call")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return args, nil
		default:
			return nil, p.errorf("expected , or ) in method arguments")
		}
	}
}

// space skips whitespace inside directive arguments and expressions.
func (p *parser) space() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// word consumes keyword w when it stands alone (not a prefix of a longer identifier).
func (p *parser) word(w string) bool {
	if !strings.HasPrefix(p.src[p.pos:], w) {
		return false
	}
	if e := p.pos + len(w); e < len(p.src) && isIdentChar(p.src[e]) {
		return false
	}
	p.pos += len(w)
	return true
}

func (p *parser) expr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	return p.binary(0)
}

// Binary operator precedence, loosest first, with Velocity's word forms.
var precedence = [...][]struct {
	sym, word string
	op        opKind
}{
	{{"||", "or", opOr}},
	{{"&&", "and", opAnd}},
	{{"==", "eq", opEq}, {"!=", "ne", opNe}},
	{{"<=", "le", opLe}, {">=", "ge", opGe}, {"<", "lt", opLt}, {">", "gt", opGt}},
	{{"+", "", opAdd}, {"-", "", opSub}},
	{{"*", "", opMul}, {"/", "", opDiv}, {"%", "", opMod}},
}

func (p *parser) binary(level int) (expr, error) {
	if level == len(precedence) {
		return p.unary()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		pos := p.pos
		found := false
		for _, o := range precedence[level] {
			if strings.HasPrefix(p.src[p.pos:], o.sym) {
				p.pos += len(o.sym)
			} else if o.word == "" || !p.word(o.word) {
				continue
			}
			p.space()
			r, err := p.binary(level + 1)
			if err != nil {
				return nil, err
			}
			l = &binExpr{op: o.op, l: l, r: r, pos: p.base + pos}
			found = true
			break
		}
		if !found {
			p.pos = pos
			return l, nil
		}
	}
}

func (p *parser) unary() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.space()
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end of template in expression")
	}
	c := p.src[p.pos]
	if c == '!' && !strings.HasPrefix(p.src[p.pos:], "!=") {
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &notExpr{x: x}, nil
	}
	if p.word("not") {
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &notExpr{x: x}, nil
	}
	if c == '-' {
		if p.pos+1 < len(p.src) && p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9' {
			return p.number()
		}
		pos := p.pos
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &negExpr{x: x, pos: p.base + pos}, nil
	}
	return p.primary()
}

func (p *parser) primary() (expr, error) {
	start := p.pos
	c := p.src[p.pos]
	switch {
	case c == '$':
		r, ok, err := p.reference()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, p.errorf("invalid reference")
		}
		return r, nil
	case c == '"' || c == '\'':
		return p.stringLit()
	case c >= '0' && c <= '9':
		return p.number()
	case c == '(':
		p.pos++
		p.space()
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return nil, p.errorf("expected )")
		}
		p.pos++
		return e, nil
	case c == '[':
		p.pos++
		p.space()
		if p.pos < len(p.src) && p.src[p.pos] == ']' {
			p.pos++
			return &listExpr{}, nil
		}
		first, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.space()
		if strings.HasPrefix(p.src[p.pos:], "..") {
			p.pos += 2
			p.space()
			to, err := p.expr()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.pos >= len(p.src) || p.src[p.pos] != ']' {
				return nil, p.errorf("expected ] to close the range")
			}
			p.pos++
			return &rangeExpr{from: first, to: to, pos: p.base + start}, nil
		}
		l := &listExpr{items: []expr{first}}
		for {
			p.space()
			if p.pos >= len(p.src) {
				return nil, p.errorf("unclosed list")
			}
			switch p.src[p.pos] {
			case ']':
				p.pos++
				return l, nil
			case ',':
				p.pos++
				p.space()
				e, err := p.expr()
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, e)
			default:
				return nil, p.errorf("expected , or ] in list")
			}
		}
	case c == '{':
		p.pos++
		m := &mapExpr{}
		p.space()
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			p.pos++
			return m, nil
		}
		for {
			p.space()
			k, err := p.expr()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.pos >= len(p.src) || p.src[p.pos] != ':' {
				return nil, p.errorf("expected : in map")
			}
			p.pos++
			p.space()
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			m.keys = append(m.keys, k)
			m.vals = append(m.vals, v)
			p.space()
			if p.pos >= len(p.src) {
				return nil, p.errorf("unclosed map")
			}
			switch p.src[p.pos] {
			case '}':
				p.pos++
				return m, nil
			case ',':
				p.pos++
			default:
				return nil, p.errorf("expected , or } in map")
			}
		}
	}
	switch {
	case p.word("true"):
		return &litExpr{v: true}, nil
	case p.word("false"):
		return &litExpr{v: false}, nil
	}
	return nil, p.errorf("unexpected %q in expression", c)
}

func (p *parser) number() (expr, error) {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
	}
	digits := func() {
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
	}
	digits()
	isFloat := false
	if p.pos+1 < len(p.src) && p.src[p.pos] == '.' && p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9' {
		isFloat = true
		p.pos++
		digits()
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		j := p.pos + 1
		if j < len(p.src) && (p.src[j] == '+' || p.src[j] == '-') {
			j++
		}
		if j < len(p.src) && p.src[j] >= '0' && p.src[j] <= '9' {
			isFloat = true
			p.pos = j
			digits()
		}
	}
	text := p.src[start:p.pos]
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return &litExpr{v: n}, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && f == 0 {
		return nil, p.errorAt(start, "invalid number "+text)
	}
	return &litExpr{v: f}, nil
}

// stringLit parses '...' (literal) or "..." (interpolated when it holds $ or #). A quote
// doubles to escape itself; other backslashes stay as written (Velocity 1.7 does not
// unescape \n in string literals).
func (p *parser) stringLit() (expr, error) {
	start := p.pos
	q := p.src[p.pos]
	p.pos++
	var b []byte
	for {
		if p.pos >= len(p.src) {
			return nil, p.errorAt(start, "unterminated string")
		}
		c := p.src[p.pos]
		if c == q {
			if p.pos+1 < len(p.src) && p.src[p.pos+1] == q {
				b = append(b, q)
				p.pos += 2
				continue
			}
			p.pos++
			break
		}
		if c == '\\' && q == '"' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '"' {
			b = append(b, '\\', '"')
			p.pos += 2
			continue
		}
		b = append(b, c)
		p.pos++
	}
	s := string(b)
	if q == '\'' || !strings.ContainsAny(s, "$#") {
		return &litExpr{v: s}, nil
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	child := &parser{src: s, base: p.base + start + 1, full: p.full, depth: p.depth, slots: p.slots, t: p.t}
	parts, term, err := child.block()
	if err != nil {
		return nil, err
	}
	if term.kind != "" {
		return nil, child.errorAt(term.pos, "#"+term.kind+" without a matching directive in string")
	}
	if len(parts) == 0 {
		return &litExpr{v: ""}, nil
	}
	if t, ok := parts[0].(*textNode); ok && len(parts) == 1 {
		return &litExpr{v: t.text}, nil
	}
	return &interpExpr{parts: parts, pos: p.base + start}, nil
}

// precompile compiles the constant pattern of a regexp method call once, at parse time.
func (p *parser) precompile(s *step) {
	switch s.method {
	case mReplaceAll, mReplaceFirst, mMatches, mSplit:
	default:
		return
	}
	if len(s.args) == 0 {
		return
	}
	lit, ok := s.args[0].(*litExpr)
	if !ok {
		return
	}
	pattern, ok := lit.v.(string)
	if !ok {
		return
	}
	s.re, s.reErr = compileJavaRegexp(pattern, s.method == mMatches)
}
