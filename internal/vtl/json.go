package vtl

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting in ParseJSON so a hostile body cannot exhaust the stack.
const maxJSONDepth = 512

// ParseJSON decodes JSON into template values: objects → *Map (document key order; a
// repeated key keeps its first place and its last value, as a LinkedHashMap does),
// arrays → *List, integers that fit → int64, other numbers → float64, strings, bools, nil.
func ParseJSON(data []byte) (any, error) {
	// One copy of the input as a string: unescaped strings, keys and number texts are
	// substrings of it and cost no allocation of their own.
	d := jsonDecoder{data: data, text: string(data)}
	return d.parse()
}

// parse decodes d.data as one JSON value.
func (d *jsonDecoder) parse() (any, error) {
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos < len(d.data) {
		return nil, d.errorf("unexpected %q after the value", d.data[d.pos])
	}
	return v, nil
}

type jsonDecoder struct {
	data []byte
	text string // data as a string
	pos  int

	// Scratch stacks for the entries of the objects and arrays being decoded: each is
	// copied into exactly sized slices when it closes, instead of growing its own.
	keys  []string
	vals  []any
	items []any

	// Slabs the decoded values are made from (see Arena).
	maps    slab[Map]
	lists   slab[List]
	keySlab slab[string]
	valSlab slab[any]
	strs    slab[string]
	floats  slab[float64]
	ints    slab[int64]
}

// closeMap fills m with the entries stacked since base.
func (d *jsonDecoder) closeMap(m *Map, base int) {
	keys, vals := d.keys[base:], d.vals[base:]
	m.keys = d.keySlab.take(len(keys))
	copy(m.keys, keys)
	m.vals = d.valSlab.take(len(vals))
	copy(m.vals, vals)
	d.keys, d.vals = d.keys[:base], d.vals[:base]
	if len(m.keys) > mapIndexAt {
		m.reindex()
	}
}

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("json: offset %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *jsonDecoder) space() {
	data, pos := d.data, d.pos
	for pos < len(data) && isJSONSpace[data[pos]] {
		pos++
	}
	d.pos = pos
}

// isJSONSpace and endsPlainString classify bytes for the decoder's two hottest loops.
var isJSONSpace, endsPlainString = func() (space, end [256]bool) {
	for _, c := range " \t\n\r" {
		space[c] = true
	}
	for c := range 0x20 {
		end[c] = true // a control character: an error, found by the slow path
	}
	end['"'], end['\\'] = true, true
	return
}()

func (d *jsonDecoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		if depth >= maxJSONDepth {
			return nil, d.errorf("nested too deeply")
		}
		d.pos++
		m := d.maps.one()
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == '}' {
			d.pos++
			return m, nil
		}
		base := len(d.keys)
		var seen uint64 // a bit per key's length and ends: a repeated key sets a bit twice
		for {
			d.space()
			if d.pos >= len(d.data) || d.data[d.pos] != '"' {
				return nil, d.errorf("expected a string key")
			}
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			d.space()
			if d.pos >= len(d.data) || d.data[d.pos] != ':' {
				return nil, d.errorf("expected ':'")
			}
			d.pos++
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			bit := uint64(1) << (keyHash(k) & 63)
			if seen&bit != 0 {
				if i := indexOf(d.keys[base:], k); i >= 0 {
					d.vals[base+i] = v // a repeated key keeps its place, takes the last value
					goto next
				}
			}
			seen |= bit
			d.keys = append(d.keys, k)
			d.vals = append(d.vals, v)
		next:
			d.space()
			if d.pos >= len(d.data) {
				return nil, d.errorf("unexpected end of input")
			}
			if d.data[d.pos] == ',' {
				d.pos++
				continue
			}
			if d.data[d.pos] == '}' {
				d.pos++
				d.closeMap(m, base)
				return m, nil
			}
			return nil, d.errorf("expected ',' or '}'")
		}
	case c == '[':
		if depth >= maxJSONDepth {
			return nil, d.errorf("nested too deeply")
		}
		d.pos++
		l := d.lists.one()
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == ']' {
			d.pos++
			return l, nil
		}
		base := len(d.items)
		for {
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			d.items = append(d.items, v)
			d.space()
			if d.pos >= len(d.data) {
				return nil, d.errorf("unexpected end of input")
			}
			if d.data[d.pos] == ',' {
				d.pos++
				continue
			}
			if d.data[d.pos] == ']' {
				d.pos++
				items := d.items[base:]
				l.items = d.valSlab.take(len(items))
				copy(l.items, items)
				d.items = d.items[:base]
				return l, nil
			}
			return nil, d.errorf("expected ',' or ']'")
		}
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return d.boxString(s), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		var lit string
		var v any
		switch c {
		case 't':
			lit, v = "true", true
		case 'f':
			lit, v = "false", false
		case 'n':
			lit, v = "null", nil
		}
		if lit != "" && len(d.data)-d.pos >= len(lit) && d.text[d.pos:d.pos+len(lit)] == lit {
			d.pos += len(lit)
			return v, nil
		}
		return nil, d.errorf("unexpected %q", c)
	}
}

