package iampolicy

import (
	"errors"
	"strings"
)

// Policy variables (2012-10-17 documents only): ${key} in a Resource value or a string or
// ARN condition value is replaced by the request's value of the condition key
// ("${aws:username}"), or by the default of ${key, 'default'} when the key is missing
// (a quote in the default written twice: 'it''s'). ${$} is a literal "$". A key with no
// value and no default, or with several values, makes the statement not apply (IAM: a
// variable it cannot resolve invalidates the statement); so does a value holding * or ?
// where the text is a pattern, since it would become a wildcard. IAM's ${*} and ${?} (a literal *
// or ?) are not supported: Parse reports them.

// checkVariables reports a malformed variable in s.
func checkVariables(s string) error {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return nil
		}
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return errors.New("policy variable without a closing }")
		}
		inner := s[:j]
		s = s[j+1:]
		switch strings.TrimSpace(inner) {
		case "$":
			continue
		case "*", "?":
			return errors.New("the policy variables ${*} and ${?} are not supported")
		}
		if _, _, err := splitVariable(inner); err != nil {
			return err
		}
	}
}

// splitVariable reads the inside of ${...}: a key and an optional quoted default.
func splitVariable(inner string) (key string, def *string, err error) {
	key, rest, hasDefault := strings.Cut(inner, ",")
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " '\"${") {
		return "", nil, errors.New("malformed policy variable ${" + inner + "}")
	}
	if !hasDefault {
		return key, nil, nil
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
		return "", nil, errors.New("malformed default of policy variable ${" + inner + "}")
	}
	// A quote inside the default is written twice.
	d := rest[1 : len(rest)-1]
	if strings.Contains(strings.ReplaceAll(d, "''", ""), "'") {
		return "", nil, errors.New("malformed default of policy variable ${" + inner + "}")
	}
	d = strings.ReplaceAll(d, "''", "'")
	return key, &d, nil
}

// substitute replaces the policy variables of s with r's values; ok is false when one has
// no single value (or, in a pattern, a value with a wildcard in it).
func substitute(s string, r *Request, pattern bool) (string, bool) {
	var b strings.Builder
	b.Grow(len(s) + 16)
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return "", false // Parse rejects this
		}
		inner := s[:j]
		s = s[j+1:]
		if strings.TrimSpace(inner) == "$" {
			b.WriteByte('$')
			continue
		}
		key, def, err := splitVariable(inner)
		if err != nil {
			return "", false
		}
		var val string
		switch vals := r.Conditions[strings.ToLower(key)]; {
		case len(vals) == 1:
			val = vals[0]
		case len(vals) == 0 && def != nil:
			val = *def
		default:
			return "", false
		}
		if pattern && hasWildcard(val) {
			return "", false
		}
		b.WriteString(val)
	}
}
