// Package mapping holds the mapping templates of integration requests and responses: parsed
// once when a stage compiles, rendered per request by the VTL engine (internal/vtl) with API
// Gateway's variables bound: $input, $util, $context and $stageVariables.
package mapping

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/jsonpath"
	"github.com/gatehouse/gatehouse/internal/vtl"
)

// MaxOutput bounds a rendered template, in bytes: AWS's 10 MB payload limit.
const MaxOutput = 10 << 20

// maxPooledOutput is the largest scratch output buffer kept for reuse; a larger render's is
// let go.
const maxPooledOutput = 64 << 10

// limits are the VTL engine's bounds for every template: AWS's 1000 #foreach iterations and
// 10 MB output; depth and steps keep hostile templates from running away.
var limits = vtl.Limits{MaxOutput: MaxOutput, MaxLoop: 1000, MaxDepth: 64, MaxSteps: 2_000_000}

// Template is one parsed mapping template. A Template is immutable (but for its JSONPath
// cache) and safe for concurrent use.
type Template struct {
	text string
	// literal is the text itself when it holds no VTL ('$' or '#'), rendered as is without
	// the engine: most MOCK templates ({"statusCode": 200}) and static bodies.
	literal []byte
	vt      *vtl.Template
	// usesStageVariables says whether $stageVariables is referenced: the map is built per
	// render only then.
	usesStageVariables bool
	paths              pathCache
	// arenas hold the memory payloads are parsed into, reused across renders: a render
	// takes one, and resets and returns it when the output and overrides are copied out.
	arenas sync.Pool
	// outs hold scratch output buffers: a render writes into one and returns an exactly
	// sized copy, so the allocation per request is the output's size, not a guess.
	outs sync.Pool
}

// Parse parses a mapping template. Errors are *vtl.ParseError, naming line and column.
func Parse(text string) (*Template, error) {
	t := &Template{text: text}
	if !strings.ContainsAny(text, "$#") {
		t.literal = []byte(text)
		return t, nil
	}
	vt, err := vtl.Parse(text)
	if err != nil {
		return nil, err
	}
	t.vt = vt
	t.usesStageVariables = strings.Contains(text, "stageVariables")
	return t, nil
}

// Text returns the template's source.
func (t *Template) Text() string { return t.text }

// Literal reports whether the template renders as its own text for every request.
func (t *Template) Literal() bool { return t.literal != nil }

// Overrides are what templates set in $context.requestOverride.* and
// $context.responseOverride.*. Nil maps and a zero Status mean none. Render reads them as well
// as writing them: what the request template set is what the response template's
// $context.requestOverride and $context.responseOverride start with, as on AWS, where a
// request template's overrides are readable in the response template and a responseOverride
// set in a request template applies to the response (recorded against AWS by LocalStack:
// localstack/localstack#11799, test_integration_mock_with_request_overrides_in_response_template;
// #12628, test_integration_mock_with_response_override_in_request_template).
type Overrides struct {
	RequestHeader  map[string]string
	RequestQuery   map[string]string
	RequestPath    map[string]string
	ResponseHeader map[string]string
	// Status is $context.responseOverride.status; 0 when unset.
	Status int
}

// Render renders the template for inv, with payload as $input's body (the client's for a
// request template, the integration's for a response template). When ov is not nil, the
// template's $context.requestOverride and $context.responseOverride start as ov holds them
// (what an earlier template set), and ov receives them as the template leaves them. The
// result must not be modified.
func (t *Template) Render(inv *invoke.Invocation, payload []byte, ov *Overrides) ([]byte, error) {
	if t.literal != nil {
		return t.literal, nil
	}
	r := renderer{inv: inv, tmpl: t}
	if ov != nil {
		r.prior = *ov // a copy: ov must not escape with the renderer
	}
	r.input = inputObject{r: &r, payload: payload}
	defer r.release()
	r.context = contextObject{r: &r}
	globals := map[string]any{
		"input":   &r.input,
		"util":    utilObject{},
		"context": &r.context,
	}
	if t.usesStageVariables {
		m := vtl.NewMap()
		for k, v := range inv.StageVariables {
			m.Set(k, v)
		}
		globals["stageVariables"] = m
	}
	buf, _ := t.outs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	scratch, err := t.vt.Execute((*buf)[:0], globals, limits)
	var out []byte
	if err == nil {
		out = append(make([]byte, 0, len(scratch)), scratch...)
	}
	if cap(scratch) <= maxPooledOutput {
		*buf = scratch
		t.outs.Put(buf)
	}
	if err != nil {
		// The error may quote strings of the arena, which the deferred release reuses:
		// detach its text now.
		return nil, errors.New(err.Error())
	}
	if ov != nil {
		r.collect(ov)
	}
	return out, nil
}

