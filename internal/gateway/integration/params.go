package integration

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/mapping"
	"github.com/gatehouse/gatehouse/internal/jsonpath"
	"github.com/gatehouse/gatehouse/internal/vtl"
)

// sourceKind says where a mapped parameter's value comes from.
type sourceKind uint8

const (
	srcStatic       sourceKind = iota // 'literal' and stageVariables.X (resolved when the stage compiles)
	srcHeader                         // method.request.header.X: the last value
	srcMultiHeader                    // method.request.multivalueheader.X: every value
	srcQuery                          // method.request.querystring.X: the last value
	srcMultiQuery                     // method.request.multivaluequerystring.X: every value
	srcPath                           // method.request.path.X
	srcContext                        // context.X
	srcBody                           // method.request.body / integration.response.body: the whole payload
	srcRespBody                       // integration.response.body: the whole backend payload
	srcRespHeader                     // integration.response.header.X
	srcRespMulti                      // integration.response.multivalueheader.X
	srcBodyPath                       // method.request.body.JSONPATH
	srcRespBodyPath                   // integration.response.body.JSONPATH
)

// source is one parsed mapping expression.
type source struct {
	kind   sourceKind
	name   string         // header, parameter or context variable name; the literal for srcStatic
	static bool           // the value is fixed for the stage
	path   *jsonpath.Path // srcBodyPath, srcRespBodyPath: "$." + the expression's suffix
}

// parseSource parses a mapping expression ("method.request.header.X", "'literal'",
// "stageVariables.X", "context.X"); response says whether integration.response.* is allowed
// (integration responses) instead of method.request.* (integration requests).
func parseSource(expr string, vars map[string]string, response bool) (source, error) {
	if len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'' {
		return source{kind: srcStatic, name: expr[1 : len(expr)-1], static: true}, nil
	}
	if name, ok := strings.CutPrefix(expr, "stageVariables."); ok && name != "" {
		return source{kind: srcStatic, name: vars[name], static: true}, nil
	}
	if name, ok := strings.CutPrefix(expr, "context."); ok && name != "" {
		return source{kind: srcContext, name: name}, nil
	}
	if response {
		switch {
		case expr == "integration.response.body":
			return source{kind: srcRespBody}, nil
		case strings.HasPrefix(expr, "integration.response.body.") && len(expr) > len("integration.response.body."):
			return bodyPathSource(srcRespBodyPath, expr, expr[len("integration.response.body."):])
		case strings.HasPrefix(expr, "integration.response.header.") && len(expr) > len("integration.response.header."):
			return source{kind: srcRespHeader, name: http.CanonicalHeaderKey(expr[len("integration.response.header."):])}, nil
		case strings.HasPrefix(expr, "integration.response.multivalueheader.") && len(expr) > len("integration.response.multivalueheader."):
			return source{kind: srcRespMulti, name: http.CanonicalHeaderKey(expr[len("integration.response.multivalueheader."):])}, nil
		}
		return source{}, fmt.Errorf("unsupported response mapping expression %q", expr)
	}
	rest, ok := strings.CutPrefix(expr, "method.request.")
	if !ok {
		return source{}, fmt.Errorf("unsupported request mapping expression %q", expr)
	}
	if rest == "body" {
		return source{kind: srcBody}, nil
	}
	if sub, ok := strings.CutPrefix(rest, "body."); ok && sub != "" {
		return bodyPathSource(srcBodyPath, expr, sub)
	}
	loc, name, ok := strings.Cut(rest, ".")
	if !ok || name == "" {
		return source{}, fmt.Errorf("unsupported request mapping expression %q", expr)
	}
	switch loc {
	case "header":
		return source{kind: srcHeader, name: http.CanonicalHeaderKey(name)}, nil
	case "multivalueheader":
		return source{kind: srcMultiHeader, name: http.CanonicalHeaderKey(name)}, nil
	case "querystring":
		return source{kind: srcQuery, name: name}, nil
	case "multivaluequerystring":
		return source{kind: srcMultiQuery, name: name}, nil
	case "path":
		return source{kind: srcPath, name: name}, nil
	}
	return source{}, fmt.Errorf("unsupported request mapping expression %q", expr)
}

// bodyPathSource compiles a body.JSONPATH expression ("method.request.body.a.b" names
// "$.a.b" of the payload).
func bodyPathSource(kind sourceKind, expr, sub string) (source, error) {
	p, err := jsonpath.Compile("$." + sub)
	if err != nil {
		return source{}, fmt.Errorf("mapping expression %q: %w", expr, err)
	}
	return source{kind: kind, path: p}, nil
}

