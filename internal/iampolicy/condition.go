package iampolicy

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// opKind is a condition operator without its negation, set qualifier and IfExists.
type opKind uint8

const (
	opStringEquals opKind = iota + 1
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike
	opNull
)

// operators are IAM's condition operators by lower-case name: the kind and whether it is
// the kind's negation.
var operators = map[string]struct {
	kind   opKind
	negate bool
}{
	"stringequals":              {opStringEquals, false},
	"stringnotequals":           {opStringEquals, true},
	"stringequalsignorecase":    {opStringEqualsIgnoreCase, false},
	"stringnotequalsignorecase": {opStringEqualsIgnoreCase, true},
	"stringlike":                {opStringLike, false},
	"stringnotlike":             {opStringLike, true},
	"numericequals":             {opNumericEquals, false},
	"numericnotequals":          {opNumericEquals, true},
	"numericlessthan":           {opNumericLessThan, false},
	"numericlessthanequals":     {opNumericLessThanEquals, false},
	"numericgreaterthan":        {opNumericGreaterThan, false},
	"numericgreaterthanequals":  {opNumericGreaterThanEquals, false},
	"dateequals":                {opDateEquals, false},
	"datenotequals":             {opDateEquals, true},
	"datelessthan":              {opDateLessThan, false},
	"datelessthanequals":        {opDateLessThanEquals, false},
	"dategreaterthan":           {opDateGreaterThan, false},
	"dategreaterthanequals":     {opDateGreaterThanEquals, false},
	"bool":                      {opBool, false},
	"binaryequals":              {opBinaryEquals, false},
	"ipaddress":                 {opIPAddress, false},
	"notipaddress":              {opIPAddress, true},
	"arnequals":                 {opArnLike, false},
	"arnlike":                   {opArnLike, false},
	"arnnotequals":              {opArnLike, true},
	"arnnotlike":                {opArnLike, true},
	"null":                      {opNull, false},
}

// setQualifier is a condition's ForAnyValue: or ForAllValues: prefix.
type setQualifier uint8

const (
	setNone setQualifier = iota
	setAnyValue
	setAllValues
)

// condition is one key of one operator of a Condition element.
type condition struct {
	key      string // lower case, as Request.Conditions is keyed
	kind     opKind
	negate   bool
	ifExists bool
	set      setQualifier
	values   []condValue
	vars     bool // a value has policy variables
}

// resolvable reports whether every policy variable of the condition's values has a value
// in r.
func (c *condition) resolvable(r *Request) bool {
	for i := range c.values {
		if c.values[i].vars {
			if _, ok := substitute(c.values[i].s, r, false); !ok {
				return false
			}
		}
	}
	return true
}

// condValue is one policy value, read as its operator reads it.
type condValue struct {
	s      string // the text (lower case for Bool and Null)
	vars   bool   // s has policy variables
	num    float64
	t      time.Time
	prefix netip.Prefix
}

// eval reports whether the condition holds for r, by IAM's rules: a missing key (absent or
// without values) fails a condition, except that a negated operator, ForAllValues and
// IfExists hold; Null tests presence. Without a set qualifier a positive operator holds
// when a request value matches a policy value, a negated one when no request value does.
func (c *condition) eval(r *Request) bool {
	vals := r.Conditions[c.key]
	if c.kind == opNull {
		// Null true: the key is missing; false: it is present. Values are ORed.
		for i := range c.values {
			if (c.values[i].s == "true") == (len(vals) == 0) {
				return true
			}
		}
		return false
	}
	if c.vars && !c.resolvable(r) {
		return false // IAM: a variable it cannot resolve invalidates the statement
	}
	if len(vals) == 0 {
		switch {
		case c.ifExists:
			return true
		case c.set == setAllValues:
			return true
		case c.set == setAnyValue:
			return false
		}
		return c.negate
	}
	anyOf := c.set == setAnyValue || (c.set == setNone && !c.negate)
	for _, v := range vals {
		m := c.matchValue(v, r) != c.negate
		if anyOf && m {
			return true
		}
		if !anyOf && !m {
			return false
		}
	}
	return !anyOf
}

// matchValue reports whether the request value v matches one of the policy values (before
// negation).
func (c *condition) matchValue(v string, r *Request) bool {
	switch c.kind {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		for i := range c.values {
			if compareHolds(c.kind-opNumericEquals, cmpFloat(n, c.values[i].num)) {
				return true
			}
		}
		return false
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for i := range c.values {
			if compareHolds(c.kind-opDateEquals, t.Compare(c.values[i].t)) {
				return true
			}
		}
		return false
	case opIPAddress:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for i := range c.values {
			if c.values[i].prefix.Contains(a) {
				return true
			}
		}
		return false
	case opBool:
		for i := range c.values {
			if strings.EqualFold(v, c.values[i].s) {
				return true
			}
		}
		return false
	}
	// The string and ARN operators, whose values may hold policy variables.
	for i := range c.values {
		pv := c.values[i].s
		if c.values[i].vars {
			var ok bool
			if pv, ok = substitute(pv, r, c.kind == opStringLike || c.kind == opArnLike); !ok {
				continue
			}
		}
		switch c.kind {
		case opStringEquals, opBinaryEquals:
			if v == pv {
				return true
			}
		case opStringEqualsIgnoreCase:
			if strings.EqualFold(v, pv) {
				return true
			}
		case opStringLike:
			if Match(pv, v, false) {
				return true
			}
		case opArnLike:
			if MatchARN(pv, v) {
				return true
			}
		}
	}
	return false
}