// renderer is one render's state: the lazily parsed payload shared by $input.json and
// $input.path (so that changes made through one show in the other, as on AWS), and the
// override maps a template may write.
type renderer struct {
	inv     *invoke.Invocation
	tmpl    *Template
	arena   *vtl.Arena // taken on the first parse of the payload
	input   inputObject
	context contextObject

	identity         *contextObject // $context.identity, once referenced
	requestOverride  *vtl.Map       // header, querystring, path: *vtl.Map each
	responseOverride *vtl.Map       // header: *vtl.Map, status
	// prior are the overrides earlier templates of the request set: the override maps
	// start with them.
	prior Overrides
}

// newRequestOverride is $context.requestOverride as the render starts it: the maps an
// earlier template left, else empty ones.
func (r *renderer) newRequestOverride() *vtl.Map {
	p := &r.prior
	m := vtl.NewMap()
	m.Set("header", mapOf(p.RequestHeader))
	m.Set("querystring", mapOf(p.RequestQuery))
	m.Set("path", mapOf(p.RequestPath))
	return m
}

// newResponseOverride is $context.responseOverride as the render starts it.
func (r *renderer) newResponseOverride() *vtl.Map {
	m := vtl.NewMap()
	m.Set("header", mapOf(r.prior.ResponseHeader))
	if r.prior.Status != 0 {
		m.Set("status", int64(r.prior.Status))
	}
	return m
}

// mapOf is a template map of m's entries, in name order (Go's maps have none).
func mapOf(m map[string]string) *vtl.Map {
	out := vtl.NewMap()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out.Set(k, m[k])
	}
	return out
}

// parse decodes the payload into the render's arena.
func (r *renderer) parse(payload []byte) (any, error) {
	if r.arena == nil {
		r.arena, _ = r.tmpl.arenas.Get().(*vtl.Arena)
		if r.arena == nil {
			r.arena = new(vtl.Arena)
		}
	}
	return r.arena.Parse(payload)
}

// release returns the arena: nothing of the render may refer to its values afterwards (the
// output is its own bytes, and collect copied the overrides out as strings).
func (r *renderer) release() {
	if r.arena != nil {
		r.arena.Reset()
		r.tmpl.arenas.Put(r.arena)
		r.arena = nil
	}
}

// collect copies the override maps into ov.
func (r *renderer) collect(ov *Overrides) {
	if m := r.requestOverride; m != nil {
		ov.RequestHeader = stringMap(m, "header")
		ov.RequestQuery = stringMap(m, "querystring")
		ov.RequestPath = stringMap(m, "path")
	}
	if m := r.responseOverride; m != nil {
		ov.ResponseHeader = stringMap(m, "header")
		if v, ok := m.Get("status"); ok && v != nil {
			ov.Status = statusValue(v)
		}
	}
}

// stringMap returns the entries of the map at key of m as strings; nil when there are none.
// Names and values are copies: a template may compute them from the payload, whose strings
// belong to the render's arena.
func stringMap(m *vtl.Map, key string) map[string]string {
	v, _ := m.Get(key)
	sub, ok := v.(*vtl.Map)
	if !ok || sub.Len() == 0 {
		return nil
	}
	out := make(map[string]string, sub.Len())
	for _, k := range sub.Keys() {
		e, _ := sub.Get(k)
		out[strings.Clone(k)] = string(vtl.AppendString(nil, e))
	}
	return out
}

// statusValue reads $context.responseOverride.status, a number or a numeric string; 0 when
// it is neither or out of HTTP's range.
func statusValue(v any) int {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case int:
		n = int64(x)
	case float64:
		n = int64(x)
	case string:
		for _, c := range strings.TrimSpace(x) {
			if c < '0' || c > '9' || n > 1000 {
				return 0
			}
			n = n*10 + int64(c-'0')
		}
	}
	if !apigateway.IsStatusCode(n) {
		return 0
	}
	return int(n)
}

// pathCache holds a template's compiled JSONPath expressions: templates name a handful of
// literal paths, compiled on first use. It stops growing at maxPaths entries (a template
// computing its paths per request then compiles them each time).
type pathCache struct {
	mu    sync.RWMutex
	paths map[string]*jsonpath.Path
}

const maxPaths = 256

func (c *pathCache) get(expr string) (*jsonpath.Path, error) {
	c.mu.RLock()
	p, ok := c.paths[expr]
	c.mu.RUnlock()
	if ok {
		return p, nil
	}
	// expr may be a string of the render's arena (a path computed from the payload): the
	// compiled path and any error must not refer to it after the render.
	expr = strings.Clone(expr)
	p, err := jsonpath.Compile(expr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.paths == nil {
		c.paths = make(map[string]*jsonpath.Path)
	}
	if len(c.paths) < maxPaths {
		c.paths[expr] = p
	}
	c.mu.Unlock()
	return p, nil
}
