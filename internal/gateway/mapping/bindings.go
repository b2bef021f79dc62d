package mapping

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/vtl"
)

// The objects a template sees as $input, $util and $context. Each implements vtl.Object.
var (
	_ vtl.Object = (*inputObject)(nil)
	_ vtl.Object = utilObject{}
	_ vtl.Object = (*contextObject)(nil)
)

// inputObject is $input: the payload and the request's parameters.
type inputObject struct {
	r       *renderer
	payload []byte

	parsed bool
	doc    any   // the payload as template values, parsed on first use
	docErr error // the payload is not JSON
}

// Property implements vtl.Object: $input.body.
func (in *inputObject) Property(name string) (any, bool) {
	if name == "body" {
		return in.body(), true
	}
	return nil, false
}

// body is $input.body: the raw payload, "{}" when it is empty (AWS's placeholder for a
// request without a body).
func (in *inputObject) body() string {
	if len(in.payload) == 0 {
		return "{}"
	}
	return string(in.payload)
}

// Call implements vtl.Object: $input.json(x), $input.path(x), $input.params(), $input.params(x).
func (in *inputObject) Call(method string, args []any) (any, error) {
	switch method {
	case "body", "getBody":
		return in.body(), nil
	case "json", "path":
		if len(args) != 1 {
			return nil, fmt.Errorf("$input.%s takes one argument, got %d", method, len(args))
		}
		v, ok, err := in.eval(str(args[0]))
		if err != nil {
			return nil, err
		}
		if method == "path" {
			if !ok {
				return nil, nil
			}
			return v, nil
		}
		if !ok {
			// A missing path gives an empty JSON string (not verified against AWS).
			return `""`, nil
		}
		return string(vtl.AppendJSON(nil, v)), nil
	case "params":
		switch len(args) {
		case 0:
			return in.allParams(), nil
		case 1:
			v, _ := in.param(str(args[0]))
			return v, nil
		}
		return nil, fmt.Errorf("$input.params takes at most one argument, got %d", len(args))
	}
	return nil, fmt.Errorf("$input has no method %q", method)
}

// eval evaluates a JSONPath expression on the payload. ok is false when the path names
// nothing. A payload that is not JSON is one string at "$", and has nothing below it.
func (in *inputObject) eval(expr string) (any, bool, error) {
	p, err := in.r.tmpl.paths.get(expr)
	if err != nil {
		return nil, false, fmt.Errorf("invalid JSONPath %q: %w", expr, err)
	}
	if !in.parsed {
		in.parsed = true
		if len(in.payload) == 0 {
			in.doc = vtl.NewMap()
		} else {
			in.doc, in.docErr = in.r.parse(in.payload)
			if in.docErr != nil {
				in.doc = string(in.payload)
			}
		}
	}
	v, ok := p.Eval(in.doc)
	if !ok {
		return nil, false, nil
	}
	if list, isList := v.([]any); isList && !p.Definite() {
		return vtl.NewList(list...), true, nil
	}
	return v, true, nil
}

// param is $input.params(name): the path parameter, else the query string parameter (its
// last value), else the header (its last value, by case-insensitive name); "" when none.
func (in *inputObject) param(name string) (string, bool) {
	inv := in.r.inv
	if v, ok := inv.PathParam(name); ok {
		return v, true
	}
	if v, ok := inv.Request.QueryValue(name); ok {
		return v, true
	}
	if v, ok := inv.Request.HeaderValue(name); ok {
		return v, true
	}
	return "", false
}

