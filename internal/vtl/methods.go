package vtl

import (
	"math"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The Java methods templates call on strings, lists, maps, numbers and booleans. Method
// names resolve to a methodID at parse time. A method a type does not have, or arguments
// of the wrong types, yield null: Velocity 1.7 logs "method not found" and goes on. An
// exception the Java method would throw (an index out of range, a bad pattern) aborts
// Execute, as Velocity's MethodInvocationException does.

// regexpMatchSteps is what one regular-expression match costs against Limits.MaxSteps:
// a match takes about as long as evaluating that many template nodes.
const regexpMatchSteps = 16

type methodID uint8

const (
	mUnknown methodID = iota
	mLength
	mSubstring
	mIndexOf
	mLastIndexOf
	mContains
	mStartsWith
	mEndsWith
	mReplace
	mReplaceAll
	mReplaceFirst
	mMatches
	mSplit
	mToLowerCase
	mToUpperCase
	mTrim
	mEquals
	mEqualsIgnoreCase
	mIsEmpty
	mCharAt
	mConcat
	mToString
	mHashCode
	mCompareTo
	mSize
	mGet
	mAdd
	mAddAll
	mRemove
	mSet
	mClear
	mPut
	mPutAll
	mKeySet
	mValues
	mEntrySet
	mContainsKey
	mContainsValue
	mGetKey
	mGetValue
	mSetValue
	mIntValue
	mLongValue
	mDoubleValue
	mFloatValue
	mBooleanValue
	mGetIndex
	mGetCount
	mHasNext
	mIsFirst
	mIsLast
	mGetParent
)

func lookupMethod(name string) methodID {
	switch name {
	case "length":
		return mLength
	case "substring":
		return mSubstring
	case "indexOf":
		return mIndexOf
	case "lastIndexOf":
		return mLastIndexOf
	case "contains":
		return mContains
	case "startsWith":
		return mStartsWith
	case "endsWith":
		return mEndsWith
	case "replace":
		return mReplace
	case "replaceAll":
		return mReplaceAll
	case "replaceFirst":
		return mReplaceFirst
	case "matches":
		return mMatches
	case "split":
		return mSplit
	case "toLowerCase":
		return mToLowerCase
	case "toUpperCase":
		return mToUpperCase
	case "trim":
		return mTrim
	case "equals":
		return mEquals
	case "equalsIgnoreCase":
		return mEqualsIgnoreCase
	case "isEmpty":
		return mIsEmpty
	case "charAt":
		return mCharAt
	case "concat":
		return mConcat
	case "toString":
		return mToString
	case "hashCode":
		return mHashCode
	case "compareTo":
		return mCompareTo
	case "size":
		return mSize
	case "get":
		return mGet
	case "add":
		return mAdd
	case "addAll":
		return mAddAll
	case "remove":
		return mRemove
	case "set":
		return mSet
	case "clear":
		return mClear
	case "put":
		return mPut
	case "putAll":
		return mPutAll
	case "keySet":
		return mKeySet
	case "values":
		return mValues
	case "entrySet":
		return mEntrySet
	case "containsKey":
		return mContainsKey
	case "containsValue":
		return mContainsValue
	case "getKey":
		return mGetKey
	case "getValue":
		return mGetValue
	case "setValue":
		return mSetValue
	case "intValue":
		return mIntValue
	case "longValue":
		return mLongValue
	case "doubleValue":
		return mDoubleValue
	case "floatValue":
		return mFloatValue
	case "booleanValue":
		return mBooleanValue
	case "getIndex":
		return mGetIndex
	case "getCount":
		return mGetCount
	case "hasNext", "getHasNext":
		return mHasNext
	case "isFirst", "getFirst":
		return mIsFirst
	case "isLast", "getLast":
		return mIsLast
	case "getParent":
		return mGetParent
	}
	return mUnknown
}

// builtin runs method id on v. found is false when v's type has no such method (or not
// with these argument types): the call yields null.
func (st *state) builtin(v any, id methodID, args []any, s *step) (res any, found bool, err error) {
	switch id {
	case mToString:
		if len(args) == 0 {
			str, err := st.toString(v)
			return str, true, err
		}
	case mEquals:
		if len(args) == 1 {
			a, err := st.settle(args[0])
			return javaEquals(v, a), true, err
		}
	}
	switch x := v.(type) {
	case string:
		return st.stringMethod(x, id, args, s)
	case *List:
		return st.listMethod(x, id, args, s)
	case *Map:
		return st.mapMethod(x, id, args)
	case int64, float64:
		return numberMethod(x, id, args)
	case bool:
		if id == mBooleanValue && len(args) == 0 {
			return x, true, nil
		}
	case *entry:
		switch {
		case id == mGetKey && len(args) == 0:
			return x.key, true, nil
		case id == mGetValue && len(args) == 0:
			return x.val, true, nil
		case id == mSetValue && len(args) == 1:
			old := x.val
			x.val = args[0]
			if x.m != nil {
				x.m.put(x.key, args[0])
			}
			return old, true, nil
		}
	case *loopScope:
		if len(args) > 0 {
			return nil, false, nil
		}
		switch id {
		case mGetIndex:
			return x.index, true, nil
		case mGetCount:
			return x.index + 1, true, nil
		case mHasNext:
			return x.hasNext, true, nil
		case mIsFirst:
			return x.index == 0, true, nil
		case mIsLast:
			return !x.hasNext, true, nil
		case mGetParent:
			if x.parent == nil {
				return nil, true, nil
			}
			return x.parent, true, nil
		}
	}
	return nil, false, nil
}

func argString(args []any, i int) (string, bool) {
	if i >= len(args) {
		return "", false
	}
	s, ok := args[i].(string)
	return s, ok
}

// argInt reads a Java int argument: an integer in int32 range.
func argInt(args []any, i int) (int, bool) {
	if i >= len(args) {
		return 0, false
	}
	n, ok := args[i].(int64)
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Java strings index UTF-16 code units; ASCII strings (the usual case) index bytes.
func toUTF16(s string) []uint16 { return utf16.Encode([]rune(s)) }

func fromUTF16(u []uint16) string { return string(utf16.Decode(u)) }

// u16Offset converts a byte offset in s to a UTF-16 offset.
func u16Offset(s string, b int) int {
	if isASCII(s[:b]) {
		return b
	}
	return len(toUTF16(s[:b]))
}

// regexpFor returns the pattern of a regexp method call: the one compiled at parse time, or
// the first argument's. ok is false when that argument is not a string (the call yields
// null); err is the PatternSyntaxException an invalid pattern throws.
func (st *state) regexpFor(s *step, args []any) (re *regexp.Regexp, ok bool, err error) {
	if s.re == nil && s.reErr == nil {
		pattern, ok := argString(args, 0)
		if !ok {
			return nil, false, nil
		}
		re, err = st.t.regexps.get(pattern, s.method == mMatches)
	} else {
		re, err = s.re, s.reErr
	}
	if err != nil {
		return nil, true, st.execErr(s.pos, err)
	}
	return re, true, nil
}

func (st *state) stringMethod(x string, id methodID, args []any, s *step) (any, bool, error) {
	n := len(args)
	pos := s.pos
	switch id {
	case mLength:
		if n == 0 {
			if isASCII(x) {
				return int64(len(x)), true, nil
			}
			return int64(len(toUTF16(x))), true, nil
		}
	case mIsEmpty:
		if n == 0 {
			return x == "", true, nil
		}
	case mSubstring, mCharAt:
		b, ok1 := argInt(args, 0)
		e, ok2 := 0, true
		switch {
		case id == mCharAt && n == 1, id == mSubstring && n == 1:
		case id == mSubstring && n == 2:
			e, ok2 = argInt(args, 1)
		default:
			return nil, false, nil
		}
		if !ok1 || !ok2 {
			return nil, false, nil
		}
		ascii := isASCII(x)
		var u []uint16
		length := len(x)
		if !ascii {
			u = toUTF16(x)
			length = len(u)
		}
		if id == mCharAt {
			if b < 0 || b >= length {
				return nil, true, st.execErr(pos, javaException("StringIndexOutOfBoundsException", "index %d, length %d", b, length))
			}
			if ascii {
				return x[b : b+1], true, nil
			}
			return fromUTF16(u[b : b+1]), true, nil
		}
		if n == 1 {
			e = length
		}
		if b < 0 || e > length || b > e {
			return nil, true, st.execErr(pos, javaException("StringIndexOutOfBoundsException", "begin %d, end %d, length %d", b, e, length))
		}
		if ascii {
			return x[b:e], true, nil
		}
		return fromUTF16(u[b:e]), true, nil
	case mIndexOf, mLastIndexOf:
		sub, ok := argString(args, 0)
		if !ok || n > 2 {
			return nil, false, nil
		}
		from := -1
		if n == 2 {
			if from, ok = argInt(args, 1); !ok {
				return nil, false, nil
			}
		}
		if isASCII(x) && isASCII(sub) {
			return int64(javaIndex(x, sub, from, id == mLastIndexOf)), true, nil
		}
		// Work in UTF-16 via runes-as-units: encode both and search the unit slices.
		return int64(javaIndex16(toUTF16(x), toUTF16(sub), from, id == mLastIndexOf)), true, nil
	case mContains:
		if sub, ok := argString(args, 0); ok && n == 1 {
			return strings.Contains(x, sub), true, nil
		}
	case mStartsWith:
		prefix, ok := argString(args, 0)
		if !ok {
			return nil, false, nil
		}
		if n == 1 {
			return strings.HasPrefix(x, prefix), true, nil
		}
		if off, ok := argInt(args, 1); ok && n == 2 {
			u := toUTF16(x)
			if off < 0 || off > len(u) {
				return false, true, nil
			}
			return strings.HasPrefix(fromUTF16(u[off:]), prefix), true, nil
		}
	case mEndsWith:
		if suffix, ok := argString(args, 0); ok && n == 1 {
			return strings.HasSuffix(x, suffix), true, nil
		}
	case mReplace:
		old, ok1 := argString(args, 0)
		repl, ok2 := argString(args, 1)
		if ok1 && ok2 && n == 2 {
			if old != "" && strings.Count(x, old)*(len(repl)-len(old)) > st.maxOut {
				return nil, true, &LimitError{Limit: "output", Max: st.maxOut}
			}
			if old == "" && (len(x)+1)*len(repl) > st.maxOut {
				return nil, true, &LimitError{Limit: "output", Max: st.maxOut}
			}
			return strings.ReplaceAll(x, old, repl), true, nil
		}
	case mReplaceAll, mReplaceFirst:
		repl, ok := argString(args, 1)
		if !ok || n != 2 {
			return nil, false, nil
		}
		re, ok, err := st.regexpFor(s, args)
		if !ok || err != nil {
			return nil, ok, err
		}
		out, matched, fits, err := javaReplace(x, re, repl, id == mReplaceAll, st.maxOut, (st.maxSteps-st.steps)/regexpMatchSteps)
		if err != nil {
			return nil, true, st.execErr(pos, err)
		}
		st.steps += matched * regexpMatchSteps
		if err := st.tick(); err != nil {
			return nil, true, err
		}
		if !fits {
			return nil, true, &LimitError{Limit: "output", Max: st.maxOut}
		}
		return out, true, nil
	case mMatches:
		if n != 1 {
			return nil, false, nil
		}
		re, ok, err := st.regexpFor(s, args)
		if !ok || err != nil {
			return nil, ok, err
		}
		return re.MatchString(x), true, nil // anchored at both ends
	case mSplit:
		limit := 0
		if n == 2 {
			var ok bool
			if limit, ok = argInt(args, 1); !ok {
				return nil, false, nil
			}
		} else if n != 1 {
			return nil, false, nil
		}
		re, ok, err := st.regexpFor(s, args)
		if !ok || err != nil {
			return nil, ok, err
		}
		parts, ok := javaSplit(x, re, limit, (st.maxSteps-st.steps)/regexpMatchSteps)
		if !ok {
			return nil, true, &LimitError{Limit: "steps", Max: st.maxSteps}
		}
		st.steps += len(parts) * regexpMatchSteps
		return newJavaList(parts), true, nil
	case mToLowerCase:
		if n == 0 {
			return strings.ToLower(x), true, nil
		}
	case mToUpperCase:
		if n == 0 {
			return strings.ToUpper(x), true, nil
		}
	case mTrim:
		if n == 0 {
			// Java's trim removes every character <= ' ' from both ends.
			return strings.TrimFunc(x, func(r rune) bool { return r <= ' ' }), true, nil
		}
	case mEqualsIgnoreCase:
		if n == 1 {
			y, ok := args[0].(string)
			return ok && strings.EqualFold(x, y), true, nil
		}
	case mConcat:
		if n == 1 {
			y, ok := args[0].(string)
			if !ok {
				if args[0] == nil {
					return nil, true, st.execErr(pos, javaException("NullPointerException", "concat(null)"))
				}
				return nil, false, nil
			}
			if len(x)+len(y) > st.maxOut {
				return nil, true, &LimitError{Limit: "output", Max: st.maxOut}
			}
			return x + y, true, nil
		}
	case mHashCode:
		if n == 0 {
			var h int32
			for _, c := range toUTF16(x) {
				h = 31*h + int32(c)
			}
			return int64(h), true, nil
		}
	case mCompareTo:
		if y, ok := argString(args, 0); ok && n == 1 {
			a, b := toUTF16(x), toUTF16(y)
			for i := 0; i < len(a) && i < len(b); i++ {
				if a[i] != b[i] {
					return int64(a[i]) - int64(b[i]), true, nil
				}
			}
			return int64(len(a) - len(b)), true, nil
		}
	}
	return nil, false, nil
}

// javaIndex is indexOf/lastIndexOf on ASCII strings, with Java's handling of from.
func javaIndex(x, sub string, from int, last bool) int {
	if !last {
		if from < 0 {
			from = 0
		}
		if from > len(x) {
			return -1
		}
		i := strings.Index(x[from:], sub)
		if i < 0 {
			return -1
		}
		return i + from
	}
	if from < 0 && from != -1 {
		return -1
	}
	end := len(x)
	if from >= 0 && from+len(sub) < end {
		end = from + len(sub)
	}
	return strings.LastIndex(x[:end], sub)
}

func javaIndex16(x, sub []uint16, from int, last bool) int {
	match := func(i int) bool {
		for j := range sub {
			if x[i+j] != sub[j] {
				return false
			}
		}
		return true
	}
	if !last {
		if from < 0 {
			from = 0
		}
		for i := from; i+len(sub) <= len(x); i++ {
			if match(i) {
				return i
			}
		}
		return -1
	}
	start := len(x) - len(sub)
	if from >= 0 && from < start {
		start = from
	}
	if from < -1 {
		return -1
	}
	for i := start; i >= 0; i-- {
		if match(i) {
			return i
		}
	}
	return -1
}

func (st *state) listMethod(x *List, id methodID, args []any, s *step) (any, bool, error) {
	n := len(args)
	pos := s.pos
	switch id {
	case mSize:
		if n == 0 {
			return int64(len(x.items)), true, nil
		}
	case mIsEmpty:
		if n == 0 {
			return len(x.items) == 0, true, nil
		}
	case mGet:
		if i, ok := args0Int64(args); ok && n == 1 {
			if i < 0 || i >= int64(len(x.items)) {
				return nil, true, st.outOfBounds(pos, i, len(x.items))
			}
			return x.items[i], true, nil
		}
	case mContains:
		if n == 1 {
			return listIndex(x.items, args[0], false) >= 0, true, nil
		}
	case mIndexOf, mLastIndexOf:
		if n == 1 {
			return int64(listIndex(x.items, args[0], id == mLastIndexOf)), true, nil
		}
	case mAdd:
		switch n {
		case 1:
			x.items = append(x.items, args[0])
			return true, true, nil // List.add returns true, which renders "true"
		case 2:
			i, ok := args0Int64(args)
			if !ok {
				return nil, false, nil
			}
			if i < 0 || i > int64(len(x.items)) {
				return nil, true, st.outOfBounds(pos, i, len(x.items))
			}
			x.items = append(x.items, nil)
			copy(x.items[i+1:], x.items[i:])
			x.items[i] = args[1]
			return nil, true, nil
		}
	case mAddAll:
		if n == 1 {
			if y, ok := args[0].(*List); ok {
				x.items = append(x.items, y.items...)
				return len(y.items) > 0, true, nil
			}
		}
	case mSet:
		if i, ok := args0Int64(args); ok && n == 2 {
			if i < 0 || i >= int64(len(x.items)) {
				return nil, true, st.outOfBounds(pos, i, len(x.items))
			}
			old := x.items[i]
			x.items[i] = args[1]
			return old, true, nil
		}
	case mRemove:
		if n != 1 {
			break
		}
		// remove(int) by position for integers, remove(Object) otherwise.
		if i, ok := args[0].(int64); ok {
			if i < 0 || i >= int64(len(x.items)) {
				return nil, true, st.outOfBounds(pos, i, len(x.items))
			}
			old := x.items[i]
			x.items = append(x.items[:i:i], x.items[i+1:]...)
			return old, true, nil
		}
		i := listIndex(x.items, args[0], false)
		if i < 0 {
			return false, true, nil
		}
		x.items = append(x.items[:i:i], x.items[i+1:]...)
		return true, true, nil
	case mClear:
		if n == 0 {
			x.items = nil
			return nil, true, nil
		}
	}
	return nil, false, nil
}

func args0Int64(args []any) (int64, bool) {
	if len(args) == 0 {
		return 0, false
	}
	i, ok := args[0].(int64)
	return i, ok
}

func listIndex(items []any, v any, last bool) int {
	if last {
		for i := len(items) - 1; i >= 0; i-- {
			if javaEquals(items[i], v) {
				return i
			}
		}
		return -1
	}
	for i, it := range items {
		if javaEquals(it, v) {
			return i
		}
	}
	return -1
}

// mapKey reads a key argument. Maps are string-keyed: other keys use their string form
// (a Java map built by the template could hold an Integer key; here 1 and "1" meet).
func (st *state) mapKey(k any) (string, bool, error) {
	switch x := k.(type) {
	case string:
		return x, true, nil
	case nil:
		return "", false, nil
	}
	s, err := st.toString(k)
	return s, err == nil, err
}

func (st *state) mapMethod(x *Map, id methodID, args []any) (any, bool, error) {
	n := len(args)
	switch id {
	case mSize:
		if n == 0 {
			return int64(len(x.keys)), true, nil
		}
	case mIsEmpty:
		if n == 0 {
			return len(x.keys) == 0, true, nil
		}
	case mGet, mContainsKey, mRemove:
		if n != 1 {
			break
		}
		k, ok, err := st.mapKey(args[0])
		if err != nil {
			return nil, true, err
		}
		switch id {
		case mGet:
			if !ok {
				return nil, true, nil
			}
			v, _ := x.Get(k)
			return v, true, nil
		case mContainsKey:
			return ok && x.find(k) >= 0, true, nil
		}
		if !ok {
			return nil, true, nil
		}
		return x.remove(k), true, nil
	case mPut:
		if n == 2 {
			k, ok, err := st.mapKey(args[0])
			if err != nil || !ok {
				return nil, true, err
			}
			return x.put(k, args[1]), true, nil
		}
	case mPutAll:
		if n == 1 {
			if y, ok := args[0].(*Map); ok {
				keys, vals := y.keys, y.vals
				for i, k := range keys {
					x.put(k, vals[i])
				}
				return nil, true, nil
			}
		}
	case mContainsValue:
		if n == 1 {
			return listIndex(x.vals, args[0], false) >= 0, true, nil
		}
	case mKeySet:
		if n == 0 {
			items := make([]any, len(x.keys))
			for i, k := range x.keys {
				items[i] = k
			}
			return newJavaList(items), true, nil
		}
	case mValues:
		if n == 0 {
			return newJavaList(append([]any(nil), x.vals...)), true, nil
		}
	case mEntrySet:
		if n == 0 {
			items := make([]any, len(x.keys))
			for i, k := range x.keys {
				items[i] = &entry{key: k, val: x.vals[i], m: x}
			}
			return newJavaList(items), true, nil
		}
	case mClear:
		if n == 0 {
			x.keys, x.vals, x.index = nil, nil, nil
			return nil, true, nil
		}
	}
	return nil, false, nil
}

func numberMethod(v any, id methodID, args []any) (any, bool, error) {
	if len(args) > 1 {
		return nil, false, nil
	}
	if len(args) == 1 {
		if id == mCompareTo {
			if c, ok := compareNumbers(v, args[0]); ok && sameNumberKind(v, args[0]) {
				return int64(c), true, nil
			}
		}
		return nil, false, nil
	}
	switch id {
	case mIntValue:
		switch x := v.(type) {
		case int64:
			return int64(int32(x)), true, nil
		case float64:
			return int64(javaD2I(x, math.MinInt32, math.MaxInt32)), true, nil
		}
	case mLongValue:
		switch x := v.(type) {
		case int64:
			return x, true, nil
		case float64:
			return javaD2I(x, math.MinInt64, math.MaxInt64), true, nil
		}
	case mDoubleValue:
		return toFloat(v), true, nil
	case mFloatValue:
		return float64(float32(toFloat(v))), true, nil
	}
	return nil, false, nil
}

func sameNumberKind(a, b any) bool {
	_, ai := a.(int64)
	_, bi := b.(int64)
	return ai == bi
}

// javaD2I converts a double as Java's (int)/(long) casts do: truncation, NaN → 0,
// saturation at the ends.
func javaD2I(f float64, lo, hi int64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f <= float64(lo):
		return lo
	case f >= float64(hi):
		return hi
	}
	return int64(f)
}
