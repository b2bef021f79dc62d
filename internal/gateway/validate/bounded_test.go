package validate

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// compile returns the compiled schema src, as a stage compiles a model.
func compile(t testing.TB, src string) *jsonschema.Schema {
	t.Helper()
	s, err := NewCompiler(apiID, models(map[string]string{"M": src}), nil).schema("M")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// instance parses body as validateBody does.
func instance(t testing.TB, body string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// wholeMessages is what validation reported before it was bounded: the library run on the
// whole instance, every message of its error tree.
func wholeMessages(s *jsonschema.Schema, inst any) []string {
	err := s.Validate(inst)
	if err == nil {
		return nil
	}
	p := message.NewPrinter(language.English)
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if msg, ok := errorMessage(e, inst, p); ok {
			out = append(out, msg)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(err.(*jsonschema.ValidationError))
	return out
}

func repeatJSON(n int, item func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = item(i)
	}
	return strings.Join(parts, ",")
}

// TestBoundedMatchesWhole checks that validating a large instance a chunk at a time reports
// what validating it whole reported, cut at maxProblems: the same messages in the same
// order for arrays; for objects, whose members the library visits in map order, the same
// messages in some order.
func TestBoundedMatchesWhole(t *testing.T) {
	t.Parallel()
	mixed := "[" + repeatJSON(3000, func(i int) string {
		if i%7 == 0 {
			return strconv.Itoa(i)
		}
		return `"s"`
	}) + "]"
	tests := []struct {
		name, schema, body string
		ordered            bool
	}{
		{"array items", `{"type":"array","items":{"type":"string"}}`, mixed, true},
		{"array items and own keywords", `{"type":"array","minItems":5000,"uniqueItems":true,"items":{"type":"string","maxLength":0}}`, mixed, true},
		{"few failures in a large array", `{"type":"array","items":{"type":"string"}}`, "[" + repeatJSON(5000, func(i int) string {
			if i == 10 || i == 4990 {
				return "1"
			}
			return `"x"`
		}) + "]", true},
		{"items by $ref", `{"definitions":{"s":{"type":"string"}},"type":"array","items":{"$ref":"#/definitions/s"}}`, mixed, true},
		{"tuple and additionalItems false", `{"type":"array","items":[{"type":"string"},{"type":"string"}],"additionalItems":false}`, mixed, true},
		{"tuple and additionalItems schema", `{"type":"array","items":[{"type":"integer"}],"additionalItems":{"type":"string"}}`, mixed, true},
		{"nested arrays", `{"type":"array","items":{"type":"array","items":{"type":"object","required":["a"]}}}`,
			"[" + repeatJSON(3, func(int) string { return "[" + repeatJSON(700, func(int) string { return `{"b":1}` }) + "]" }) + "]", true},
		{"object of objects", `{"type":"object","required":["z"],"additionalProperties":{"type":"object","required":["a"]}}`,
			"{" + repeatJSON(90, func(i int) string { return `"k` + strconv.Itoa(i) + `":{"b":1}` }) + "," + repeatJSON(900, func(i int) string { return `"ok` + strconv.Itoa(i) + `":{"a":1}` }) + "}", false},
		{"additionalProperties false", `{"type":"object","properties":{"a":{"type":"string"}},"patternProperties":{"^p":{"type":"integer"}},"additionalProperties":false}`,
			`{"a":1,` + repeatJSON(600, func(i int) string { return `"p` + strconv.Itoa(i) + `":"x","x` + strconv.Itoa(i) + `":1` }) + "}", false},
		{"a heavy member", `{"type":"object","properties":{"list":{"type":"array","items":{"type":"string"}}}}`, `{"list":` + mixed + `}`, true},
		{"not splittable", `{"type":"array","items":{"type":"string"},"anyOf":[{"minItems":1}]}`, mixed, true},
		{"valid", `{"type":"array","items":{"type":"string"}}`, "[" + repeatJSON(3000, func(int) string { return `"s"` }) + "]", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, inst := compile(t, tt.schema), instance(t, tt.body)
			all := wholeMessages(s, inst)
			want := all[:min(len(all), maxProblems)]
			c := newChecker()
			c.check(s, inst)
			got := c.messages()
			ok := slices.Equal(got, want)
			if !tt.ordered {
				// Which members come first is map order, for the library too: every
				// message must be one of the whole validation's, as many as it cut.
				left := map[string]int{}
				for _, m := range all {
					left[m]++
				}
				ok = len(got) == len(want)
				for _, m := range got {
					left[m]--
					ok = ok && left[m] >= 0
				}
			}
			if !ok {
				t.Errorf("bounded validation = %d messages %.500s; whole validation gave %d %.500s", len(got), strings.Join(got, " | "), len(want), strings.Join(want, " | "))
			}
		})
	}
}

// TestBoundedValidationAllocations: 100,000 failing items cost allocations for about one
// chunk of them, not for every one (which was about nine allocations, 250 bytes, an item).
// Not parallel: it counts the process's allocations.
func TestBoundedValidationAllocations(t *testing.T) {
	s := compile(t, `{"type":"array","items":{"type":"string"}}`)
	inst := instance(t, "["+strings.Repeat("1,", 99999)+"1]")
	allocs := testing.AllocsPerRun(2, func() {
		c := newChecker()
		c.check(s, inst)
		if len(c.messages()) != maxProblems {
			t.Fatalf("bounded validation found %d problems; want %d", len(c.messages()), maxProblems)
		}
	})
	if allocs > 50000 {
		t.Errorf("validating 100,000 failing items made %.0f allocations; want at most 50,000", allocs)
	}
}

// FuzzBoundedValidation compares validation split into tiny chunks with validation of the
// whole instance, for any schema and body: the same number of messages (cut at
// maxProblems), each one the whole validation reports.
func FuzzBoundedValidation(f *testing.F) {
	f.Add(`{"type":"array","items":{"type":"string"}}`, `[1,"a",2,[3]]`, uint8(1))
	f.Add(`{"type":"array","minItems":9,"items":[{"type":"integer"}],"additionalItems":false}`, `["x",1,2]`, uint8(2))
	f.Add(`{"type":"array","items":[{}],"additionalItems":{"type":"object","required":["a"]}}`, `[0,{},{"a":1},{"b":[1,2,3]}]`, uint8(1))
	f.Add(`{"type":"object","required":["r"],"properties":{"a":{"maxLength":1}},"patternProperties":{"^p":{"type":"integer"}},"additionalProperties":false}`, `{"a":"xy","p1":"s","q":1,"pp":{"x":[1,2]}}`, uint8(1))
	f.Add(`{"additionalProperties":{"type":"array","items":{"enum":[1]}}}`, `{"a":[1,2,3],"b":[2,2],"c":{}}`, uint8(3))
	f.Add(`{"definitions":{"n":{"type":"array","items":{"$ref":"#/definitions/n"}}},"$ref":"#/definitions/n"}`, `[[[]],[[1]],2]`, uint8(1))
	f.Add(`{"type":["array","object"],"uniqueItems":true,"items":{"type":"integer"},"dependencies":{"a":["b"]}}`, `[1,1,"2"]`, uint8(1))
	f.Fuzz(func(t *testing.T, schema, body string, chunk uint8) {
		s, err := NewCompiler(apiID, models(map[string]string{"M": schema}), nil).schema("M")
		if err != nil {
			return
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if err != nil {
			return
		}
		all := wholeMessages(s, inst)
		c := newChecker()
		c.chunk = int(chunk%8) + 1
		c.check(s, inst)
		got := c.messages()
		if len(all) == 0 {
			if len(got) != 0 {
				t.Fatalf("split validation = %q; whole validation found nothing", got)
			}
			return
		}
		if want := min(len(all), maxProblems); len(got) != want {
			t.Fatalf("split validation = %d messages %q; want %d of %q", len(got), got, want, all)
		}
		left := map[string]int{}
		for _, m := range all {
			left[m]++
		}
		for _, m := range got {
			if left[m]--; left[m] < 0 {
				t.Fatalf("split validation reports %q more often than whole validation %q", m, all)
			}
		}
	})
}
