package awsjson

import (
	"net/http"
	"net/url"
	"strings"
)

// OperationAt returns the model's operation served at pattern ("METHOD /path/{label}", the
// request URI without its query part), nil for none. Where operations share a path and
// differ by a query part (CreateRestApi and ImportRestApi's "?mode=import"), the one without
// a query part is returned; a pattern with the query part ("POST /apikeys?mode=import")
// names the operation whose URI is exactly that.
func OperationAt(pattern string) *Operation {
	method, uri, _ := strings.Cut(pattern, " ")
	if strings.Contains(uri, "?") {
		for i := range Operations {
			if op := &Operations[i]; op.Method == method && op.URI == uri {
				return op
			}
		}
		return nil
	}
	var found *Operation
	for i := range Operations {
		op := &Operations[i]
		path, _, hasQuery := strings.Cut(op.URI, "?")
		if op.Method == method && path == uri {
			if !hasQuery {
				return op
			}
			if found == nil {
				found = op
			}
		}
	}
	return found
}

// QueryVariant returns the operation that shares op's method and path but is told apart by
// a query parameter the request carries (POST /restapis?mode=import is ImportRestApi, not
// CreateRestApi), nil when the request is op itself.
func QueryVariant(op *Operation, query url.Values) *Operation {
	path, _, _ := strings.Cut(op.URI, "?")
	for i := range Operations {
		o := &Operations[i]
		p, q, hasQuery := strings.Cut(o.URI, "?")
		if o == op || !hasQuery || o.Method != op.Method || p != path {
			continue
		}
		if queryMatches(q, query) {
			return o
		}
	}
	return nil
}

// queryMatches reports whether query carries every "name=value" of the model's query part.
func queryMatches(want string, query url.Values) bool {
	for _, kv := range strings.Split(want, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if query.Get(k) != v {
			return false
		}
	}
	return true
}

// OperationFor returns the model's operation a request is addressed to, by its method and
// escaped path (a URI label matches one non-empty path segment), nil when the service model
// has no operation there. An operation told apart by its query part is preferred when the
// request carries that query.
func OperationFor(method, escapedPath string, query url.Values) *Operation {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	var plain *Operation
	for i := range Operations {
		op := &Operations[i]
		if op.Method != method {
			continue
		}
		path, q, hasQuery := strings.Cut(op.URI, "?")
		if !templateMatches(path, segs) {
			continue
		}
		if hasQuery {
			if queryMatches(q, query) {
				return op
			}
			continue
		}
		if plain == nil {
			plain = op
		}
	}
	return plain
}

func templateMatches(template string, segs []string) bool {
	tsegs := strings.Split(strings.TrimPrefix(template, "/"), "/")
	if len(tsegs) != len(segs) {
		return false
	}
	for i, t := range tsegs {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if t != segs[i] {
			return false
		}
	}
	return true
}

// CompatibilityDoc is where gatehouse lists the operations it serves.
const CompatibilityDoc = "docs/compatibility.md"

// NotSupported is the answer to an operation of the service model that gatehouse does not
// serve yet: AWS's error shape, naming the operation by its botocore name, so that a client
// sees which call is missing rather than a path that reads like a typo.
func NotSupported(op *Operation) *Error {
	return &Error{http.StatusNotFound, "UnknownOperationException", op.Name + " (" + op.Method + " " + op.URI + ") is not supported by gatehouse yet; " + CompatibilityDoc + " lists the operations gatehouse serves"}
}
