package vtl

import "regexp"

// The parse tree. Everything resolvable at parse time is resolved there: variable names
// to slots, method names to methodIDs, constant regular expressions to compiled ones,
// string literals without $ or # to constants.

// node is one element of a block: *textNode, *refNode, *escRefNode, *setNode, *ifNode,
// *foreachNode, *defineNode, *breakNode, *stopNode.
type node any

type textNode struct{ text string }

// refNode renders a reference; null renders as nothing (API Gateway's behaviour).
type refNode struct{ ref *refExpr }

// escRefNode is a reference preceded by backslashes (\$x, \\$x), rendered as Velocity
// 1.7 does: a defined reference loses one backslash of each pair and, after an odd
// count, prints as its own text; an undefined one keeps its backslashes.
type escRefNode struct {
	ref         *refExpr
	backslashes int
}

type setNode struct {
	target *refExpr
	value  expr
	pos    int
}

type ifNode struct {
	conds  []expr
	blocks [][]node
	els    []node // nil when there is no #else
}

type foreachNode struct {
	slot int
	iter expr
	body []node
	pos  int
}

type defineNode struct {
	slot  int
	block *block
}

type breakNode struct{}

type stopNode struct{}

// expr is an expression: *litExpr, *refExpr, *interpExpr, *listExpr, *mapExpr,
// *rangeExpr, *binExpr, *notExpr, *negExpr.
type expr any

type litExpr struct{ v any }

// special marks references the engine answers inside a #foreach.
type special uint8

const (
	specNone special = iota
	specForeach
	specVelocityCount
	specVelocityHasNext
)

type refExpr struct {
	pos     int
	name    string
	slot    int
	special special
	chain   []step
	text    string // the reference as written, for escapes
}

type stepKind uint8

const (
	stepProp stepKind = iota
	stepIndex
	stepCall
)

type step struct {
	kind   stepKind
	pos    int
	name   string   // property or method name
	method methodID // stepCall: the method; stepProp: its getX() form
	isID   methodID // stepProp: its isX() form
	args   []expr
	index  expr
	re     *regexp.Regexp // stepCall of a regexp method with a constant pattern
	reErr  error          // the constant pattern did not compile
}

// interpExpr is a double-quoted string holding $ or #: a template rendered to a string.
type interpExpr struct {
	parts []node
	pos   int
}

type listExpr struct{ items []expr }

type mapExpr struct{ keys, vals []expr }

type rangeExpr struct {
	from, to expr
	pos      int
}

type opKind uint8

const (
	opOr opKind = iota
	opAnd
	opEq
	opNe
	opLt
	opLe
	opGt
	opGe
	opAdd
	opSub
	opMul
	opDiv
	opMod
)

type binExpr struct {
	op   opKind
	l, r expr
	pos  int
}

type notExpr struct{ x expr }

type negExpr struct {
	x   expr
	pos int
}
