package jsonpath

import (
	"math"
	"slices"
	"strconv"
)

// evaluator holds one Eval's state: the document root (for $ in filters) and the number of
// values it may still visit.
type evaluator struct {
	root   any
	budget int
}

// spend uses n visits and reports whether the budget still allows work.
func (e *evaluator) spend(n int) bool {
	e.budget -= n
	return e.budget >= 0
}

// run applies steps to start one step at a time. Matching step by step keeps Jayway's order:
// each value's matches, in turn, are what the next step sees.
func (e *evaluator) run(steps []step, start any) []any {
	cur := make([]any, 1, 4)
	cur[0] = start
	var spare []any
	for i := range steps {
		s := &steps[i]
		next := spare[:0]
		if !s.scan && (s.kind == stepName || s.kind == stepIndex) {
			// A name or index step yields at most this many values.
			next = slices.Grow(next, min(len(cur)*(len(s.names)+len(s.indexes)), max(e.budget, 0)))
		}
		for _, v := range cur {
			if e.budget < 0 {
				break
			}
			if s.scan {
				next = e.scan(s, v, next)
			} else {
				next = e.apply(s, v, next)
			}
		}
		clear(cur)
		spare, cur = cur, next
		if len(cur) == 0 {
			break
		}
	}
	if cur == nil {
		cur = []any{}
	}
	return cur
}

// apply appends what step s selects in v to out.
func (e *evaluator) apply(s *step, v any, out []any) []any {
	switch s.kind {
	case stepName:
		o, ok := asObject(v)
		if !ok {
			return out
		}
		for _, name := range s.names {
			if x, ok := o.Get(name); ok && e.spend(1) {
				out = append(out, x)
			}
		}
	case stepIndex:
		n, ok := arrayLen(v)
		if !ok {
			return out
		}
		for _, j := range s.indexes {
			if j < 0 {
				j += n
			}
			if 0 <= j && j < n && e.spend(1) {
				out = append(out, arrayIndex(v, j))
			}
		}
	case stepSlice:
		n, ok := arrayLen(v)
		if !ok {
			return out
		}
		from, to := sliceBounds(s, n)
		out = slices.Grow(out, min(to-from, max(e.budget, 0)))
		for j := from; j < to && e.spend(1); j++ {
			out = append(out, arrayIndex(v, j))
		}
	case stepWildcard:
		if o, ok := asObject(v); ok {
			for _, k := range o.Keys() {
				if x, ok := o.Get(k); ok && e.spend(1) {
					out = append(out, x)
				}
			}
		} else if n, ok := arrayLen(v); ok {
			out = slices.Grow(out, min(n, max(e.budget, 0)))
			for j := 0; j < n && e.spend(1); j++ {
				out = append(out, arrayIndex(v, j))
			}
		}
	case stepFilter:
		if _, ok := asObject(v); ok {
			// Jayway tests an object itself rather than its members.
			if e.spend(1) && e.test(s.filter, v) {
				out = append(out, v)
			}
		} else if n, ok := arrayLen(v); ok {
			for j := 0; j < n && e.spend(1); j++ {
				if x := arrayIndex(v, j); e.test(s.filter, x) {
					out = append(out, x)
				}
			}
		}
	}
	return out
}

// sliceBounds resolves a slice against an array of length n into [from, to).
func sliceBounds(s *step, n int) (from, to int) {
	from, to = 0, n
	if s.hasFrom {
		from = s.from
		if from < 0 {
			from += n
		}
		from = max(from, 0)
	}
	if s.hasTo {
		to = s.to
		if to < 0 {
			to += n
		}
		to = min(to, n)
	}
	if from >= to {
		return 0, 0
	}
	return from, to
}

// scan is recursive descent: it visits v and every container below it in pre-order, without
// recursion, and applies s (as a plain step) at each. As in Jayway, ..[?(f)] applies the
// filter to a container only when the container itself passes f.
func (e *evaluator) scan(s *step, v any, out []any) []any {
	if !isContainer(v) {
		return out
	}
	stack := []any{v}
	for len(stack) > 0 && e.spend(1) {
		x := stack[len(stack)-1]
		stack[len(stack)-1] = nil
		stack = stack[:len(stack)-1]
		if s.kind != stepFilter {
			out = e.apply(s, x, out)
		} else if e.test(s.filter, x) {
			if _, ok := asObject(x); ok {
				out = append(out, x) // apply would only test the object again
			} else {
				out = e.apply(s, x, out)
			}
		}
		// Push children right to left so the leftmost is visited next.
		// Looking at each child costs a visit too, so wide objects of leaves count in full.
		if o, ok := asObject(x); ok {
			keys := o.Keys()
			for i := len(keys) - 1; i >= 0 && e.spend(1); i-- {
				if c, ok := o.Get(keys[i]); ok && isContainer(c) {
					stack = append(stack, c)
				}
			}
		} else if n, ok := arrayLen(x); ok {
			for i := n - 1; i >= 0 && e.spend(1); i-- {
				if c := arrayIndex(x, i); isContainer(c) {
					stack = append(stack, c)
				}
			}
		}
	}
	return out
}

// test evaluates a filter expression with cur as @.
func (e *evaluator) test(x *expr, cur any) bool {
	if !e.spend(1) {
		return false
	}
	switch x.kind {
	case exprOr:
		return e.test(x.left, cur) || e.test(x.right, cur)
	case exprAnd:
		return e.test(x.left, cur) && e.test(x.right, cur)
	case exprNot:
		return !e.test(x.left, cur)
	case exprExists:
		_, ok := e.value(&x.a, cur)
		return ok
	case exprCmp:
		a, aok := e.value(&x.a, cur)
		b, bok := e.value(&x.b, cur)
		if x.op == opNE {
			return !(aok && bok && e.equal(a, b, 0))
		}
		if !aok || !bok {
			return false
		}
		if x.op == opEQ {
			return e.equal(a, b, 0)
		}
		c, ok := compare(a, b)
		if !ok {
			return false
		}
		switch x.op {
		case opLT:
			return c < 0
		case opLE:
			return c <= 0
		case opGT:
			return c > 0
		case opGE:
			return c >= 0
		}
	}
	return false
}

