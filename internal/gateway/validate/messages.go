package validate

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/message"
)

// AWS validates models with the java-json-tools json-schema-validator, and
// $context.error.validationErrorString lists that library's English messages, for example
// "[object has missing required properties ([\"name\"])]" and "[instance type (string) does
// not match any allowed primitive type (allowed: [\"integer\"])]" (AWS_REFERENCE 12). describe
// renders the errors of santhosh-tekuri/jsonschema in those words: one message per failed
// keyword, in the order the schema was evaluated. Where the library's message needs more
// than the error carries (the string of a length error), the instance is read at the
// error's location.

// maxProblems bounds the messages a validation reports: a body of a million wrong items has a
// million errors, and listing them all made a 2 MB body cost seconds and a 90 MB
// validationErrorString.
const maxProblems = 100

// errorMessage returns the message of one error, false for a node that only groups its
// causes (a $ref, allOf, a whole schema).
func errorMessage(e *jsonschema.ValidationError, inst any, p *message.Printer) (string, bool) {
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		missing := slices.Sorted(slices.Values(k.Missing))
		return "object has missing required properties (" + jsonList(missing) + ")", true
	case *kind.Type:
		return "instance type (" + k.Got + ") does not match any allowed primitive type (allowed: " + jsonList(k.Want) + ")", true
	case *kind.Enum:
		return "instance value (" + jsonText(k.Got) + ") not found in enum (possible values: " + jsonText(k.Want) + ")", true
	case *kind.Minimum:
		return "numeric instance is lower than the required minimum (minimum: " + num(k.Want) + ", found: " + num(k.Got) + ")", true
	case *kind.ExclusiveMinimum:
		return "numeric instance is not strictly greater than the required minimum " + num(k.Want), true
	case *kind.Maximum:
		return "numeric instance is greater than the required maximum (maximum: " + num(k.Want) + ", found: " + num(k.Got) + ")", true
	case *kind.ExclusiveMaximum:
		return "numeric instance is not strictly lower than the required maximum " + num(k.Want), true
	case *kind.MultipleOf:
		return "remainder of division is not zero (" + num(k.Got) + " / " + num(k.Want) + ")", true
	case *kind.MinLength:
		return fmt.Sprintf("string %s is too short (length: %d, required minimum: %d)", jsonText(at(inst, e.InstanceLocation)), k.Got, k.Want), true
	case *kind.MaxLength:
		return fmt.Sprintf("string %s is too long (length: %d, maximum allowed: %d)", jsonText(at(inst, e.InstanceLocation)), k.Got, k.Want), true
	case *kind.Pattern:
		return "ECMA 262 regex " + jsonText(k.Want) + " does not match input string " + jsonText(k.Got), true
	case *kind.AdditionalProperties:
		return "object instance has properties which are not allowed by the schema: " + jsonList(slices.Sorted(slices.Values(k.Properties))), true
	case *kind.AdditionalItems:
		return fmt.Sprintf("array instance has %d elements which are not allowed by the schema", k.Count), true
	case *kind.MinItems:
		return fmt.Sprintf("array is too short: must have at least %d elements but instance has %d elements", k.Want, k.Got), true
	case *kind.MaxItems:
		return fmt.Sprintf("array is too long: must have at most %d elements but instance has %d elements", k.Want, k.Got), true
	case *kind.UniqueItems:
		return "array must not contain duplicate elements", true
	case *kind.MinProperties:
		return fmt.Sprintf("object has too few properties (found %d but schema requires at least %d)", k.Got, k.Want), true
	case *kind.MaxProperties:
		return fmt.Sprintf("object has too many properties (found %d but schema requires at most %d)", k.Got, k.Want), true
	case *kind.Dependency:
		return fmt.Sprintf("property %s of object has missing property dependencies (missing: %s)", jsonText(k.Prop), jsonList(k.Missing)), true
	case *kind.AnyOf:
		return fmt.Sprintf("instance failed to match at least one required schema among %d", len(e.Causes)), true
	case *kind.OneOf:
		if len(k.Subschemas) == 0 {
			return fmt.Sprintf("instance failed to match exactly one schema (matched 0 out of %d)", len(e.Causes)), true
		}
		return fmt.Sprintf("instance failed to match exactly one schema (matched %d out of more)", len(k.Subschemas)), true
	case *kind.Not:
		return "instance matched a schema which it should not have", true
	case *kind.Format:
		return formatMessage(k), true
	}
	if len(e.Causes) == 0 {
		return e.ErrorKind.LocalizedString(p), true
	}
	return "", false
}

// formatMessage is the format keyword's message for the formats draft 4 defines.
func formatMessage(k *kind.Format) string {
	s := jsonText(k.Got)
	switch k.Want {
	case "date-time":
		return "string " + s + " is invalid against requested date format(s) [yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,12}Z]"
	case "email":
		return "string " + s + " is not a valid email address"
	case "hostname":
		return "string " + s + " is not a valid hostname"
	case "ipv4":
		return "string " + s + " is not a valid IPv4 address"
	case "ipv6":
		return "string " + s + " is not a valid IPv6 address"
	case "uri":
		return "string " + s + " is not a valid URI"
	}
	return "string " + s + " is not a valid " + k.Want
}

// at returns the instance value at a location (object keys and array indexes).
func at(v any, loc []string) any {
	for _, tok := range loc {
		switch c := v.(type) {
		case map[string]any:
			v = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// jsonText renders v as compact JSON, as the Java library prints instance values.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// jsonList renders strings as a compact JSON array: ["a","b"].
func jsonList(s []string) string {
	if s == nil {
		s = []string{}
	}
	return jsonText(s)
}

// num prints a number as JSON does: integers without a fraction.
func num(r *big.Rat) string {
	if r == nil {
		return "null"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strings.TrimSuffix(strconv.FormatFloat(f, 'f', -1, 64), ".0")
}
