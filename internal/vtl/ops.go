package vtl

import (
	"math"
)

// Operators follow Velocity 1.7's AST nodes: numeric math widens int to float, division
// or modulo by zero yields null, + concatenates when either side is a string
// (ASTAddNode.handleSpecial), comparisons of two numbers are numeric, == of other mixed
// types compares their toString, and < <= > >= of non-numbers are false.

func (st *state) binary(x *binExpr) (any, error) {
	switch x.op {
	case opAnd, opOr:
		l, err := st.eval(x.l)
		if err != nil {
			return nil, err
		}
		if truthy(l) == (x.op == opOr) {
			return x.op == opOr, nil
		}
		r, err := st.eval(x.r)
		return truthy(r), err
	}
	l, err := st.eval(x.l)
	if err != nil {
		return nil, err
	}
	r, err := st.eval(x.r)
	if err != nil {
		return nil, err
	}
	if l, err = st.settle(l); err != nil {
		return nil, err
	}
	if r, err = st.settle(r); err != nil {
		return nil, err
	}
	switch x.op {
	case opEq, opNe:
		eq, err := st.equal(l, r)
		return eq == (x.op == opEq), err
	case opLt, opLe, opGt, opGe:
		c, ok := compareNumbers(l, r)
		if !ok {
			return false, nil
		}
		switch x.op {
		case opLt:
			return c < 0, nil
		case opLe:
			return c <= 0, nil
		case opGt:
			return c > 0, nil
		}
		return c >= 0, nil
	case opAdd:
		_, ls := l.(string)
		_, rs := r.(string)
		if ls || rs {
			a, err := st.toString(l)
			if err != nil {
				return nil, err
			}
			b, err := st.toString(r)
			if err != nil {
				return nil, err
			}
			if len(a)+len(b) > st.maxOut {
				return nil, &LimitError{Limit: "output", Max: st.maxOut}
			}
			return a + b, nil
		}
	}
	return arith(x.op, l, r), nil
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// compareNumbers compares two numbers; ok is false unless both are numbers.
func compareNumbers(a, b any) (int, bool) {
	if ai, ok := a.(int64); ok {
		if bi, ok := b.(int64); ok {
			switch {
			case ai < bi:
				return -1, true
			case ai > bi:
				return 1, true
			}
			return 0, true
		}
	}
	if !isNumber(a) || !isNumber(b) {
		return 0, false
	}
	x, y := toFloat(a), toFloat(b)
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	case x == y:
		return 0, true
	}
	// NaN: Java's Double.compare orders NaN above everything and equal to itself.
	switch {
	case math.IsNaN(x) && math.IsNaN(y):
		return 0, true
	case math.IsNaN(x):
		return 1, true
	}
	return -1, true
}

// equal is the template's ==. null equals null and, as API Gateway does for a missing
// $input.path result, the empty string.
func (st *state) equal(a, b any) (bool, error) {
	if a == nil || b == nil {
		return (a == nil || a == "") && (b == nil || b == ""), nil
	}
	if c, ok := compareNumbers(a, b); ok {
		return c == 0, nil
	}
	a, b = asMap(a), asMap(b)
	if sameKind(a, b) {
		return javaEquals(a, b), nil
	}
	x, err := st.toString(a)
	if err != nil {
		return false, err
	}
	y, err := st.toString(b)
	return x == y, err
}

func sameKind(a, b any) bool {
	switch a.(type) {
	case string:
		_, ok := b.(string)
		return ok
	case bool:
		_, ok := b.(bool)
		return ok
	case *List:
		_, ok := b.(*List)
		return ok
	case *Map:
		_, ok := b.(*Map)
		return ok
	}
	return a == b
}

// javaEquals is Object.equals: numbers equal only with the same type and value, lists
// element by element, maps entry by entry, host objects by identity.
func javaEquals(a, b any) bool {
	return javaEqualsDepth(a, b, 0)
}

func javaEqualsDepth(a, b any, depth int) bool {
	if depth > maxPrintDepth {
		return false
	}
	a, b = asMap(a), asMap(b)
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case *List:
		y, ok := b.(*List)
		if !ok || len(x.items) != len(y.items) {
			return false
		}
		if x == y {
			return true
		}
		for i := range x.items {
			if !javaEqualsDepth(x.items[i], y.items[i], depth+1) {
				return false
			}
		}
		return true
	case *Map:
		y, ok := b.(*Map)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		if x == y {
			return true
		}
		for i, k := range x.keys {
			v, ok := y.Get(k)
			if !ok || !javaEqualsDepth(x.vals[i], v, depth+1) {
				return false
			}
		}
		return true
	case *entry:
		y, ok := b.(*entry)
		return ok && x.key == y.key && javaEqualsDepth(x.val, y.val, depth+1)
	}
	return a == b
}

// arith applies + - * / % to numbers; anything else yields null. int64 overflow continues
// in float64 (Velocity widens to BigInteger; the digits printed differ past 2^63).
func arith(op opKind, a, b any) any {
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	if aInt && bInt {
		switch op {
		case opAdd:
			if s := ai + bi; (s > ai) == (bi > 0) {
				return s
			}
		case opSub:
			if s := ai - bi; (s < ai) == (bi > 0) {
				return s
			}
		case opMul:
			if ai == 0 || bi == 0 {
				return int64(0)
			}
			if p := ai * bi; p/bi == ai && !(ai == -1 && bi == math.MinInt64) && !(bi == -1 && ai == math.MinInt64) {
				return p
			}
		case opDiv:
			if bi == 0 {
				return nil
			}
			if !(ai == math.MinInt64 && bi == -1) {
				return ai / bi
			}
		case opMod:
			if bi == 0 {
				return nil
			}
			if bi == -1 {
				return int64(0)
			}
			return ai % bi
		}
		return arithFloat(op, float64(ai), float64(bi))
	}
	if !isNumber(a) || !isNumber(b) {
		return nil
	}
	return arithFloat(op, toFloat(a), toFloat(b))
}

func arithFloat(op opKind, x, y float64) any {
	switch op {
	case opAdd:
		return x + y
	case opSub:
		return x - y
	case opMul:
		return x * y
	case opDiv:
		if y == 0 {
			return nil
		}
		return x / y
	case opMod:
		if y == 0 {
			return nil
		}
		return math.Mod(x, y)
	}
	return nil
}

// asMap is v, or the Map a MapObject is: a Java map equals another with the same entries.
func asMap(v any) any {
	if mo, ok := v.(MapObject); ok {
		return mo.AsMap()
	}
	return v
}
