package awsjson

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// CheckInput checks one call's input against its operation's input shape in the service
// model, before the operation runs, as AWS's front end does:
//
//   - a JSON body value of the wrong type where the model wants a string is AWS's
//     SerializationException ("class java.lang.Boolean can not be converted to an String"),
//     reported alone, as AWS stops reading the body there;
//   - every enum and pattern constraint the input breaks is one problem of one
//     ValidationException ("N validation errors detected: a; b"): the body's members first,
//     in the model's member order at every depth (list members numbered from 1,
//     "updateRestApiInput.patchOperations.1.member.op"), named under the operation's input
//     ("createRestApiInput.endpointConfiguration.types"), then the URI's and query's members,
//     named by their member name alone ("responseType", "statusCode").
//
// label returns a URI label's value. A body that is not JSON is left to Decode.
// Recorded: localstack's AWS-validated test_apigateway_api.snapshot.json
// (test_create_rest_api_with_endpoint_configuration, test_update_rest_api_concatenation_of_errors,
// test_update_method_response_negative_tests, test_gateway_response_validation,
// test_put_integration_request_parameter_bool_type,
// test_integration_response_invalid_responsetemplates).
func CheckInput(op *Operation, body []byte, label func(string) string, query func(string) string) error {
	in := shapes[op.Input]
	if in == nil {
		return nil
	}
	c := checker{}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil {
			if obj, ok := v.(map[string]any); ok {
				c.structure(in, obj, inputName(op.Name), true)
				if c.serialization != nil {
					return c.serialization
				}
			}
		}
	}
	for _, m := range in.Members {
		var v string
		switch m.Location {
		case "uri":
			v = label(m.LocationName)
		case "querystring":
			if query == nil {
				continue
			}
			v = query(m.LocationName)
		default:
			continue
		}
		if v == "" {
			continue
		}
		c.str(shapes[m.Shape], v, m.Name)
	}
	if len(c.problems) == 0 {
		return nil
	}
	return Validation(c.problems)
}

// inputName is how AWS names an operation's input in its messages: "createRestApiInput".
func inputName(op string) string {
	r, n := utf8.DecodeRuneInString(op)
	return string(unicode.ToLower(r)) + op[n:] + "Input"
}

type checker struct {
	problems      []string
	serialization *Error
}

// structure checks the body members of obj (those without a location when top is set).
func (c *checker) structure(s *Shape, obj map[string]any, path string, top bool) {
	for _, m := range s.Members {
		if top && m.Location != "" {
			continue
		}
		v, ok := obj[m.Name]
		if !ok || v == nil {
			continue
		}
		c.value(shapes[m.Shape], v, path+"."+m.Name)
		if c.serialization != nil {
			return
		}
	}
}

func (c *checker) value(s *Shape, v any, path string) {
	if s == nil {
		return
	}
	switch s.Kind {
	case KindString:
		switch x := v.(type) {
		case string:
			c.str(s, x, path)
		case bool:
			c.serialization = serializationError("java.lang.Boolean")
		case json.Number:
			c.serialization = serializationError("com.amazon.coral.value.json.numbers.TruncatingBigNumber")
		}
	case KindStructure:
		if obj, ok := v.(map[string]any); ok {
			c.structure(s, obj, path, false)
		}
	case KindList:
		arr, ok := v.([]any)
		if !ok {
			return
		}
		elem := shapes[s.Member]
		if elem != nil && elem.Kind == KindString && len(elem.Enum) > 0 {
			c.enumList(elem, arr, path)
			return
		}
		for i, e := range arr {
			if e == nil {
				continue
			}
			c.value(elem, e, path+"."+strconv.Itoa(i+1)+".member")
			if c.serialization != nil {
				return
			}
		}
	case KindMap:
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		keys := slices.Sorted(maps.Keys(obj))
		for _, k := range keys {
			if obj[k] == nil {
				continue
			}
			c.value(shapes[s.Value], obj[k], path+"."+k)
			if c.serialization != nil {
				return
			}
		}
	}
}

// str checks one string against its shape's enum and pattern. An empty string is not
// checked: AWS reads it as the member left out (recorded:
// test_create_rest_api_verify_defaults "create-with-empty-ip-address-type-and-wrong-type"
// reports only the types).
func (c *checker) str(s *Shape, v, path string) {
	if s == nil || v == "" {
		return
	}
	if len(s.Enum) > 0 && !s.Allows(v) {
		c.problems = append(c.problems, enumMessage(s, path, v))
	}
	if s.Pattern != "" && !patternOf(s.Pattern).MatchString(v) {
		c.problems = append(c.problems, "Value '"+v+"' at '"+path+"' failed to satisfy constraint: Member must satisfy regular expression pattern: "+s.Pattern)
	}
}

// enumList checks a list of enum values: one problem for the list, as AWS words it
// ("Value '[wrong]' at '...types' failed to satisfy constraint: Member must satisfy
// constraint: [Member must satisfy enum value set: [PRIVATE, EDGE, REGIONAL]]").
func (c *checker) enumList(elem *Shape, arr []any, path string) {
	vals := make([]string, 0, len(arr))
	bad := false
	for _, e := range arr {
		switch x := e.(type) {
		case string:
			vals = append(vals, x)
			if !elem.Allows(x) {
				bad = true
			}
		case bool:
			c.serialization = serializationError("java.lang.Boolean")
			return
		case json.Number:
			c.serialization = serializationError("com.amazon.coral.value.json.numbers.TruncatingBigNumber")
			return
		case nil:
			vals = append(vals, "null")
		}
	}
	if bad {
		c.problems = append(c.problems, "Value '["+strings.Join(vals, ", ")+"]' at '"+path+"' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: ["+strings.Join(elem.Enum, ", ")+"]]")
	}
}

// Allows reports whether v is one of the shape's enum values.
func (s *Shape) Allows(v string) bool { return slices.Contains(s.Enum, v) }

// Matches reports whether v matches the string shape's pattern, whole (true when it has none).
func (s *Shape) Matches(v string) bool { return s.Pattern == "" || patternOf(s.Pattern).MatchString(v) }

// EnumProblem is the ValidationException problem of v at path for the named enum shape,
// "" when v is allowed: for checks of values that reach an operation other than as input
// members, such as a patch operation's value. An unknown shape allows everything.
func EnumProblem(shape, path, v string) string {
	s := shapes[shape]
	if s == nil || len(s.Enum) == 0 || s.Allows(v) {
		return ""
	}
	return enumMessage(s, path, v)
}

// enumMessage is AWS's ValidationException problem of v at path outside s's enum.
func enumMessage(s *Shape, path, v string) string {
	return "Value '" + v + "' at '" + path + "' failed to satisfy constraint: Member must satisfy enum value set: [" + strings.Join(s.Enum, ", ") + "]"
}

func serializationError(class string) *Error {
	return &Error{http.StatusBadRequest, "SerializationException", "class " + class + " can not be converted to an String"}
}

var patterns sync.Map // pattern → *regexp.Regexp

// patternOf compiles a model pattern to match a whole value.
func patternOf(p string) *regexp.Regexp {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile("^(?:" + p + ")$")
	patterns.Store(p, re)
	return re
}