// mappedBody is the body a mapping reads: the client's for request parameters, the
// integration's for response parameters. Its JSON is parsed on the first body.JSONPATH
// mapping that needs it, once for all of them.
type mappedBody struct {
	raw    []byte
	parsed bool
	doc    any // nil when raw is not JSON
}

// value is the value at p in the payload, as a mapped parameter's string: strings as they
// are, objects and arrays as JSON, numbers and booleans as printed. ok is false when the
// payload is not JSON or the path names nothing.
func (b *mappedBody) value(p *jsonpath.Path) (string, bool) {
	if !b.parsed {
		b.parsed = true
		if doc, err := vtl.ParseJSON(b.raw); err == nil {
			b.doc = doc
		}
	}
	if b.doc == nil {
		return "", false
	}
	v, ok := p.Eval(b.doc)
	if !ok || v == nil {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case []any:
		return string(vtl.AppendJSON(nil, vtl.NewList(x...))), true
	case *vtl.Map, *vtl.List:
		return string(vtl.AppendJSON(nil, x)), true
	}
	return string(vtl.AppendString(nil, v)), true
}

// values returns the source's values for a request and, for response mappings, the
// integration's response header; body is the client's payload for request mappings, the
// integration's for response mappings. ok is false when the value is absent: AWS then
// leaves the target out.
func (s source) values(inv *invoke.Invocation, respHeader http.Header, body *mappedBody) (one string, many []string, ok bool) {
	switch s.kind {
	case srcStatic:
		return s.name, nil, true
	case srcHeader:
		v, ok := inv.Request.HeaderValue(s.name)
		return v, nil, ok
	case srcMultiHeader:
		vs := inv.Request.HeaderValues(s.name)
		return "", vs, len(vs) > 0
	case srcQuery:
		v, ok := inv.Request.QueryValue(s.name)
		return v, nil, ok
	case srcMultiQuery:
		vs := inv.Request.Query()[s.name]
		return "", vs, len(vs) > 0
	case srcPath:
		v, ok := inv.PathParam(s.name)
		return v, nil, ok
	case srcContext:
		v, ok := inv.ContextVar(s.name)
		return v, nil, ok
	case srcBody, srcRespBody:
		return string(body.raw), nil, true
	case srcRespHeader:
		vs := respHeader[s.name]
		if len(vs) == 0 {
			return "", nil, false
		}
		return vs[len(vs)-1], nil, true
	case srcRespMulti:
		vs := respHeader[s.name]
		return "", vs, len(vs) > 0
	case srcBodyPath, srcRespBodyPath:
		v, ok := body.value(s.path)
		return v, nil, ok
	}
	return "", nil, false
}

// targetKind says where a request mapping writes.
type targetKind uint8

const (
	tgtHeader targetKind = iota
	tgtQuery
	tgtPath
)

// requestMapping is one integration.request.{header,querystring,path}.X = source.
type requestMapping struct {
	target targetKind
	name   string
	src    source
}

// refusedMapping reports whether an integration's requestParameters map a header AWS
// refuses for its type (invoke.Refused on every type; invoke.RefusedAWS as well when aws,
// for AWS and AWS_PROXY integrations, Lambda's included): AWS then fails every request of
// the integration (refusedMappingError).
func refusedMapping(params map[string]string, aws bool) bool {
	for k := range params {
		name, ok := strings.CutPrefix(k, "integration.request.header.")
		if !ok {
			continue
		}
		r := invoke.HeaderRules(name)
		if r&invoke.Refused != 0 || aws && r&invoke.RefusedAWS != 0 {
			return true
		}
	}
	return false
}

// refusedMappingError is how AWS answers a request of an integration with a refused header
// mapping: 500 {"message": "Internal server error"} with x-amzn-ErrorType
// InternalServerErrorException (recorded: TestApiGatewayHeaderRemapping, for every
// integration type), which is DEFAULT_5XX's answer, not API_CONFIGURATION_ERROR's
// ApiConfigurationException. AWS logs "Execution failed due to configuration error".
func refusedMappingError() *invoke.Error {
	return invoke.Internal.Because(
		errors.New("execution failed due to configuration error: a request parameter mapping sets a header API Gateway does not allow for this integration type"))
}

