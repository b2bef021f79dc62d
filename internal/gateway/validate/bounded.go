package validate

import (
	"errors"
	"fmt"
	"slices"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The schema library validates an instance whole and returns every error, one
// *ValidationError (about 250 bytes) per failing item: a 10 MB body of failing items cost
// 2.7 GB of allocation, although only maxProblems messages are kept. It has no option to
// stop early, so checker splits the work instead: a large array or object whose schema
// only constrains its members one by one (items, properties, additionalProperties,
// patternProperties, beside the container's own keywords) is validated a chunk of members
// at a time, and validation stops once maxProblems messages are found. Anything else — a
// small instance, or a schema whose keywords look at the instance as a whole (allOf, anyOf,
// oneOf, not, enum, contains, schema dependencies, later drafts' keywords) — goes to the
// library whole, as before. The messages are the library's, in the order it reports them
// (members of an object in map order, as the library visits them).

// chunkNodes is how many JSON values (counted deep) one call of the library gets when an
// instance is split: it bounds the errors built beyond maxProblems to about this many.
const chunkNodes = 512

// checker collects the messages of one body's validation, at most maxProblems.
type checker struct {
	chunk   int // chunkNodes; tests use smaller chunks to split small instances
	out     []string
	first   error            // the first error, whose text is the message when describe finds none
	english *message.Printer // made by describe: a valid body (the common case) needs none
}

func newChecker() *checker { return &checker{chunk: chunkNodes} }

func (c *checker) full() bool { return len(c.out) >= maxProblems }

// check validates v against s, splitting v when it is large and s allows it.
func (c *checker) check(s *jsonschema.Schema, v any) {
	if c.full() {
		return
	}
	s = deref(s)
	// Size first: most bodies are small, and splittable allocates (Types.ToStrings).
	if weight(v, c.chunk) <= c.chunk || !splittable(s, v) {
		c.validate(s, v)
		return
	}
	switch v := v.(type) {
	case []any:
		c.checkArray(s, v)
	case map[string]any:
		c.checkObject(s, v)
	}
}

// validate runs the library on v whole and adds the messages of its errors.
func (c *checker) validate(s *jsonschema.Schema, v any) {
	err := s.Validate(v)
	if err == nil {
		return
	}
	if c.first == nil {
		c.first = err
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		c.out = append(c.out, err.Error())
		return
	}
	c.describe(ve, v)
}

// describe adds the messages of an error tree: one per failed keyword, depth first.
func (c *checker) describe(e *jsonschema.ValidationError, inst any) {
	if c.full() {
		return
	}
	if c.english == nil {
		c.english = message.NewPrinter(language.English)
	}
	if msg, ok := errorMessage(e, inst, c.english); ok {
		c.out = append(c.out, msg)
		return
	}
	for _, cause := range e.Causes {
		c.describe(cause, inst)
	}
}

// messages returns what the validation found, nil when v is valid.
func (c *checker) messages() []string {
	if len(c.out) == 0 && c.first != nil {
		return []string{c.first.Error()}
	}
	return c.out
}

// checkArray validates the array's own keywords (type, minItems, maxItems, uniqueItems),
// then its items in order, as the library does, a chunk at a time.
func (c *checker) checkArray(s *jsonschema.Schema, arr []any) {
	own := *s
	own.Items, own.AdditionalItems = nil, nil
	c.validate(&own, arr)

	var rest []any // the items that additionalItems governs
	var restSchema *jsonschema.Schema
	switch items := s.Items.(type) {
	case *jsonschema.Schema:
		rest, restSchema = arr, items
	case []*jsonschema.Schema:
		n := min(len(arr), len(items))
		for i := range n {
			c.check(items[i], arr[i])
		}
		rest = arr[n:]
		switch add := s.AdditionalItems.(type) {
		case bool:
			if !add && len(rest) > 0 && !c.full() {
				c.out = append(c.out, fmt.Sprintf("array instance has %d elements which are not allowed by the schema", len(rest)))
			}
			return
		case *jsonschema.Schema:
			restSchema = add
		default:
			return
		}
	}
	// A chunk of light items goes to the library as an array whose items schema is
	// restSchema; a heavy item is split on its own.
	each := &jsonschema.Schema{}
	*each = *s
	clearKeywords(each)
	each.Items = restSchema
	start, w := 0, 0
	flush := func(end int) {
		if end > start {
			c.validate(each, rest[start:end])
		}
		start, w = end, 0
	}
	for i, item := range rest {
		if c.full() {
			return
		}
		iw := weight(item, c.chunk)
		if iw > c.chunk {
			flush(i)
			c.check(restSchema, item)
			start = i + 1
			continue
		}
		if w+iw > c.chunk {
			flush(i)
		}
		w += iw
	}
	flush(len(rest))
}

// checkObject validates the object's own keywords (type, minProperties, maxProperties,
// required, property dependencies), then its members, a chunk at a time; members that
// additionalProperties false forbids are listed in one message at the end, as the library
// lists them.
func (c *checker) checkObject(s *jsonschema.Schema, obj map[string]any) {
	own := *s
	own.Properties, own.PatternProperties, own.AdditionalProperties = nil, nil, nil
	c.validate(&own, obj)

	each := &jsonschema.Schema{}
	*each = *s
	clearKeywords(each)
	each.Properties, each.PatternProperties, each.AdditionalProperties = s.Properties, s.PatternProperties, s.AdditionalProperties
	forbid := false
	if b, ok := s.AdditionalProperties.(bool); ok {
		forbid = !b
		each.AdditionalProperties = nil
	}
	var extra []string
	chunk := map[string]any{}
	w := 0
	flush := func() {
		if len(chunk) > 0 {
			c.validate(each, chunk)
			clear(chunk)
		}
		w = 0
	}
	for name, val := range obj {
		if c.full() {
			return
		}
		schemas, known := memberSchemas(s, name)
		if !known && forbid {
			extra = append(extra, name)
			continue
		}
		vw := weight(val, c.chunk)
		if vw > c.chunk {
			for _, ms := range schemas {
				c.check(ms, val)
			}
			continue
		}
		if w+vw > c.chunk {
			flush()
		}
		chunk[name] = val
		w += vw
	}
	flush()
	if len(extra) > 0 && !c.full() {
		c.out = append(c.out, "object instance has properties which are not allowed by the schema: "+jsonList(slices.Sorted(slices.Values(extra))))
	}
}

// memberSchemas returns the schemas that govern member name of an object: its property
// schema and every matching pattern's, else additionalProperties when it is a schema;
// known is false when neither properties nor patternProperties name it.
func memberSchemas(s *jsonschema.Schema, name string) (schemas []*jsonschema.Schema, known bool) {
	if ps, ok := s.Properties[name]; ok {
		schemas = append(schemas, ps)
	}
	for re, ps := range s.PatternProperties {
		if re.MatchString(name) {
			schemas = append(schemas, ps)
		}
	}
	if len(schemas) > 0 {
		return schemas, true
	}
	if add, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
		return []*jsonschema.Schema{add}, false
	}
	return nil, false
}

