package vtl

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Template is a parsed template: immutable, safe for concurrent use.
type Template struct {
	src     string
	root    []node
	nslots  int
	states  sync.Pool // *state, reused across Execute calls
	regexps regexpCache
}

// Limits bound one Execute. Zero values take the defaults.
type Limits struct {
	MaxOutput int // bytes of output; 0 means 1 MiB. Exceeding it is an error (*LimitError).
	MaxLoop   int // iterations per #foreach; 0 means 1000 (AWS's cap): the loop stops silently there, as Velocity's directive.foreach.maxloops does
	MaxDepth  int // nesting depth of evaluation (nested expressions, calls, #define expansion); 0 means 64
	MaxSteps  int // total evaluation steps (nodes evaluated, loop iterations); 0 means 1,000,000; exceeding is an error
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// unsetSlot marks a variable the template has not #set: its value comes from globals.
type unsetSlot struct{}

// state is one rendering in progress.
type state struct {
	t       *Template
	globals map[string]any
	slots   []any // #set overlay, one slot per variable name in the template
	out     []byte
	base    int // len(out) when Execute started

	maxOut, maxLoop, maxDepth, maxSteps int
	steps, depth                        int

	loop      *loopScope   // innermost #foreach, nil outside loops
	scopes    []*loopScope // reused $foreach values, one per loop nesting level
	loopDepth int
	args      []any // method-argument stack

	renderHook func(p *printer, b *block) // renders #define blocks met inside printed values
	hookErr    error
}

// Execute renders t and appends the output to dst. globals are the top-level references
// ($input, $util, $context, ...): Execute never mutates the map (#set writes go to an
// overlay). On error it returns dst as it was, and the error: *LimitError, *ExecError (a
// host Object's error or a Java exception, wrapped), or an internal error for a recovered
// panic.
func (t *Template) Execute(dst []byte, globals map[string]any, lim Limits) (out []byte, err error) {
	st, _ := t.states.Get().(*state)
	if st == nil {
		st = &state{t: t, slots: make([]any, t.nslots)}
		st.renderHook = st.renderInPrinter
	}
	for i := range st.slots {
		st.slots[i] = unsetSlot{}
	}
	st.globals, st.out, st.base = globals, dst, len(dst)
	st.maxOut = orDefault(lim.MaxOutput, 1<<20)
	st.maxLoop = orDefault(lim.MaxLoop, 1000)
	st.maxDepth = orDefault(lim.MaxDepth, 64)
	st.maxSteps = orDefault(lim.MaxSteps, 1_000_000)
	st.steps, st.depth, st.loop, st.loopDepth, st.hookErr = 0, 0, nil, 0, nil
	defer func() {
		if r := recover(); r != nil {
			out, err = dst, fmt.Errorf("vtl: internal error: %v", r)
			return // a state that panicked is not reused
		}
		st.globals, st.out, st.loop = nil, nil, nil
		clear(st.args[:cap(st.args)])
		st.args = st.args[:0]
		clear(st.slots)
		t.states.Put(st)
	}()
	err = st.render(t.root)
	if err == errStop || err == errBreak {
		err = nil
	}
	if err != nil {
		return dst, err
	}
	return st.out, nil
}

func (st *state) tick() error {
	st.steps++
	if st.steps > st.maxSteps {
		return &LimitError{Limit: "steps", Max: st.maxSteps}
	}
	return nil
}

func (st *state) enter() error {
	st.depth++
	if st.depth > st.maxDepth {
		return &LimitError{Limit: "depth", Max: st.maxDepth}
	}
	return nil
}

func (st *state) checkOut() error {
	if len(st.out)-st.base > st.maxOut {
		return &LimitError{Limit: "output", Max: st.maxOut}
	}
	return nil
}

func (st *state) execErr(pos int, err error) error {
	line, col := lineCol(st.t.src, pos)
	return &ExecError{Line: line, Column: col, Err: err}
}

func (st *state) render(nodes []node) error {
	for _, n := range nodes {
		if err := st.tick(); err != nil {
			return err
		}
		var err error
		switch n := n.(type) {
		case *textNode:
			st.out = append(st.out, n.text...)
			err = st.checkOut()
		case *refNode:
			var v any
			if v, err = st.evalRef(n.ref, len(n.ref.chain)); err == nil && v != nil {
				err = st.print(v)
			}
		case *escRefNode:
			err = st.escRef(n)
		case *setNode:
			err = st.set(n)
		case *ifNode:
			err = st.ifDirective(n)
		case *foreachNode:
			err = st.foreach(n)
		case *defineNode:
			st.slots[n.slot] = n.block
		case *breakNode:
			return errBreak
		case *stopNode:
			return errStop
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (st *state) renderBlock(nodes []node) error {
	if err := st.enter(); err != nil {
		return err
	}
	err := st.render(nodes)
	st.depth--
	return err
}

// print renders a non-nil value.
func (st *state) print(v any) error {
	switch x := v.(type) {
	case string:
		st.out = append(st.out, x...)
	case int64:
		st.out = strconv.AppendInt(st.out, x, 10)
	case bool:
		st.out = strconv.AppendBool(st.out, x)
	case float64:
		st.out = appendJavaDouble(st.out, x)
	case *block:
		return st.renderBlock(x.body)
	default:
		p := printer{dst: st.out, limit: st.base + st.maxOut, render: st.renderHook}
		p.str(x)
		st.out = p.dst
		if st.hookErr != nil {
			err := st.hookErr
			st.hookErr = nil
			return err
		}
		if p.over {
			return &LimitError{Limit: "output", Max: st.maxOut}
		}
	}
	return st.checkOut()
}

// renderInPrinter renders a #define block met inside a printed collection.
func (st *state) renderInPrinter(p *printer, b *block) {
	if st.hookErr != nil {
		p.over = true
		return
	}
	st.out = p.dst
	if err := st.renderBlock(b.body); err != nil {
		st.hookErr = err
		p.over = true
	}
	p.dst = st.out
}

// toString renders v as a string (Java's String.valueOf, but null is "").
func (st *state) toString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	}
	mark := len(st.out)
	err := st.print(v)
	s := string(st.out[mark:])
	st.out = st.out[:mark]
	return s, err
}

// settle turns a #define block into its rendered text, for operators and methods.
func (st *state) settle(v any) (any, error) {
	if b, ok := v.(*block); ok {
		return st.toString(b)
	}
	return v, nil
}

func (st *state) escRef(n *escRefNode) error {
	v, err := st.evalRef(n.ref, len(n.ref.chain))
	if err != nil {
		return err
	}
	if v == nil {
		// Undefined: Velocity keeps every backslash.
		st.out = append(st.out, strings.Repeat("\\", n.backslashes)...)
		if n.backslashes%2 == 1 {
			st.out = append(st.out, n.ref.text...)
		}
		return st.checkOut()
	}
	st.out = append(st.out, strings.Repeat("\\", n.backslashes/2)...)
	if n.backslashes%2 == 1 {
		st.out = append(st.out, n.ref.text...)
		return st.checkOut()
	}
	return st.print(v)
}

func (st *state) ifDirective(n *ifNode) error {
	for i, c := range n.conds {
		v, err := st.eval(c)
		if err != nil {
			return err
		}
		if truthy(v) {
			return st.renderBlock(n.blocks[i])
		}
	}
	if n.els != nil {
		return st.renderBlock(n.els)
	}
	return nil
}

// truthy is Velocity 1.7's condition test: null and false are false, everything else
// (the empty string and empty collections included) is true.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	}
	return true
}

func (st *state) set(n *setNode) error {
	v, err := st.eval(n.value)
	if err != nil {
		return err
	}
	r := n.target
	if len(r.chain) == 0 {
		// A null value removes the variable (Velocity 1.7 with directive.set.null.allowed
		// false): it then reads as null, not as a global of the same name.
		st.slots[r.slot] = v
		return nil
	}
	c, err := st.evalRef(r, len(r.chain)-1)
	if err != nil || c == nil {
		return err
	}
	last := &r.chain[len(r.chain)-1]
	var key any = last.name
	if last.kind == stepIndex {
		if key, err = st.eval(last.index); err != nil {
			return err
		}
	}
	switch x := c.(type) {
	case *Map:
		if k, ok := key.(string); ok {
			x.put(k, v)
		}
	case MapObject: // a Java map: #set puts, as on a Map
		if k, ok := key.(string); ok {
			x.AsMap().put(k, v)
		}
	case *List:
		i, ok := key.(int64)
		if !ok {
			return nil
		}
		if i, err = st.listPos(x, i, last.pos); err != nil {
			return err
		}
		x.items[i] = v
	}
	// Other host Objects have no setters: assignments to their properties are ignored.
	return nil
}

func (st *state) foreach(n *foreachNode) error {
	var items []any
	var from, count, dir int64
	rx, isRange := n.iter.(*rangeExpr)
	if isRange {
		// Iterate a range literal lazily: [1..100000000] allocates nothing.
		var ok bool
		var err error
		if from, dir, count, ok, err = st.rangeBounds(rx); err != nil || !ok {
			return err
		}
	} else {
		v, err := st.eval(n.iter)
		if err != nil {
			return err
		}
		if mo, ok := v.(MapObject); ok {
			v = mo.AsMap()
		}
		switch x := v.(type) {
		case *List:
			items = x.items
		case *Map:
			items = x.vals // Velocity iterates a Map's values
		default:
			return nil // null and values that are not collections: no iterations
		}
		count = int64(len(items))
	}
	if st.loopDepth >= len(st.scopes) {
		st.scopes = append(st.scopes, &loopScope{})
	}
	scope := st.scopes[st.loopDepth]
	st.loopDepth++
	*scope = loopScope{parent: st.loop}
	saved := st.slots[n.slot]
	st.loop = scope
	err := st.enter()
	for i := int64(0); err == nil && i < count && i < int64(st.maxLoop); i++ {
		if err = st.tick(); err != nil {
			break
		}
		if isRange {
			st.slots[n.slot] = from + dir*i
		} else {
			st.slots[n.slot] = items[i]
		}
		scope.index, scope.hasNext = i, i+1 < count
		if err = st.render(n.body); err == errBreak {
			err = nil
			break
		}
	}
	st.depth--
	st.loop = scope.parent
	st.loopDepth--
	st.slots[n.slot] = saved // Velocity 1.7 restores the loop variable
	return err
}

// rangeBounds evaluates [from..to] into its first item, its direction (1 or -1) and its
// length; ok is false when an end is not a number (Velocity logs and yields null).
func (st *state) rangeBounds(rx *rangeExpr) (from, dir, n int64, ok bool, err error) {
	f, err := st.eval(rx.from)
	if err != nil {
		return 0, 0, 0, false, err
	}
	t, err := st.eval(rx.to)
	if err != nil {
		return 0, 0, 0, false, err
	}
	from, ok1 := intValue(f)
	to, ok2 := intValue(t)
	dir = 1
	if to < from {
		dir = -1
	}
	return from, dir, (to-from)*dir + 1, ok1 && ok2, nil
}

// intValue is Number.intValue() for the range ends: floats truncate, Java int range.
func intValue(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return int64(int32(x)), true
	case float64:
		return int64(int32(x)), true
	}
	return 0, false
}

