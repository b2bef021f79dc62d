package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// keySource is one of an integration's cacheKeyParameters, resolved when the stage compiles.
type keySource struct {
	kind byte   // 'p' path, 'q' query string, 'h' header, 'c' $context, 'v' stage variable, 's' a static value
	name string // the parameter's name (a static value's text)
}

// parseKeyParameters resolves an integration's cacheKeyParameters: method.request.path.X,
// method.request.querystring.X, method.request.header.X (the multivalue forms read the same
// values), and integration.request.{path,querystring,header}.X, which stand for what the
// integration's requestParameters map into them (a method request parameter, or a static
// 'value'). Every problem is reported.
func parseKeyParameters(params []string, requestParameters map[string]string) ([]keySource, error) {
	var errs []error
	out := make([]keySource, 0, len(params))
	for _, p := range params {
		expr := p
		if strings.HasPrefix(p, "integration.request.") {
			src, ok := requestParameters[p]
			if !ok {
				errs = append(errs, fmt.Errorf("cache key parameter %q: the integration maps nothing into it", p))
				continue
			}
			if len(src) >= 2 && src[0] == '\'' && src[len(src)-1] == '\'' {
				out = append(out, keySource{kind: 's', name: src[1 : len(src)-1]})
				continue
			}
			expr = src
		}
		ks, ok := methodKeySource(expr)
		if !ok {
			// A $context variable may differ per caller (context.authorizer.principalId,
			// context.identity.sourceIp) and a stage variable per variant (a canary's
			// overrides): both are part of the key with the value the request maps.
			if name, isCtx := strings.CutPrefix(expr, "context."); isCtx && name != "" {
				ks, ok = keySource{kind: 'c', name: name}, true
			} else if name, isVar := strings.CutPrefix(expr, "stageVariables."); isVar && name != "" {
				ks, ok = keySource{kind: 'v', name: name}, true
			}
		}
		if !ok {
			errs = append(errs, fmt.Errorf("cache key parameter %q: not a method request path, query string or header parameter", p))
			continue
		}
		out = append(out, ks)
	}
	return out, errors.Join(errs...)
}

func methodKeySource(expr string) (keySource, bool) {
	rest, ok := strings.CutPrefix(expr, "method.request.")
	if !ok {
		return keySource{}, false
	}
	where, name, ok := strings.Cut(rest, ".")
	if !ok || name == "" {
		return keySource{}, false
	}
	switch where {
	case "path":
		return keySource{kind: 'p', name: name}, true
	case "querystring", "multivaluequerystring":
		return keySource{kind: 'q', name: name}, true
	case "header", "multivalueheader":
		return keySource{kind: 'h', name: name}, true
	}
	return keySource{}, false
}

// appendKey appends the entry key of inv's request: the length-prefixed namespace, the
// client's HTTP method and, for each key parameter in order, its kind and name, whether it
// is present and every value it has (a query string parameter or header sent twice is part
// of the key with both values, in order, so requests that differ in any value never share
// an entry). Naming each parameter keeps methods of one cacheNamespace with other key
// parameters, and a redeploy that changes them, from reading each other's entries. Length
// prefixes make the encoding injective: no two requests' parts run into one key.
func appendKey(b []byte, namespace string, sources []keySource, inv *invoke.Invocation) []byte {
	b = appendString(b, namespace)
	b = appendString(b, inv.HTTPMethod)
	for i := range sources {
		ks := &sources[i]
		b = append(b, ks.kind)
		b = appendString(b, ks.name)
		switch ks.kind {
		case 's':
			b = appendValues(b, ks.name)
		case 'p':
			v, ok := inv.PathParam(ks.name)
			b = appendOptional(b, v, ok)
		case 'q':
			b = appendValues(b, inv.Request.Query()[ks.name]...)
		case 'h':
			b = appendValues(b, inv.Request.HeaderValues(ks.name)...)
		case 'c':
			v, ok := inv.ContextVar(ks.name)
			b = appendOptional(b, v, ok)
		case 'v':
			v, ok := inv.StageVariables[ks.name]
			b = appendOptional(b, v, ok)
		}
	}
	return b
}

// appendOptional appends one value, or its absence when ok is false.
func appendOptional(b []byte, v string, ok bool) []byte {
	if ok {
		return appendValues(b, v)
	}
	return appendValues(b)
}

// appendValues appends a count of values (0: absent) and each value, length-prefixed.
func appendValues(b []byte, vs ...string) []byte {
	b = binary.AppendUvarint(b, uint64(len(vs)))
	for _, v := range vs {
		b = appendString(b, v)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// readsQuery reports whether a key of sources reads the query string.
func readsQuery(sources []keySource) bool {
	for i := range sources {
		if sources[i].kind == 'q' {
			return true
		}
	}
	return false
}
