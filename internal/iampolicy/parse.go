package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// ParseError is a policy document Parse rejects: every problem found, each naming where it
// is ("Statement[1].Action[0]: ...").
type ParseError struct {
	Problems []string
}

func (e *ParseError) Error() string {
	return "invalid policy document: " + strings.Join(e.Problems, "; ")
}

// The Version values IAM accepts. Policy variables exist only in 2012-10-17; a document
// without a Version is read as 2008-10-17.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Parse parses a policy document (JSON, Version 2012-10-17 or 2008-10-17; statements as an
// object or an array; values as a string or an array of strings). The error lists every
// problem found.
//
// Element names are matched without regard to case ("statement" is Statement), and so are
// Effect's values, operator names and condition keys; action names too when evaluated. An
// element IAM does not know is a problem, as are values of the wrong type, a statement
// with both or neither of Action and NotAction (Resource and NotResource), an unknown
// condition operator, and a condition value its operator cannot read (a number for
// NumericEquals, a date for DateLessThan, a CIDR for IpAddress).
//
// A Resource is "*", an ARN pattern, or API Gateway's resource-policy shorthand
// "execute-api:/{stage}/{verb}/{path}", which matches that part of any execute-api ARN (the
// policy is attached to one API).
func Parse(doc []byte) (*Policy, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &ParseError{Problems: []string{"not a JSON document: " + err.Error()}}
	}
	if dec.More() {
		return nil, &ParseError{Problems: []string{"not a JSON document: data after the top-level value"}}
	}
	pp := &parser{}
	p := pp.document(v)
	if len(pp.problems) > 0 {
		return nil, &ParseError{Problems: pp.problems}
	}
	return p, nil
}

// maxProblems bounds the error of a hostile document.
const maxProblems = 100

type parser struct {
	problems []string
	vars     bool // Version 2012-10-17: ${...} are policy variables
}

func (pp *parser) addf(path, format string, args ...any) {
	if len(pp.problems) == maxProblems {
		pp.problems = append(pp.problems, "too many problems; the rest are not listed")
	}
	if len(pp.problems) > maxProblems {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	pp.problems = append(pp.problems, msg)
}

// fields returns obj's members by canonical element name, reporting unknown and repeated
// ones.
func (pp *parser) fields(path string, obj map[string]any, known ...string) map[string]any {
	out := make(map[string]any, len(obj))
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // problems in a stable order
	for _, k := range keys {
		name := ""
		for _, n := range known {
			if strings.EqualFold(k, n) {
				name = n
				break
			}
		}
		if name == "" {
			pp.addf(path, "unknown element %q", k)
			continue
		}
		if _, dup := out[name]; dup {
			pp.addf(path, "element %s given twice", name)
			continue
		}
		out[name] = obj[k]
	}
	return out
}

func (pp *parser) document(v any) *Policy {
	obj, ok := v.(map[string]any)
	if !ok {
		pp.addf("", "a policy document is a JSON object, not %s", kind(v))
		return nil
	}
	f := pp.fields("", obj, "Version", "Id", "Statement")
	p := &Policy{}
	if ver, ok := f["Version"]; ok {
		s, isString := ver.(string)
		switch {
		case !isString:
			pp.addf("Version", "must be a string, not %s", kind(ver))
		case s != Version2012 && s != Version2008:
			pp.addf("Version", "%q is not a policy language version (2012-10-17 or 2008-10-17)", s)
		default:
			p.Version = s
		}
	}
	pp.vars = p.Version == Version2012
	if id, ok := f["Id"]; ok {
		if s, isString := id.(string); isString {
			p.ID = s
		} else {
			pp.addf("Id", "must be a string, not %s", kind(id))
		}
	}
	st, ok := f["Statement"]
	if !ok {
		pp.addf("", "missing Statement")
		return p
	}
	switch st := st.(type) {
	case map[string]any:
		p.statements = append(p.statements, pp.statement("Statement", st))
	case []any:
		p.statements = make([]statement, 0, len(st))
		for i, e := range st {
			path := fmt.Sprintf("Statement[%d]", i)
			obj, ok := e.(map[string]any)
			if !ok {
				pp.addf(path, "a statement is a JSON object, not %s", kind(e))
				continue
			}
			p.statements = append(p.statements, pp.statement(path, obj))
		}
	default:
		pp.addf("Statement", "must be an object or an array of objects, not %s", kind(st))
	}
	return p
}

func (pp *parser) statement(path string, obj map[string]any) statement {
	f := pp.fields(path, obj, "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition")
	var s statement
	if sid, ok := f["Sid"]; ok {
		if str, isString := sid.(string); isString {
			s.sid = str
		} else {
			pp.addf(path+".Sid", "must be a string, not %s", kind(sid))
		}
	}
	switch eff, ok := f["Effect"]; {
	case !ok:
		pp.addf(path, "missing Effect")
	default:
		str, _ := eff.(string)
		switch {
		case strings.EqualFold(str, "Allow"):
		case strings.EqualFold(str, "Deny"):
			s.deny = true
		default:
			pp.addf(path+".Effect", "must be \"Allow\" or \"Deny\", not %s", quote(eff))
		}
	}

	name, v := pp.oneOf(path, f, "Action", "NotAction")
	if name != "" {
		s.notAction = name == "NotAction"
		for i, a := range pp.strings(path+"."+name, v) {
			if a != "*" {
				vendor, action, ok := strings.Cut(a, ":")
				if !ok || vendor == "" || action == "" {
					pp.addf(fmt.Sprintf("%s.%s[%d]", path, name, i), "action %q is not \"*\" or service:action", a)
					continue
				}
			}
			s.actions = append(s.actions, strings.ToLower(a))
		}
	}

	name, v = pp.oneOf(path, f, "Resource", "NotResource")
	if name != "" {
		s.notResource = name == "NotResource"
		for i, r := range pp.strings(path+"."+name, v) {
			ipath := fmt.Sprintf("%s.%s[%d]", path, name, i)
			rp := resourcePattern{text: r}
			switch {
			case r == "*" || strings.HasPrefix(r, "arn:"):
			case strings.HasPrefix(r, "execute-api:/"):
				rp.text, rp.apiShorthand = strings.TrimPrefix(r, "execute-api:"), true
			default:
				pp.addf(ipath, "resource %q is not an ARN or \"*\"", r)
				continue
			}
			rp.vars = pp.checkVars(ipath, rp.text)
			s.resources = append(s.resources, rp)
		}
	}

	_, hasP := f["Principal"]
	_, hasNP := f["NotPrincipal"]
	switch {
	case hasP && hasNP:
		pp.addf(path, "both Principal and NotPrincipal")
	case hasP:
		s.principal = pp.principal(path+".Principal", f["Principal"])
	case hasNP:
		s.principal, s.notPrincipal = pp.principal(path+".NotPrincipal", f["NotPrincipal"]), true
	}

	if c, ok := f["Condition"]; ok {
		s.conditions = pp.conditions(path+".Condition", c)
	}
	return s
}

// oneOf returns which of the element a and its negation b the statement has, reporting
// both or neither.
func (pp *parser) oneOf(path string, f map[string]any, a, b string) (string, any) {
	va, hasA := f[a]
	vb, hasB := f[b]
	switch {
	case hasA && hasB:
		pp.addf(path, "both %s and %s", a, b)
	case hasA:
		return a, va
	case hasB:
		return b, vb
	default:
		pp.addf(path, "missing %s (or %s)", a, b)
	}
	return "", nil
}

// strings reads a string or a non-empty array of strings.
func (pp *parser) strings(path string, v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		if len(v) == 0 {
			pp.addf(path, "must not be an empty array")
			return nil
		}
		out := make([]string, 0, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				pp.addf(fmt.Sprintf("%s[%d]", path, i), "must be a string, not %s", kind(e))
				continue
			}
			out = append(out, s)
		}
		return out
	}
	pp.addf(path, "must be a string or an array of strings, not %s", kind(v))
	return nil
}