func (st *state) eval(e expr) (any, error) {
	switch x := e.(type) {
	case *litExpr:
		return x.v, nil
	case *refExpr:
		return st.evalRef(x, len(x.chain))
	}
	if err := st.tick(); err != nil {
		return nil, err
	}
	if err := st.enter(); err != nil {
		return nil, err
	}
	v, err := st.evalCompound(e)
	st.depth--
	return v, err
}

func (st *state) evalCompound(e expr) (any, error) {
	switch x := e.(type) {
	case *interpExpr:
		mark := len(st.out)
		err := st.render(x.parts)
		s := string(st.out[mark:])
		st.out = st.out[:mark]
		return s, err
	case *listExpr:
		items := make([]any, len(x.items))
		for i, it := range x.items {
			v, err := st.eval(it)
			if err != nil {
				return nil, err
			}
			items[i] = v
		}
		return newJavaList(items), nil
	case *mapExpr:
		m := &Map{}
		for i, k := range x.keys {
			kv, err := st.eval(k)
			if err != nil {
				return nil, err
			}
			vv, err := st.eval(x.vals[i])
			if err != nil {
				return nil, err
			}
			ks, err := st.toString(kv)
			if err != nil {
				return nil, err
			}
			m.put(ks, vv)
		}
		return m, nil
	case *rangeExpr:
		from, dir, n, ok, err := st.rangeBounds(x)
		if err != nil || !ok {
			return nil, err
		}
		// Materializing costs one step per item, so the steps limit bounds the memory.
		if int64(st.maxSteps-st.steps) < n {
			return nil, &LimitError{Limit: "steps", Max: st.maxSteps}
		}
		st.steps += int(n)
		items := make([]any, n)
		for i := range items {
			items[i] = from + dir*int64(i)
		}
		return newJavaList(items), nil
	case *binExpr:
		return st.binary(x)
	case *notExpr:
		v, err := st.eval(x.x)
		return !truthy(v), err
	case *negExpr:
		v, err := st.eval(x.x)
		if err != nil {
			return nil, err
		}
		return arith(opSub, int64(0), v), nil
	}
	return nil, fmt.Errorf("vtl: unknown expression %T", e)
}