func (d *jsonDecoder) number() (any, error) {
	data, pos := d.data, d.pos
	start := pos
	neg := data[pos] == '-'
	if neg {
		pos++
	}
	// The mantissa's digits are accumulated while they are scanned; up to 19 of them fit.
	var mant uint64
	nd := 0 // significant digits in mant
	intStart := pos
	for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
		if nd < 19 {
			mant = mant*10 + uint64(data[pos]-'0')
			if mant != 0 {
				nd++
			}
		} else {
			nd = 99 // too many digits for the fast paths
		}
		pos++
	}
	intDigits := pos - intStart
	if intDigits == 0 {
		d.pos = pos
		return nil, d.errorf("invalid number")
	} else if intDigits > 1 && data[intStart] == '0' {
		d.pos = pos
		return nil, d.errorf("invalid number: leading zero")
	}
	isInt, fracDigits, exp := true, 0, 0
	if pos < len(data) && data[pos] == '.' {
		isInt = false
		pos++
		fracStart := pos
		for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
			if nd < 19 {
				mant = mant*10 + uint64(data[pos]-'0')
				if mant != 0 {
					nd++
				}
			} else {
				nd = 99
			}
			pos++
		}
		fracDigits = pos - fracStart
		if fracDigits == 0 {
			d.pos = pos
			return nil, d.errorf("invalid number")
		}
	}
	if pos < len(data) && (data[pos] == 'e' || data[pos] == 'E') {
		isInt = false
		pos++
		expNeg := false
		if pos < len(data) && (data[pos] == '+' || data[pos] == '-') {
			expNeg = data[pos] == '-'
			pos++
		}
		expStart := pos
		for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
			if exp < 10000 {
				exp = exp*10 + int(data[pos]-'0')
			}
			pos++
		}
		if pos == expStart {
			d.pos = pos
			return nil, d.errorf("invalid number")
		}
		if expNeg {
			exp = -exp
		}
	}
	d.pos = pos
	// Fast paths, exact by construction: an integer of at most 18 digits; a decimal whose
	// mantissa is below 2^53 scaled by a power of ten that float64 holds exactly (at most
	// 1e22), which IEEE multiplication or division then rounds correctly.
	if isInt && nd <= 18 {
		n := int64(mant)
		if neg {
			n = -n
		}
		return d.boxInt(n), nil
	}
	if !isInt && nd <= 15 && mant < 1<<53 {
		if e := exp - fracDigits; e >= -22 && e <= 22 {
			f := float64(mant)
			if e < 0 {
				f /= float64pow10[-e]
			} else {
				f *= float64pow10[e]
			}
			if neg {
				f = -f
			}
			return d.boxFloat(f), nil
		}
	}
	text := d.text[start:pos]
	if isInt {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return d.boxInt(n), nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, d.errorf("invalid number %q", text)
	}
	return d.boxFloat(f), nil
}

// float64pow10 are the powers of ten a float64 holds exactly.
var float64pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// str decodes a string at d.pos (which holds the opening quote).
func (d *jsonDecoder) str() (string, error) {
	d.pos++
	start := d.pos
	// Fast path: no escapes.
	data, pos := d.data, d.pos
	for pos < len(data) && !endsPlainString[data[pos]] {
		pos++
	}
	d.pos = pos
	if pos < len(data) {
		switch c := data[pos]; {
		case c == '"':
			s := d.text[start:pos]
			d.pos++
			return s, nil
		case c < 0x20:
			return "", d.errorf("control character in string")
		}
	}
	buf := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(buf), nil
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			break
		}
		e := d.data[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					save := d.pos
					d.pos += 2
					if x, ok := d.hex4(); ok {
						r2 = x
					} else {
						d.pos = save
					}
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
				} else {
					r = utf8.RuneError
					if r2 >= 0 {
						d.pos -= 6 // keep the second escape for the next round
					}
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", d.errorf("invalid escape \\%c", e)
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

// indexOf returns the position of key in keys, -1 when absent. Objects are small: a scan.
func indexOf(keys []string, key string) int {
	for i, k := range keys {
		if k == key {
			return i
		}
	}
	return -1
}

// keyHash is a cheap hash of an object key for the duplicate filter.
func keyHash(k string) uint {
	if k == "" {
		return 0
	}
	return uint(len(k))*31 + uint(k[0])*7 + uint(k[len(k)-1])
}
