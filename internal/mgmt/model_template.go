package mgmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// flattenSchema returns m's schema with every $ref to another model of the API replaced by
// that model's (flattened) schema, as GetModel's flatten=true asks. A reference cycle, or
// a reference into a part of another model, is left as it is. A schema without model
// references comes back byte for byte; otherwise it is re-indented, keys in their order.
func flattenSchema(doc *apigateway.RestAPIDocument, m *apigateway.Model) string {
	v, err := parseOrdered(m.Schema)
	if err != nil {
		return m.Schema
	}
	changed := false
	var inline func(v any, seen map[string]bool) any
	inline = func(v any, seen map[string]bool) any {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if name, ok := modelRef(doc.ID, ref); ok && !strings.Contains(ref, "#") && !seen[name] && doc.Models[name] != nil {
					if target, err := parseOrdered(doc.Models[name].Schema); err == nil {
						changed = true
						seen[name] = true
						out := inline(target, seen)
						delete(seen, name)
						return out
					}
				}
			}
			for k, e := range v {
				if k != keyOrderKey {
					v[k] = inline(e, seen)
				}
			}
		case []any:
			for i, e := range v {
				v[i] = inline(e, seen)
			}
		}
		return v
	}
	v = inline(v, map[string]bool{m.Name: true})
	if !changed {
		return m.Schema
	}
	var b bytes.Buffer
	writeOrdered(&b, v, "")
	return b.String()
}

// writeOrdered writes v (from parseOrdered) as indented JSON, object keys in their order.
func writeOrdered(b *bytes.Buffer, v any, indent string) {
	switch v := v.(type) {
	case map[string]any:
		keys, _ := v[keyOrderKey].([]string)
		if keys == nil {
			keys = slices.Sorted(maps.Keys(v))
		}
		if len(keys) == 0 {
			b.WriteString("{ }")
			return
		}
		b.WriteString("{\n")
		for i, k := range keys {
			b.WriteString(indent + "  ")
			b.Write(appendQuoted(nil, k))
			b.WriteString(" : ")
			writeOrdered(b, v[k], indent+"  ")
			if i < len(keys)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(indent + "}")
	case []any:
		if len(v) == 0 {
			b.WriteString("[ ]")
			return
		}
		b.WriteString("[ ")
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeOrdered(b, e, indent)
		}
		b.WriteString(" ]")
	default:
		enc, err := json.Marshal(v)
		if err != nil {
			enc = []byte("null")
		}
		b.Write(enc)
	}
}

// modelTemplate is GetModelTemplate's answer for a parsed (flattened) schema: a VTL mapping
// template that rebuilds the model's shape from the request body. AWS's answer for the Empty
// model is recorded in awscli's examples/apigateway/get-model-template.rst
// ("#set($inputRoot = $input.path('$'))\n{ }"); for richer schemas gatehouse writes the same
// style: string (and untyped) properties quoted, numbers, integers and booleans bare, nested
// objects inline, arrays as a #foreach over their items. Properties keep the schema's order.
func modelTemplate(schema any) string {
	var b strings.Builder
	b.WriteString("#set($inputRoot = $input.path('$'))\n")
	writeTemplateValue(&b, schema, "$inputRoot", "")
	return b.String()
}

// writeTemplateValue writes the template of one schema node whose value is the VTL
// reference ref, at the given indentation (the line's first token is already placed).
func writeTemplateValue(b *strings.Builder, schema any, ref, indent string) {
	obj, _ := schema.(map[string]any)
	switch schemaType(obj) {
	case "object":
		names := propertyOrder(obj)
		props, _ := obj["properties"].(map[string]any)
		if len(names) == 0 {
			b.WriteString("{ }")
			return
		}
		b.WriteString("{\n")
		for i, name := range names {
			b.WriteString(indent + "  " + string(appendQuoted(nil, name)) + " : ")
			writeTemplateValue(b, props[name], ref+vtlMember(name), indent+"  ")
			if i < len(names)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(indent + "}")
	case "array":
		elem := "$elem"
		if strings.Count(indent, "  ") > 0 {
			elem = "$elem" + string(rune('0'+min(9, len(indent)/2)))
		}
		b.WriteString("[\n#foreach(" + elem + " in " + ref + ")\n" + indent + "  ")
		writeTemplateValue(b, obj["items"], elem, indent+"  ")
		b.WriteString("#if($foreach.hasNext),#end\n#end\n" + indent + "]")
	case "number", "integer", "boolean":
		b.WriteString(ref)
	default:
		b.WriteString(`"` + ref + `"`)
	}
}

// schemaType is a schema node's type: its "type" (the first, when a list), else "object"
// when it has properties, else "array" when it has items, else "".
func schemaType(obj map[string]any) string {
	switch t := obj["type"].(type) {
	case string:
		return t
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok && s != "null" {
				return s
			}
		}
	}
	if _, ok := obj["properties"]; ok {
		return "object"
	}
	if _, ok := obj["items"]; ok {
		return "array"
	}
	return ""
}

// vtlMember is the VTL reference suffix for a property: ".name" for a Java identifier,
// else ".get('name')".
func vtlMember(name string) string {
	ident := name != ""
	for i, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			ident = false
		}
	}
	if ident {
		return "." + name
	}
	return ".get('" + strings.ReplaceAll(name, "'", "''") + "')"
}

func appendQuoted(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// keyOrderKey holds, in every object parsed by parseOrdered, its keys in document order.
// It cannot collide with a JSON key: JSON text cannot spell a NUL byte unescaped, and
// parseOrdered drops keys that decode to it.
const keyOrderKey = "\x00keys"

// parseOrdered parses JSON like jsonschema.UnmarshalJSON (numbers as json.Number) and
// records each object's key order under keyOrderKey.
func parseOrdered(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := parseOrderedValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func parseOrderedValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := map[string]any{}
		var keys []string
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := parseOrderedValue(dec)
			if err != nil {
				return nil, err
			}
			if k == keyOrderKey {
				continue
			}
			if _, dup := obj[k]; !dup {
				keys = append(keys, k)
			}
			obj[k] = v
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		obj[keyOrderKey] = keys
		return obj, nil
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			v, err := parseOrderedValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return arr, nil
	}
	return tok, nil
}

// propertyOrder returns the names of obj's properties in the order the schema text lists
// them (sorted when the node was not parsed by parseOrdered).
func propertyOrder(obj map[string]any) []string {
	props, _ := obj["properties"].(map[string]any)
	if names, ok := props[keyOrderKey].([]string); ok {
		return names
	}
	return slices.Sorted(maps.Keys(props))
}
