package vtl

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Printing follows what API Gateway's Velocity writes for each Java value:
// strings raw, numbers as Java's toString, maps as java.util.AbstractMap.toString
// ({a=1, b=x}, null values as "null"), JSON lists as compact JSON (and everything inside
// them as JSON: [{"foo":"bar"}]), template-made lists as java.util.AbstractCollection
// ([1, a]). Recorded from AWS: {foo=[{"nested":"bar"}]} and [{"foo":"bar"}].

// maxPrintDepth bounds how deep the printer descends into nested containers; deeper
// values (only templates building pathological nests reach it) abort printing.
const maxPrintDepth = 1000

// exportedPrintBudget caps what AppendString and AppendJSON write for one value, so that a
// value shared many times inside itself cannot expand exponentially.
const exportedPrintBudget = 256 << 20

// printer writes values with a byte budget; Execute gives it the output still allowed.
type printer struct {
	dst    []byte
	limit  int                        // len(dst) may not exceed it
	over   bool                       // the budget or the depth cap was hit; dst is truncated
	path   []any                      // containers being printed, to print a self-reference as Java does
	render func(p *printer, b *block) // renders #define blocks; nil outside Execute
}

// AppendString appends v as Velocity renders it (Java toString); nil appends nothing.
func AppendString(dst []byte, v any) []byte {
	p := printer{dst: dst, limit: len(dst) + exportedPrintBudget}
	p.str(norm(v))
	return p.dst
}

// AppendJSON appends v serialized as compact JSON (maps and lists recursively; host
// Objects as JSON strings of their String form, or null when they have none).
func AppendJSON(dst []byte, v any) []byte {
	p := printer{dst: dst, limit: len(dst) + exportedPrintBudget}
	p.json(norm(v))
	return p.dst
}

func (p *printer) ok() bool {
	if len(p.dst) > p.limit {
		p.over = true
	}
	return !p.over
}

// open starts printing container c: it pushes c and writes the opening bracket. It reports
// false when c is not to be printed: past the depth cap (printing stops), or when c is
// already being printed, a cycle, which prints as self instead (Java's "(this Map)").
func (p *printer) open(c any, bracket byte, self string) bool {
	if len(p.path) >= maxPrintDepth {
		p.over = true
		return false
	}
	for _, x := range p.path {
		if x == c {
			p.dst = append(p.dst, self...)
			return false
		}
	}
	p.path = append(p.path, c)
	p.dst = append(p.dst, bracket)
	return true
}

// next writes sep before element i of a container; it reports false, ending the elements,
// once the budget is spent.
func (p *printer) next(i int, sep string) bool {
	if !p.ok() {
		return false
	}
	if i > 0 {
		p.dst = append(p.dst, sep...)
	}
	return true
}

// close writes the closing bracket of the container open started.
func (p *printer) close(bracket byte) {
	p.dst = append(p.dst, bracket)
	p.path = p.path[:len(p.path)-1]
}

// str prints v as Java's toString would (top-level rendering: null prints nothing).
func (p *printer) str(v any) {
	if !p.ok() {
		return
	}
	switch x := v.(type) {
	case nil:
	case string:
		p.dst = append(p.dst, x...)
	case int64:
		p.dst = strconv.AppendInt(p.dst, x, 10)
	case float64:
		p.dst = appendJavaDouble(p.dst, x)
	case bool:
		p.dst = strconv.AppendBool(p.dst, x)
	case *Map:
		p.javaMap(x)
	case *List:
		if x.java {
			p.javaList(x)
		} else {
			p.jsonList(x)
		}
	case *entry:
		p.dst = append(p.dst, x.key...)
		p.dst = append(p.dst, '=')
		p.inner(x.val)
	case *block:
		if p.render != nil {
			p.render(p, x)
		}
	case *loopScope:
		p.dst = append(p.dst, "foreach"...)
	case MapObject:
		p.javaMap(x.AsMap())
	case fmt.Stringer:
		p.dst = append(p.dst, x.String()...)
	}
	p.ok()
}

