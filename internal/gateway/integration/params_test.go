package integration

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/mapping"
)

func TestParseSource(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"v": "stage-value"}
	tests := []struct {
		expr     string
		response bool
		kind     sourceKind
		name     string // "" when parsing fails
	}{
		{"'literal'", false, srcStatic, "literal"},
		{"''", false, srcStatic, ""},
		{"stageVariables.v", false, srcStatic, "stage-value"},
		{"context.requestId", false, srcContext, "requestId"},
		{"method.request.header.x-trace", false, srcHeader, "X-Trace"},
		{"method.request.multivalueheader.accept", false, srcMultiHeader, "Accept"},
		{"method.request.querystring.q", false, srcQuery, "q"},
		{"method.request.multivaluequerystring.q", false, srcMultiQuery, "q"},
		{"method.request.path.proxy", false, srcPath, "proxy"},
		{"method.request.path.a.b", false, srcPath, "a.b"},
		{"method.request.body", false, srcBody, ""},
		{"method.request.body.a.b", false, srcBodyPath, ""},
		{"integration.response.header.etag", true, srcRespHeader, "Etag"},
		{"integration.response.multivalueheader.set-cookie", true, srcRespMulti, "Set-Cookie"},
		{"integration.response.body", true, srcRespBody, ""},
		{"integration.response.body.items[0]", true, srcRespBodyPath, ""},
		{"'x'", true, srcStatic, "x"},
	}
	for _, tt := range tests {
		src, err := parseSource(tt.expr, vars, tt.response)
		if err != nil || src.kind != tt.kind || src.name != tt.name {
			t.Errorf("parseSource(%q, %v) = %+v, %v; want kind %d name %q", tt.expr, tt.response, src, err, tt.kind, tt.name)
		}
	}
	for _, bad := range []struct {
		expr     string
		response bool
	}{
		{"method.request.header.", false},
		{"method.request.cookie.x", false},
		{"method.request.path", false},
		{"method.request.body.", false},
		{"method.request.body.[", false},
		{"stageVariables.", false},
		{"context.", false},
		{"'", false},
		{"integration.response.header.x", false}, // a request mapping cannot read the response
		{"method.request.header.x", true},        // nor a response mapping the request
		{"integration.response.header.", true},
		{"", false},
	} {
		if src, err := parseSource(bad.expr, vars, bad.response); err == nil {
			t.Errorf("parseSource(%q, %v) = %+v, nil; want an error", bad.expr, bad.response, src)
		}
	}
}

// FuzzParseSource: any mapping expression parses or fails without panicking; what parses
// names what the expression says, and evaluates on a request and a response without
// panicking. compileRequestParameters and applyRequestParameters take the same expression
// for any target.
func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"'lit'", "stageVariables.v", "context.identity.sourceIp", "method.request.header.X",
		"method.request.multivaluequerystring.q", "method.request.path.id", "method.request.body.a[0].b",
		"method.request.body.$", "integration.response.body.x.y", "integration.response.header.Etag",
		"method.request.body..a", "method.request.body['a b']", "''''"} {
		f.Add(s, "integration.request.path.id", `{"a":[{"b":1}],"x":{"y":"z"}}`)
	}
	f.Add("method.request.querystring.q", "integration.request.querystring.q", "")
	f.Add("method.request.header.h", "integration.request.header.Content-Length", "not json")
	vars := map[string]string{"v": "stage-value"}
	f.Fuzz(func(t *testing.T, expr, target, body string) {
		inv := &invoke.Invocation{RequestID: "rid", PathParams: []invoke.Param{{Name: "id", Value: "7"}}}
		inv.Request = invoke.Request{RawQuery: "q=1&q=%zz&r", Header: http.Header{"X": {"a", "b"}}, Body: []byte(body)}
		respHeader := http.Header{"Etag": {"e"}}
		for _, response := range []bool{false, true} {
			src, err := parseSource(expr, vars, response)
			if err != nil {
				continue
			}
			switch src.kind {
			case srcHeader, srcMultiHeader, srcRespHeader, srcRespMulti:
				if src.name != http.CanonicalHeaderKey(src.name) || !strings.HasSuffix(strings.ToLower(expr), strings.ToLower(src.name)) {
					t.Fatalf("parseSource(%q) header name %q", expr, src.name)
				}
			case srcQuery, srcMultiQuery, srcPath, srcContext:
				if src.name == "" || !strings.HasSuffix(expr, "."+src.name) {
					t.Fatalf("parseSource(%q) name %q is not the expression's suffix", expr, src.name)
				}
			case srcBodyPath, srcRespBodyPath:
				if src.path == nil {
					t.Fatalf("parseSource(%q) has no JSONPath", expr)
				}
			}
			if (src.kind == srcRespHeader || src.kind == srcRespMulti || src.kind == srcRespBody || src.kind == srcRespBodyPath) != response &&
				src.kind != srcStatic && src.kind != srcContext {
				t.Fatalf("parseSource(%q, response=%v) = kind %d from the wrong side", expr, response, src.kind)
			}
			_, _, _ = src.values(inv, respHeader, &mappedBody{raw: []byte(body)})
		}
		ms, err := compileRequestParameters(map[string]string{target: expr}, vars)
		if err != nil {
			return
		}
		hdr := http.Header{}
		query, mapped := applyRequestParameters(inv, ms, &mapping.Overrides{}, hdr, 0)
		if len(query) > 0 && (query[0] == '&' || strings.ContainsAny(string(query), " \r\n")) {
			t.Fatalf("applyRequestParameters(%q = %q) query %q", target, expr, query)
		}
		_ = mapped
	})
}
