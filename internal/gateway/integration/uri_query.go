package integration

import (
	"net/url"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// An HTTP or HTTP_PROXY integration URI may put {name} placeholders in its query string as
// well as in its path ("http://backend/?testVar={pathVar}&testQs={qsVar}"): each is filled
// with the integration.request.path.name mapped for the request, the way a path
// placeholder is. Recorded from AWS: localstack
// tests/aws/services/apigateway/test_apigateway_http.snapshot.json,
// test_http_proxy_integration_request_data_mappings, where pathVar is mapped from the
// method's path parameter and qsVar from a query string parameter, and the backend sees
// testVar=foobar (the URI's) before the client's testVar=bar, and testQs=bar (the URI's)
// before the mapped integration.request.querystring.testQs=foo: the URI's own query comes
// first, then the client's (HTTP_PROXY), then the mapped query parameters.
//
// A placeholder's value is query-escaped, so that it stays one value of its parameter
// ("a&b=c" cannot add a parameter); a name with no mapped value falls back to the method's
// own path parameter, as in the path, else it is left empty.

// queryPlaceholders splits an integration URI's query q (after the '?', before any '#') at
// its placeholders: nil when q has none, so the common query is sent as written without
// work per request. A query whose braces make no placeholder ("a={", "a={}") is sent as
// written, as before placeholders were filled: the management API accepts such a URI
// (it checks the path's placeholders only), so the stage must serve it. It never fails.
func queryPlaceholders(q string) []uriPart {
	parts, err := parsePlaceholders(q)
	if err != nil || len(parts) <= 1 && (len(parts) == 0 || parts[0].name == "") {
		return nil
	}
	return parts
}

// mappedQuery is the URI's query with its placeholders filled for inv (mappedValue).
func (t *uriTemplate) mappedQuery(inv *invoke.Invocation, mapped []invoke.Param) string {
	if t.queryParts == nil {
		return t.query
	}
	return string(appendQueryTemplate(make([]byte, 0, len(t.query)+32), t.queryParts, func(name string) (string, bool) {
		return mappedValue(inv, mapped, name)
	}))
}

// appendQueryTemplate appends parts, each placeholder replaced by value(name) query-escaped.
func appendQueryTemplate(b []byte, parts []uriPart, value func(name string) (string, bool)) []byte {
	for _, p := range parts {
		if p.name == "" {
			b = append(b, p.lit...)
			continue
		}
		v, _ := value(p.name)
		b = append(b, url.QueryEscape(v)...)
	}
	return b
}
