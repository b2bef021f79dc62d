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
	kind byte   // 'p' path, 'q' query string, 'h' header, 's' a static value
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
			// A $context or $stageVariables source maps the same value into every request
			// of the stage, or one the key cannot see: it adds nothing to the key.
			if strings.HasPrefix(expr, "context.") || strings.HasPrefix(expr, "stageVariables.") {
				continue
			}
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
// client's HTTP method and, for each key parameter in order, whether it is present and
// every value it has (a query string parameter or header sent twice is part of the key with
// both values, in order, so requests that differ in any value never share an entry). Length
// prefixes make the encoding injective: no two requests' parts run into one key.
func appendKey(b []byte, namespace string, sources []keySource, inv *invoke.Invocation) []byte {
	b = appendString(b, namespace)
	b = appendString(b, inv.HTTPMethod)
	for i := range sources {
		ks := &sources[i]
		switch ks.kind {
		case 's':
			b = appendValues(b, ks.name)
		case 'p':
			if v, ok := inv.PathParam(ks.name); ok {
				b = appendValues(b, v)
			} else {
				b = appendValues(b)
			}
		case 'q':
			b = appendValues(b, inv.Request.Query()[ks.name]...)
		case 'h':
			b = appendValues(b, inv.Request.HeaderValues(ks.name)...)
		}
	}
	return b
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