// compileRequestParameters parses an integration's requestParameters.
func compileRequestParameters(params map[string]string, vars map[string]string) (ms []requestMapping, err error) {
	keys := slices.Sorted(maps.Keys(params))
	var errs []string
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, "integration.request.")
		loc, name, ok2 := strings.Cut(rest, ".")
		if !ok || !ok2 || name == "" {
			errs = append(errs, fmt.Sprintf("requestParameters[%q]: unsupported target", k))
			continue
		}
		var m requestMapping
		switch loc {
		case "header":
			m.target, m.name = tgtHeader, http.CanonicalHeaderKey(name)
		case "querystring":
			m.target, m.name = tgtQuery, name
		case "path":
			m.target, m.name = tgtPath, name
		default:
			errs = append(errs, fmt.Sprintf("requestParameters[%q]: unsupported target", k))
			continue
		}
		src, err := parseSource(params[k], vars, false)
		if err != nil {
			errs = append(errs, fmt.Sprintf("requestParameters[%q]: %v", k, err))
			continue
		}
		m.src = src
		ms = append(ms, m)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("compile request parameters: %s", strings.Join(errs, "; "))
	}
	return ms, nil
}

// responseMapping is one method.response.header.X = source.
type responseMapping struct {
	name string // canonical header name
	as   string // the name as the mapping spells it, which the client receives
	src  source
}

func compileResponseParameters(params map[string]string, vars map[string]string) ([]responseMapping, error) {
	keys := slices.Sorted(maps.Keys(params))
	var ms []responseMapping
	var errs []string
	for _, k := range keys {
		name, ok := strings.CutPrefix(k, "method.response.header.")
		if !ok || name == "" {
			errs = append(errs, fmt.Sprintf("responseParameters[%q]: unsupported target", k))
			continue
		}
		src, err := parseSource(params[k], vars, true)
		if err != nil {
			errs = append(errs, fmt.Sprintf("responseParameters[%q]: %v", k, err))
			continue
		}
		ms = append(ms, responseMapping{name: http.CanonicalHeaderKey(name), as: name, src: src})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("compile response parameters: %s", strings.Join(errs, "; "))
	}
	return ms, nil
}

// applyRequestParameters applies an integration's request parameter mappings to one request,
// then the request template's $context.requestOverride.*, which replace the mappings of the
// same name (AWS: "override"): headers are set in hdr, but for those with the rule dropped
// (invoke.DroppedToHTTP, invoke.DroppedToAWS: never sent, even mapped); the mapped query
// (encoded, "" when none) and path parameters are returned.
func applyRequestParameters(inv *invoke.Invocation, params []requestMapping, ov *mapping.Overrides, hdr http.Header, dropped invoke.HeaderRule) (query []byte, mappedPath []invoke.Param) {
	body := mappedBody{raw: inv.Request.Body}
	for _, m := range params {
		if m.target == tgtQuery && hasKey(ov.RequestQuery, m.name) || m.target == tgtPath && hasKey(ov.RequestPath, m.name) {
			continue
		}
		one, many, ok := m.src.values(inv, nil, &body)
		if !ok {
			continue
		}
		switch m.target {
		case tgtHeader:
			if invoke.HeaderHas(m.name, dropped) {
				continue
			}
			if many != nil {
				hdr[m.name] = many
			} else {
				hdr[m.name] = []string{one}
			}
		case tgtQuery:
			if many == nil {
				query = appendQuery(query, m.name, one)
			}
			for _, v := range many {
				query = appendQuery(query, m.name, v)
			}
		case tgtPath:
			if many != nil {
				one = strings.Join(many, ",")
			}
			mappedPath = append(mappedPath, invoke.Param{Name: m.name, Value: one})
		}
	}
	for k, v := range ov.RequestHeader {
		if k = http.CanonicalHeaderKey(k); !invoke.HeaderHas(k, dropped) {
			hdr[k] = []string{v}
		}
	}
	if len(ov.RequestQuery) > 0 {
		// In name order, so that the same request sends the same URL (AWS's order is not
		// recorded).
		for _, k := range slices.Sorted(maps.Keys(ov.RequestQuery)) {
			query = appendQuery(query, k, ov.RequestQuery[k])
		}
	}
	for k, v := range ov.RequestPath {
		mappedPath = append(mappedPath, invoke.Param{Name: k, Value: v})
	}
	return query, mappedPath
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}