// inner prints a value inside a Java collection: null is "null" there.
func (p *printer) inner(v any) {
	if v == nil {
		p.dst = append(p.dst, "null"...)
		return
	}
	p.str(v)
}

func (p *printer) javaMap(m *Map) {
	if !p.open(m, '{', "(this Map)") {
		return
	}
	for i, k := range m.keys {
		if !p.next(i, ", ") {
			break
		}
		p.dst = append(p.dst, k...)
		p.dst = append(p.dst, '=')
		p.inner(m.vals[i])
	}
	p.close('}')
}

func (p *printer) javaList(l *List) {
	if !p.open(l, '[', "(this Collection)") {
		return
	}
	for i, v := range l.items {
		if !p.next(i, ", ") {
			break
		}
		p.inner(v)
	}
	p.close(']')
}

func (p *printer) jsonList(l *List) {
	if !p.open(l, '[', "null") {
		return
	}
	for i, v := range l.items {
		if !p.next(i, ",") {
			break
		}
		p.json(v)
	}
	p.close(']')
}

func (p *printer) jsonMap(m *Map) {
	if !p.open(m, '{', "null") {
		return
	}
	for i, k := range m.keys {
		if !p.next(i, ",") {
			break
		}
		p.dst = appendJSONString(p.dst, k)
		p.dst = append(p.dst, ':')
		p.json(m.vals[i])
	}
	p.close('}')
}

// json prints v as compact JSON.
func (p *printer) json(v any) {
	if !p.ok() {
		return
	}
	switch x := v.(type) {
	case nil:
		p.dst = append(p.dst, "null"...)
	case string:
		p.dst = appendJSONString(p.dst, x)
	case int64:
		p.dst = strconv.AppendInt(p.dst, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			p.dst = append(p.dst, "null"...)
		} else {
			p.dst = appendJavaDouble(p.dst, x)
		}
	case bool:
		p.dst = strconv.AppendBool(p.dst, x)
	case *List:
		p.jsonList(x)
	case *Map:
		p.jsonMap(x)
	case MapObject:
		p.jsonMap(x.AsMap())
	case *entry, *block:
		// Java serializers fall back to toString for these: a JSON string of the text.
		start := len(p.dst)
		p.str(x)
		s := string(p.dst[start:])
		p.dst = appendJSONString(p.dst[:start], s)
	case fmt.Stringer:
		p.dst = appendJSONString(p.dst, x.String())
	default:
		p.dst = append(p.dst, "null"...)
	}
	p.ok()
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and control characters
// escaped, everything else (including non-ASCII) written as is; invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\ufffd"...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJavaDouble appends f as Java's Double.toString: plain notation with at least one
// fractional digit for 1e-3 <= |f| < 1e7 (1.0, 1.5, 1234567.0), computerized scientific
// notation otherwise (1.0E10, 1.234E-5), and NaN, Infinity, -Infinity. The digits are the
// shortest that round-trip, as in JDK 19 and later.
func appendJavaDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		for _, c := range dst[start:] {
			if c == '.' {
				return dst
			}
		}
		return append(dst, ".0"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // -d.ddde±XX
	mant, exp := e, []byte(nil)
	for i, c := range e {
		if c == 'e' {
			mant, exp = e[:i], e[i+1:]
			break
		}
	}
	dst = append(dst, mant...)
	hasDot := false
	for _, c := range mant {
		if c == '.' {
			hasDot = true
		}
	}
	if !hasDot {
		dst = append(dst, ".0"...)
	}
	dst = append(dst, 'E')
	if len(exp) > 0 && exp[0] == '-' {
		dst = append(dst, '-')
	}
	if len(exp) > 0 && (exp[0] == '-' || exp[0] == '+') {
		exp = exp[1:]
	}
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	return append(dst, exp...)
}
