package mgmt

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
)

// A REST API's resource policy (RestApi.policy, "a stringified JSON policy document"). AWS
// validates it as an IAM policy document when it is put (CreateRestApi's policy, UpdateRestApi's
// replace /policy) and answers it JSON-escaped: the document without insignificant whitespace,
// with its quotes, backslashes and slashes backslash-escaped, e.g.
// {\"Version\":\"2012-10-17\",...\"Resource\":\"arn:aws:execute-api:...:abc\/*\"}. Recorded:
// GetRestApis answers of real AWS (aws CLI output quoted in public projects) and
// terraform-provider-aws issue #4397; the provider's rest_api_policy.go read unescapes it
// (it quotes the answer and JSON-decodes it), so an unescaped answer breaks every later plan.
// gatehouse stores the escaped form and answers it as stored.

// msgInvalidPolicy is AWS's BadRequestException for a policy that is not a valid resource
// policy document (aws/chalice#2065; the CloudFormation AWS::ApiGateway::RestApi failure
// quoted by cdk preflight rules).
const msgInvalidPolicy = "Invalid policy document. Please check the policy syntax and ensure that Principals are valid."

// storedPolicy returns the form in which a put policy is stored and answered, or
// msgInvalidPolicy. An empty policy removes it (the provider's aws_api_gateway_rest_api_policy
// deletes with replace /policy "").
func storedPolicy(raw string) (string, string) {
	if raw == "" {
		return "", ""
	}
	if !validPolicyDocument([]byte(raw)) {
		return "", msgInvalidPolicy
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(raw)); err != nil {
		return "", msgInvalidPolicy
	}
	return escapePolicy(compact.String()), ""
}

// escapePolicy escapes a JSON text as AWS answers a policy: as the body of a JSON string,
// with '/' escaped too, control characters as \b \t \n \f \r or \uXXXX, and non-ASCII as
// \uXXXX UTF-16 units (the non-ASCII rule follows Java's JSON escaping, not verified).
func escapePolicy(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r >= 0x20 && r < 0x7f {
				b.WriteRune(r)
				continue
			}
			units := []uint16{uint16(r)}
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				units = []uint16{uint16(r1), uint16(r2)}
			}
			for _, u := range units {
				b.WriteString(`\u`)
				h := strconv.FormatUint(uint64(u), 16)
				b.WriteString(strings.Repeat("0", 4-len(h)) + h)
			}
		}
	}
	return b.String()
}

// validPolicyDocument checks the IAM policy grammar of a resource policy: an object of
// Version ("2012-10-17" or "2008-10-17"), Id and Statement (one statement or a non-empty list);
// each statement has Effect Allow or Deny, a Principal or NotPrincipal ("*" or an object of
// AWS, Service, Federated or CanonicalUser to one or more strings), an Action or NotAction and a
// Resource or NotResource (one or more strings), and optionally Sid and Condition (operator to
// key to one or more values). Nothing else is allowed.
func validPolicyDocument(raw []byte) bool {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil || doc == nil {
		return false
	}
	for k, v := range doc {
		switch k {
		case "Version":
			var s string
			if json.Unmarshal(v, &s) != nil || (s != "2012-10-17" && s != "2008-10-17") {
				return false
			}
		case "Id":
			var s string
			if json.Unmarshal(v, &s) != nil {
				return false
			}
		case "Statement":
		default:
			return false
		}
	}
	st, ok := doc["Statement"]
	if !ok {
		return false
	}
	var list []json.RawMessage
	if json.Unmarshal(st, &list) != nil {
		list = []json.RawMessage{st}
	}
	if len(list) == 0 {
		return false
	}
	for _, s := range list {
		if !validStatement(s) {
			return false
		}
	}
	return true
}

func validStatement(raw json.RawMessage) bool {
	var st map[string]json.RawMessage
	if err := json.Unmarshal(raw, &st); err != nil || st == nil {
		return false
	}
	for k, v := range st {
		var ok bool
		switch k {
		case "Sid":
			var s string
			ok = json.Unmarshal(v, &s) == nil
		case "Effect":
			var s string
			ok = json.Unmarshal(v, &s) == nil && (s == "Allow" || s == "Deny")
		case "Principal", "NotPrincipal":
			ok = validPrincipal(v)
		case "Action", "NotAction", "Resource", "NotResource":
			ok = stringOrStrings(v)
		case "Condition":
			ok = validCondition(v)
		}
		if !ok {
			return false
		}
	}
	return has(st, "Effect") && exactlyOne(st, "Principal", "NotPrincipal") &&
		exactlyOne(st, "Action", "NotAction") && exactlyOne(st, "Resource", "NotResource")
}

func has(m map[string]json.RawMessage, k string) bool { _, ok := m[k]; return ok }

func exactlyOne(m map[string]json.RawMessage, a, b string) bool { return has(m, a) != has(m, b) }

// stringOrStrings is a non-empty string or a non-empty list of non-empty strings.
func stringOrStrings(v json.RawMessage) bool {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s != ""
	}
	var list []string
	if json.Unmarshal(v, &list) != nil || len(list) == 0 {
		return false
	}
	for _, s := range list {
		if s == "" {
			return false
		}
	}
	return true
}

func validPrincipal(v json.RawMessage) bool {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil || len(m) == 0 {
		return false
	}
	for k, ids := range m {
		switch k {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			return false
		}
		if !stringOrStrings(ids) {
			return false
		}
	}
	return true
}

// validCondition is {operator: {key: value or [values]}} with string, number or boolean values.
func validCondition(v json.RawMessage) bool {
	var ops map[string]map[string]json.RawMessage
	if json.Unmarshal(v, &ops) != nil || ops == nil {
		return false
	}
	for _, keys := range ops {
		if keys == nil {
			return false
		}
		for _, val := range keys {
			var scalar any
			if json.Unmarshal(val, &scalar) != nil {
				return false
			}
			values, isList := scalar.([]any)
			if !isList {
				values = []any{scalar}
			}
			for _, x := range values {
				switch x.(type) {
				case string, float64, bool:
				default:
					return false
				}
			}
		}
	}
	return true
}