// allParams is $input.params(): {path: {...}, querystring: {...}, header: {...}}, each
// parameter with its last value, headers under the names the client sent (Host
// included; the ones AWS drops as it reads a request left out).
func (in *inputObject) allParams() *vtl.Map {
	inv := in.r.inv
	path := vtl.NewMap()
	for _, p := range inv.PathParams {
		path.Set(p.Name, p.Value)
	}
	// Names in sorted order: the same request renders the same text (Go's maps have no
	// order; AWS's, a Java map's, is not recorded).
	query := vtl.NewMap()
	q := inv.Request.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if vs := q[k]; len(vs) > 0 {
			query.Set(k, vs[len(vs)-1])
		}
	}
	// Headers as AWS's pipeline sees them: the Host the client sent, not the ones AWS
	// drops as it reads a request (invoke.Hidden), under the names the client spelled.
	header := vtl.NewMap()
	for _, k := range slices.Sorted(maps.Keys(inv.Request.Header)) {
		if vs := inv.Request.Header[k]; len(vs) > 0 && k != "Host" && invoke.VisibleHeader(k) {
			header.Set(inv.Request.HeaderName(k), vs[len(vs)-1])
		}
	}
	if inv.Request.Host != "" {
		header.Set("Host", inv.Request.Host)
	}
	m := vtl.NewMap()
	m.Set("path", path)
	m.Set("querystring", query)
	m.Set("header", header)
	return m
}

// utilObject is $util.
type utilObject struct{}

// Property implements vtl.Object; $util has methods only.
func (utilObject) Property(string) (any, bool) { return nil, false }

// Call implements vtl.Object.
func (utilObject) Call(method string, args []any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("$util.%s takes one argument, got %d", method, len(args))
	}
	s := str(args[0])
	switch method {
	case "escapeJavaScript":
		return EscapeJavaScript(s), nil
	case "parseJson":
		v, err := vtl.ParseJSON([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("$util.parseJson: %w", err)
		}
		return v, nil
	case "urlEncode":
		return URLEncode(s), nil
	case "urlDecode":
		return URLDecode(s)
	case "base64Encode":
		return Base64Encode(s), nil
	case "base64Decode":
		return Base64Decode(s)
	}
	return nil, fmt.Errorf("$util has no method %q", method)
}

// contextObject is $context, or one of its groups ($context.identity, ...) when prefix is
// set ("identity.").
type contextObject struct {
	r      *renderer
	prefix string
}

// contextGroups are the $context variables that hold other variables. $context.authorizer.claims
// holds a Cognito authorizer's claims ($context.authorizer.claims.email): null without them;
// AWS documents the group itself as null, gatehouse shows a map of the claims (context_map.go).
// identity.clientCert is null without mutual TLS, which gatehouse does not serve.
var contextGroups = map[string]bool{"identity": true, "authorizer": true, "authorizer.claims": true, "error": true}

// Property implements vtl.Object.
func (c *contextObject) Property(name string) (any, bool) {
	if m := c.r.asMap(c.prefix); m != nil { // what the template put in it too
		if v, ok := m.Get(name); ok {
			return v, true
		}
	}
	full := c.prefix + name
	switch full {
	case "requestOverride":
		if c.r.requestOverride == nil {
			c.r.requestOverride = c.r.newRequestOverride()
		}
		return c.r.requestOverride, true
	case "responseOverride":
		if c.r.responseOverride == nil {
			c.r.responseOverride = c.r.newResponseOverride()
		}
		return c.r.responseOverride, true
	case "requestTimeEpoch":
		// A Java long on AWS, so templates can do arithmetic with it.
		return c.r.inv.RequestTime.UnixMilli(), true
	}
	if full == "authorizer.claims" && (c.r.inv.Authorizer == nil || len(c.r.inv.Authorizer.Claims) == 0) {
		return nil, false // null without a Cognito authorizer's claims
	}
	if contextGroups[full] {
		if full == "identity" { // the group templates use most: made once per render
			if c.r.identity == nil {
				c.r.identity = &contextObject{r: c.r, prefix: "identity."}
			}
			return c.r.identity, true
		}
		return &contextObject{r: c.r, prefix: full + "."}, true
	}
	if v, ok := c.r.inv.ContextVar(full); ok {
		return v, true
	}
	return nil, false
}

// Call implements vtl.Object: Velocity's getter forms ($context.get('stage')).
func (c *contextObject) Call(method string, args []any) (any, error) {
	if method == "get" && len(args) == 1 {
		v, _ := c.Property(str(args[0]))
		return v, nil
	}
	return nil, errors.New("$context has no method " + strconv.Quote(method))
}

// str is a template value as a Java String argument.
func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(vtl.AppendString(nil, v))
}