// value resolves an operand; ok is false for a path that matches nothing.
func (e *evaluator) value(o *operand, cur any) (any, bool) {
	if o.path == nil {
		return o.lit, true
	}
	base := e.root
	if o.rel {
		base = cur
	}
	if o.path.definite {
		e.spend(len(o.path.steps))
		return walkDefinite(o.path.steps, base)
	}
	got := e.run(o.path.steps, base)
	return got, len(got) > 0
}

// number is a JSON number as int64 or float64.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func toNumber(v any) (number, bool) {
	switch x := v.(type) {
	case int64:
		return number{i: x, isInt: true}, true
	case float64:
		return number{f: x}, true
	case int:
		return number{i: int64(x), isInt: true}, true
	case int32:
		return number{i: int64(x), isInt: true}, true
	case int16:
		return number{i: int64(x), isInt: true}, true
	case int8:
		return number{i: int64(x), isInt: true}, true
	case uint:
		return fromUint(uint64(x)), true
	case uint64:
		return fromUint(x), true
	case uint32:
		return number{i: int64(x), isInt: true}, true
	case uint16:
		return number{i: int64(x), isInt: true}, true
	case uint8:
		return number{i: int64(x), isInt: true}, true
	case float32:
		return number{f: float64(x)}, true
	}
	return number{}, false
}

func fromUint(u uint64) number {
	if u <= math.MaxInt64 {
		return number{i: int64(u), isInt: true}
	}
	return number{f: float64(u)}
}

// cmpNumbers compares exactly, even an int64 beyond 2^53 with a float64; ok is false when
// either is NaN.
func cmpNumbers(a, b number) (int, bool) {
	switch {
	case a.isInt && b.isInt:
		return cmpOrdered(a.i, b.i), true
	case !a.isInt && !b.isInt:
		if math.IsNaN(a.f) || math.IsNaN(b.f) {
			return 0, false
		}
		return cmpOrdered(a.f, b.f), true
	case a.isInt:
		c, ok := cmpIntFloat(a.i, b.f)
		return c, ok
	default:
		c, ok := cmpIntFloat(b.i, a.f)
		return -c, ok
	}
}

func cmpIntFloat(i int64, f float64) (int, bool) {
	switch {
	case math.IsNaN(f):
		return 0, false
	case f >= 0x1p63:
		return -1, true
	case f < -0x1p63:
		return 1, true
	}
	t := math.Trunc(f)
	if c := cmpOrdered(i, int64(t)); c != 0 {
		return c, true
	}
	// Same integer part: the fraction decides.
	return cmpOrdered(0, f-t), true
}

func cmpOrdered[T int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// numberString parses a string as Java's BigDecimal would accept it: an optional sign,
// digits with an optional fraction, and an optional exponent.
func numberString(s string) (number, bool) {
	if s == "" {
		return number{}, false
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return number{}, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := i
		for ; i < len(s) && isDigit(s[i]); i++ {
		}
		if i == exp {
			return number{}, false
		}
	}
	if i != len(s) {
		return number{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return number{i: n, isInt: true}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return number{}, false
	}
	return number{f: f}, true
}

// maxEqualDepth bounds deep comparison of containers; deeper structures compare unequal.
const maxEqualDepth = 256

// equal is Jayway's == on two present values. Each value compared costs a visit.
func (e *evaluator) equal(a, b any, depth int) bool {
	if !e.spend(1) {
		return false
	}
	if an, ok := toNumber(a); ok {
		if bn, ok := toNumber(b); ok {
			c, ok := cmpNumbers(an, bn)
			return ok && c == 0
		}
		bs, ok := b.(string)
		return ok && numberEqualsString(an, bs)
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
		bn, ok := toNumber(b)
		return ok && numberEqualsString(bn, x)
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	if depth >= maxEqualDepth {
		return false
	}
	if ao, ok := asObject(a); ok {
		bo, ok := asObject(b)
		if !ok {
			return false
		}
		ak, bk := ao.Keys(), bo.Keys()
		if len(ak) != len(bk) {
			return false
		}
		for _, k := range ak {
			av, _ := ao.Get(k)
			bv, ok := bo.Get(k)
			if !ok || !e.equal(av, bv, depth+1) {
				return false
			}
		}
		return true
	}
	if an, ok := arrayLen(a); ok {
		bn, ok := arrayLen(b)
		if !ok || an != bn {
			return false
		}
		for i := 0; i < an; i++ {
			if !e.equal(arrayIndex(a, i), arrayIndex(b, i), depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// numberEqualsString is Jayway's == of a number and a string: the string read as a number
// (numberString) equals it.
func numberEqualsString(n number, s string) bool {
	sn, ok := numberString(s)
	if !ok {
		return false
	}
	c, ok := cmpNumbers(n, sn)
	return ok && c == 0
}

// compare orders two numbers or two strings; ok is false for any other pair.
func compare(a, b any) (int, bool) {
	if an, ok := toNumber(a); ok {
		if bn, ok := toNumber(b); ok {
			return cmpNumbers(an, bn)
		}
		return 0, false
	}
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			return cmpOrdered(as, bs), true
		}
	}
	return 0, false
}
