package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// An export is built as an ordered tree so that its renderings are deterministic and keep
// AWS's key order: a value is a string, bool, int, rawNumber, []any or *object.

// object is a JSON object whose keys keep the order they were set in.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

// set sets key to v, keeping key's place if it is set already.
func (o *object) set(key string, v any) *object {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
	return o
}

// setString sets key to s unless s is empty.
func (o *object) setString(key, s string) *object {
	if s != "" {
		o.set(key, s)
	}
	return o
}

func (o *object) get(key string) any { return o.vals[key] }

// child returns the object at key, setting an empty one there first if there is none.
func (o *object) child(key string) *object {
	if c, ok := o.vals[key].(*object); ok {
		return c
	}
	c := newObject()
	o.set(key, c)
	return c
}

func (o *object) delete(key string) {
	if _, ok := o.vals[key]; !ok {
		return
	}
	delete(o.vals, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

func (o *object) len() int { return len(o.keys) }

// stringList is ss as a tree list.
func stringList(ss []string) []any {
	list := make([]any, len(ss))
	for i, s := range ss {
		list[i] = s
	}
	return list
}

// rawNumber is a JSON number kept as its text (a model schema's numbers are not rewritten).
type rawNumber string

// parseOrdered decodes JSON text into the ordered tree: objects keep their key order,
// numbers their text.
func parseOrdered(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

// maxDepth bounds the nesting parseOrdered accepts.
const maxDepth = 200

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("JSON nested deeper than %d", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				o.set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return list, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		return rawNumber(t), nil
	case nil:
		return nil, nil
	default:
		return t, nil
	}
}

// renderJSON writes v as AWS's exports are written (Jackson's default pretty printer):
// two-space indentation, `"key" : value`, arrays inline as `[ a, b ]` with objects in them
// opening on the same line, empty containers as `{ }` and `[ ]`.
func renderJSON(v any) []byte {
	var b bytes.Buffer
	writeJSON(&b, v, 0)
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, v any, level int) {
	switch t := v.(type) {
	case *object:
		if t.len() == 0 {
			b.WriteString("{ }")
			return
		}
		b.WriteString("{\n")
		for i, k := range t.keys {
			indent(b, level+1)
			writeJSONString(b, k)
			b.WriteString(" : ")
			writeJSON(b, t.vals[k], level+1)
			if i < len(t.keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		indent(b, level)
		b.WriteByte('}')
	case []any:
		if len(t) == 0 {
			b.WriteString("[ ]")
			return
		}
		b.WriteString("[ ")
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSON(b, e, level)
		}
		b.WriteString(" ]")
	default:
		writeJSONScalar(b, v)
	}
}

func writeJSONScalar(b *bytes.Buffer, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeJSONString(b, t)
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case int:
		b.WriteString(strconv.Itoa(t))
	case rawNumber:
		b.WriteString(string(t))
	default:
		panic(fmt.Sprintf("openapi: %T in an export tree", v))
	}
}

func indent(b *bytes.Buffer, level int) {
	for range level {
		b.WriteString("  ")
	}
}

// writeJSONString writes s quoted, escaping what JSON requires: quote, backslash and
// control characters.
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r == utf8.RuneError && size == 1:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// renderYAML writes v as AWS's YAML exports are written (Jackson's YAML generator): a
// "---" document start, block style, sequences not indented under their key, string values
// always double-quoted, keys plain unless YAML would read them as something else.
func renderYAML(v any) []byte {
	var b bytes.Buffer
	b.WriteString("---\n")
	switch t := v.(type) {
	case *object:
		if t.len() == 0 {
			b.WriteString("{}\n")
		} else {
			writeYAMLObject(&b, t, 0)
		}
	default:
		writeYAMLScalar(&b, v)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// writeYAMLObject writes o's entries, each at the given indentation.
func writeYAMLObject(b *bytes.Buffer, o *object, level int) {
	for _, k := range o.keys {
		indent(b, level)
		writeYAMLEntry(b, k, o.vals[k], level)
	}
}

// writeYAMLEntry writes "key: value" with the key's indentation already written.
func writeYAMLEntry(b *bytes.Buffer, k string, v any, level int) {
	writeYAMLKey(b, k)
	b.WriteByte(':')
	switch t := v.(type) {
	case *object:
		if t.len() == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteByte('\n')
		writeYAMLObject(b, t, level+1)
	case []any:
		if len(t) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteByte('\n')
		writeYAMLList(b, t, level)
	default:
		b.WriteByte(' ')
		writeYAMLScalar(b, v)
		b.WriteByte('\n')
	}
}

// writeYAMLList writes a block sequence whose dashes stand at level.
func writeYAMLList(b *bytes.Buffer, list []any, level int) {
	for _, e := range list {
		indent(b, level)
		writeYAMLItem(b, e, level)
	}
}

// writeYAMLItem writes "- value" with the dash's indentation already written.
func writeYAMLItem(b *bytes.Buffer, e any, level int) {
	b.WriteString("-")
	switch t := e.(type) {
	case *object:
		if t.len() == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteByte(' ')
		for i, k := range t.keys {
			if i > 0 {
				indent(b, level+1)
			}
			writeYAMLEntry(b, k, t.vals[k], level+1)
		}
	case []any:
		if len(t) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteByte(' ')
		for i, x := range t {
			if i > 0 {
				indent(b, level+1)
			}
			writeYAMLItem(b, x, level+1)
		}
	default:
		b.WriteByte(' ')
		writeYAMLScalar(b, e)
		b.WriteByte('\n')
	}
}

func writeYAMLScalar(b *bytes.Buffer, v any) {
	switch t := v.(type) {
	case string:
		writeYAMLQuoted(b, t)
	default:
		writeJSONScalar(b, v)
	}
}

// writeYAMLKey writes a mapping key plain when YAML reads the plain text back as the same
// string, double-quoted otherwise (numbers such as "200", words such as "true", keys with
// indicators).
func writeYAMLKey(b *bytes.Buffer, k string) {
	if plainYAMLKey(k) {
		b.WriteString(k)
		return
	}
	writeYAMLQuoted(b, k)
}

func plainYAMLKey(k string) bool {
	if k == "" || strings.TrimSpace(k) != k {
		return false
	}
	switch strings.ToLower(k) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		return false
	}
	if _, err := strconv.ParseFloat(k, 64); err == nil {
		return false
	}
	if strings.ContainsAny(k[:1], "-?:,[]{}#&*!|>'\"%@`") {
		// "/pets" and "$ref" stay plain; a leading indicator does not.
		return false
	}
	if strings.Contains(k, ": ") || strings.Contains(k, " #") || strings.HasSuffix(k, ":") {
		return false
	}
	for _, r := range k {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return false
		}
	}
	return true
}

// writeYAMLQuoted writes s as a YAML double-quoted scalar, escaping what is not printable.
func writeYAMLQuoted(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		case r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 || r == 0xfeff:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}