// lookup reads a variable: the #set overlay, then the $foreach family inside loops, then
// globals.
func (st *state) lookup(r *refExpr) any {
	if r.special != specNone && st.loop != nil {
		switch r.special {
		case specForeach:
			return st.loop
		case specVelocityCount:
			return st.loop.index + 1
		case specVelocityHasNext:
			return st.loop.hasNext
		}
	}
	v := st.slots[r.slot]
	if _, unset := v.(unsetSlot); !unset {
		return v
	}
	if g, ok := st.globals[r.name]; ok {
		return norm(g)
	}
	return nil
}

// evalRef evaluates r's variable and its first n steps. A null anywhere yields null.
func (st *state) evalRef(r *refExpr, n int) (any, error) {
	v := st.lookup(r)
	for i := 0; i < n && v != nil; i++ {
		if err := st.tick(); err != nil {
			return nil, err
		}
		s := &r.chain[i]
		var err error
		switch s.kind {
		case stepProp:
			v, err = st.property(v, s)
		case stepIndex:
			v, err = st.index(v, s)
		case stepCall:
			v, err = st.call(v, s)
		}
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

// property resolves $v.name as Velocity's introspector does: Map.get(name) on maps,
// Property on host Objects, getName() then isName() on everything else.
func (st *state) property(v any, s *step) (any, error) {
	switch x := v.(type) {
	case *Map:
		val, _ := x.Get(s.name)
		return val, nil
	case Object:
		if val, ok := x.Property(s.name); ok {
			return norm(val), nil
		}
		return nil, nil
	case *block:
		var err error
		if v, err = st.toString(x); err != nil {
			return nil, err
		}
	}
	for _, id := range [2]methodID{s.method, s.isID} {
		if id == mUnknown {
			continue
		}
		res, found, err := st.builtin(v, id, nil, s)
		if found || err != nil {
			return res, err
		}
	}
	return nil, nil
}

// index resolves $v[i]: list positions (negative counts from the end, as Velocity 1.7's
// ASTIndex does), map keys, host Object properties.
func (st *state) index(v any, s *step) (any, error) {
	idx, err := st.eval(s.index)
	if err != nil {
		return nil, err
	}
	if idx, err = st.settle(idx); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case *List:
		i, ok := idx.(int64)
		if !ok {
			return nil, nil
		}
		if i, err = st.listPos(x, i, s.pos); err != nil {
			return nil, err
		}
		return x.items[i], nil
	case *Map:
		if k, ok := idx.(string); ok {
			val, _ := x.Get(k)
			return val, nil
		}
	case Object:
		if k, ok := idx.(string); ok {
			if val, ok := x.Property(k); ok {
				return norm(val), nil
			}
		}
	}
	return nil, nil
}

// listPos resolves index i of l as Velocity 1.7's ASTIndex does: a negative index counts
// from the end, and one out of range throws.
func (st *state) listPos(l *List, i int64, pos int) (int64, error) {
	if i < 0 {
		i += int64(len(l.items))
	}
	if i < 0 || i >= int64(len(l.items)) {
		return 0, st.outOfBounds(pos, i, len(l.items))
	}
	return i, nil
}

// outOfBounds is the IndexOutOfBoundsException of a java.util.List.
func (st *state) outOfBounds(pos int, i int64, size int) error {
	return st.execErr(pos, javaException("IndexOutOfBoundsException", "Index: %d, Size: %d", i, size))
}

// call evaluates the arguments of $v.m(args) on a stack shared by the whole rendering,
// so builtin calls do not allocate.
func (st *state) call(v any, s *step) (any, error) {
	if err := st.enter(); err != nil {
		return nil, err
	}
	base := len(st.args)
	var res any
	var err error
	for _, a := range s.args {
		var av any
		if av, err = st.eval(a); err != nil {
			break
		}
		st.args = append(st.args, av)
	}
	if err == nil {
		args := st.args[base:]
		switch x := v.(type) {
		case Object:
			res, err = st.callObject(x, s, args)
		default:
			if v, err = st.settle(v); err == nil {
				res, _, err = st.builtin(v, s.method, args, s)
			}
		}
	}
	clear(st.args[base:])
	st.args = st.args[:base]
	st.depth--
	return res, err
}

// callObject calls a host method. Velocity-style getters reach properties first:
// $x.getName() is Property("name") and $x.get('name') is Property("name"); otherwise,
// and when the property is absent, Call runs with a fresh copy of the arguments.
func (st *state) callObject(x Object, s *step, args []any) (any, error) {
	if len(args) == 0 && len(s.name) > 3 && strings.HasPrefix(s.name, "get") {
		if v, ok := x.Property(strings.ToLower(s.name[3:4]) + s.name[4:]); ok {
			return norm(v), nil
		}
	}
	if s.name == "get" && len(args) == 1 {
		if k, ok := args[0].(string); ok {
			if v, ok := x.Property(k); ok {
				return norm(v), nil
			}
		}
	}
	if mo, ok := x.(MapObject); ok && s.method != mUnknown {
		// A Java map's own methods; settle the arguments as any builtin call does.
		res, found, err := st.builtin(mo.AsMap(), s.method, args, s)
		if found || err != nil {
			return res, err
		}
	}
	var cargs []any
	if len(args) > 0 {
		cargs = make([]any, len(args))
		for i, a := range args {
			a, err := st.settle(a)
			if err != nil {
				return nil, err
			}
			cargs[i] = a
		}
	}
	res, err := x.Call(s.name, cargs)
	if err != nil {
		return nil, st.execErr(s.pos, err)
	}
	return norm(res), nil
}