// compareHolds reports whether a comparison result (-1, 0, +1) satisfies the operator at
// offset k from its family's Equals: Equals, LessThan, LessThanEquals, GreaterThan,
// GreaterThanEquals.
func compareHolds(k opKind, cmp int) bool {
	switch k {
	case 0:
		return cmp == 0
	case 1:
		return cmp < 0
	case 2:
		return cmp <= 0
	case 3:
		return cmp > 0
	case 4:
		return cmp >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// MatchARN matches an ARN against an ArnLike pattern as IAM does: each of the six
// colon-separated parts on its own, with the wildcards * and ? (so a * never spans a
// colon before the resource part). A pattern of fewer than six parts matches nothing; one
// that does not start with "arn:" ("*") is matched against the whole value.
func MatchARN(pattern, s string) bool {
	if !strings.HasPrefix(pattern, "arn:") {
		return Match(pattern, s, false)
	}
	pp, ok := arnParts(pattern)
	if !ok {
		return false
	}
	sp, ok := arnParts(s)
	if !ok {
		return false
	}
	for i := range pp {
		if !Match(pp[i], sp[i], false) {
			return false
		}
	}
	return true
}

// dateLayouts are the forms of a date condition value besides epoch seconds: ISO 8601 as
// IAM's examples write it.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02"}

// parseDate reads a date value: RFC 3339 (with or without seconds or zone; UTC without),
// a bare date, or epoch seconds.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-T:") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < -1e11 || n > 1e11 {
			return time.Time{}, false
		}
		return time.Unix(n, 0), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// conditions compiles a Condition element.
func (pp *parser) conditions(path string, v any) []condition {
	obj, ok := v.(map[string]any)
	if !ok {
		pp.addf(path, "must be an object, not %s", kind(v))
		return nil
	}
	var out []condition
	for _, name := range sortedKeys(obj) {
		opath := path + "." + name
		base, set, ifExists := name, setNone, false
		if q, rest, ok := strings.Cut(name, ":"); ok {
			switch strings.ToLower(q) {
			case "foranyvalue":
				set = setAnyValue
			case "forallvalues":
				set = setAllValues
			default:
				pp.addf(opath, "unknown set qualifier %q (ForAnyValue or ForAllValues)", q)
				continue
			}
			base = rest
		}
		lower := strings.ToLower(base)
		if l, ok := strings.CutSuffix(lower, "ifexists"); ok {
			lower, ifExists = l, true
		}
		op, ok := operators[lower]
		if !ok {
			pp.addf(opath, "unknown condition operator %q", name)
			continue
		}
		if op.kind == opNull && (ifExists || set != setNone) {
			pp.addf(opath, "Null takes no set qualifier and no IfExists")
			continue
		}
		keys, ok := obj[name].(map[string]any)
		if !ok {
			pp.addf(opath, "must be an object of condition keys, not %s", kind(obj[name]))
			continue
		}
		if len(keys) == 0 {
			pp.addf(opath, "names no condition key")
		}
		for _, key := range sortedKeys(keys) {
			kpath := opath + "." + key
			if key == "" {
				pp.addf(kpath, "empty condition key")
				continue
			}
			c := condition{key: strings.ToLower(key), kind: op.kind, negate: op.negate, ifExists: ifExists, set: set}
			for i, s := range pp.condValues(kpath, keys[key]) {
				if cv, ok := pp.condValue(fmt.Sprintf("%s[%d]", kpath, i), op.kind, s); ok {
					c.values = append(c.values, cv)
					c.vars = c.vars || cv.vars
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// condValues reads a condition's value: a string, number or boolean, or a non-empty array
// of them, as text.
func (pp *parser) condValues(path string, v any) []string {
	scalar := func(path string, v any) (string, bool) {
		switch v := v.(type) {
		case string:
			return v, true
		case json.Number:
			return v.String(), true
		case bool:
			return strconv.FormatBool(v), true
		}
		pp.addf(path, "a condition value is a string, number or boolean, not %s", kind(v))
		return "", false
	}
	if arr, ok := v.([]any); ok {
		if len(arr) == 0 {
			pp.addf(path, "must not be an empty array")
			return nil
		}
		out := make([]string, 0, len(arr))
		for i, e := range arr {
			if s, ok := scalar(fmt.Sprintf("%s[%d]", path, i), e); ok {
				out = append(out, s)
			}
		}
		return out
	}
	if s, ok := scalar(path, v); ok {
		return []string{s}
	}
	return nil
}

// condValue reads one policy value as its operator reads it.
func (pp *parser) condValue(path string, k opKind, s string) (condValue, bool) {
	cv := condValue{s: s}
	switch k {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			pp.addf(path, "%q is not a number", s)
			return cv, false
		}
		cv.num = n
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(s)
		if !ok {
			pp.addf(path, "%q is not a date (ISO 8601, as 2026-01-02T15:04:05Z, or epoch seconds)", s)
			return cv, false
		}
		cv.t = t
	case opBool, opNull:
		l := strings.ToLower(s)
		if l != "true" && l != "false" {
			pp.addf(path, "%q is not true or false", s)
			return cv, false
		}
		cv.s = l
	case opIPAddress:
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil || a.Zone() != "" {
				pp.addf(path, "%q is not an IP address or CIDR block", s)
				return cv, false
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		cv.prefix = p.Masked()
	default:
		cv.vars = pp.checkVars(path, s)
	}
	return cv, true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