// clearKeywords removes from s every keyword about the instance as a whole, leaving the
// per-member ones for the caller to set.
func clearKeywords(s *jsonschema.Schema) {
	s.Types = nil
	s.MinItems, s.MaxItems, s.UniqueItems = nil, nil, false
	s.Items, s.AdditionalItems = nil, nil
	s.MinProperties, s.MaxProperties, s.Required, s.Dependencies = nil, nil, nil, nil
	s.Properties, s.PatternProperties, s.AdditionalProperties = nil, nil, nil
}

// deref follows a $ref that stands alone: in draft 4 a $ref replaces its siblings, but the
// library still checks type, enum, const and format beside it, so such a schema is kept.
func deref(s *jsonschema.Schema) *jsonschema.Schema {
	for range 32 { // a cycle of references ends here, and the library reports it
		if s.Ref == nil || s.DraftVersion >= 2019 || s.Types != nil || s.Enum != nil || s.Const != nil || s.Format != nil {
			return s
		}
		s = s.Ref
	}
	return s
}

// splittable reports whether v's members can be validated apart from each other against s:
// s has no keyword that needs v whole but the container's own ones, which checkArray and
// checkObject validate on their own.
func splittable(s *jsonschema.Schema, v any) bool {
	if s.Bool != nil || s.DraftVersion >= 2019 || s.Ref != nil || s.Not != nil || len(s.AllOf) > 0 || len(s.AnyOf) > 0 ||
		len(s.OneOf) > 0 || s.If != nil || s.Enum != nil || s.Const != nil || s.Format != nil || len(s.Extensions) > 0 {
		return false
	}
	wants := func(t string) bool {
		return s.Types == nil || s.Types.IsEmpty() || slices.Contains(s.Types.ToStrings(), t)
	}
	switch v.(type) {
	case []any:
		return wants("array") && s.Items != nil && s.Contains == nil
	case map[string]any:
		if !wants("object") || s.PropertyNames != nil {
			return false
		}
		for _, dep := range s.Dependencies {
			if _, ok := dep.([]string); !ok {
				return false // a schema dependency validates the object whole
			}
		}
		return true
	}
	return false
}

// weight counts the JSON values in v, itself included, stopping once past limit.
func weight(v any, limit int) int {
	n := 1
	switch c := v.(type) {
	case []any:
		for _, x := range c {
			if n > limit {
				return n
			}
			n += weight(x, limit-n)
		}
	case map[string]any:
		for _, x := range c {
			if n > limit {
				return n
			}
			n += weight(x, limit-n)
		}
	}
	return n
}