func (pp *parser) principal(path string, v any) *principals {
	ps := &principals{}
	switch v := v.(type) {
	case string:
		if v != "*" {
			pp.addf(path, "a principal given as a string must be \"*\", not %q", v)
		}
		ps.any = true
		return ps
	case map[string]any:
		f := pp.fields(path, v, "AWS", "Service", "Federated", "CanonicalUser")
		if len(f) == 0 && len(v) == 0 {
			pp.addf(path, "names no principal")
		}
		for _, name := range []string{"AWS", "Service", "Federated", "CanonicalUser"} {
			val, ok := f[name]
			if !ok {
				continue
			}
			for i, s := range pp.strings(path+"."+name, val) {
				ipath := fmt.Sprintf("%s.%s[%d]", path, name, i)
				switch name {
				case "AWS":
					pp.awsPrincipal(ipath, s, ps)
				case "Service":
					if s == "" || hasWildcard(s) {
						pp.addf(ipath, "invalid service principal %q", s)
						continue
					}
					ps.services = append(ps.services, s)
				default:
					if s == "*" {
						ps.any = true
						continue
					}
					if s == "" || hasWildcard(s) {
						pp.addf(ipath, "invalid principal %q", s)
						continue
					}
					ps.others = append(ps.others, s)
				}
			}
		}
		return ps
	}
	pp.addf(path, "must be \"*\" or an object, not %s", kind(v))
	return ps
}

// awsPrincipal reads an AWS principal: "*", an account id, an account's root ARN, or a
// principal's ARN (wildcards are not allowed in part of one, as in IAM).
func (pp *parser) awsPrincipal(path, s string, ps *principals) {
	switch {
	case s == "*":
		ps.any = true
	case isAccountID(s):
		ps.accounts = append(ps.accounts, s)
	case strings.HasPrefix(s, "arn:"):
		parts, ok := arnParts(s)
		if !ok || parts[1] == "" || parts[2] == "" || parts[5] == "" || hasWildcard(s) {
			pp.addf(path, "invalid principal ARN %q", s)
			return
		}
		if parts[2] == "iam" && parts[5] == "root" && isAccountID(parts[4]) {
			ps.accounts = append(ps.accounts, parts[4])
			return
		}
		ps.arns = append(ps.arns, s)
	default:
		pp.addf(path, "principal %q is not \"*\", an account id or an ARN", s)
	}
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkVars reports whether s has policy variables (in a 2012-10-17 document), reporting
// malformed ones.
func (pp *parser) checkVars(path, s string) bool {
	if !pp.vars || !strings.Contains(s, "${") {
		return false
	}
	if err := checkVariables(s); err != nil {
		pp.addf(path, "%v", err)
		return false
	}
	return true
}

// kind names a JSON value's type for a problem.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return kind(v)
}
