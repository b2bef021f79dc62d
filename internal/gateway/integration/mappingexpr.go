package integration

import (
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// MethodRequestSource is a mapping expression over the method request alone: a
// 'literal', stageVariables.X, context.X or
// method.request.{header,multivalueheader,path,querystring,multivaluequerystring}.X. It is
// parsed by the one parser of mapping expressions (parseSource), which integrations'
// request and response parameters use too. Gateway responses map their headers from these
// ([A] x-amazon-apigateway-gateway-responses.responseParameters); the body sources that an
// integration request also takes are refused.
type MethodRequestSource struct {
	src source
}

// ParseMethodRequestSource parses expr; stage variables are resolved now, from vars.
func ParseMethodRequestSource(expr string, vars map[string]string) (MethodRequestSource, error) {
	src, err := parseSource(expr, vars, false)
	if err != nil {
		return MethodRequestSource{}, err
	}
	if src.kind == srcBody || src.kind == srcBodyPath {
		return MethodRequestSource{}, fmt.Errorf("unsupported mapping expression %q: the body is no source here", expr)
	}
	return MethodRequestSource{src: src}, nil
}

// Value is the expression's value for inv; ok is false when the request has none. A
// multi-value source is comma-joined into one field value, the form RFC 9110 §5.3 makes
// equal to repeated fields and AWS's own join of repeated values into one (AWS_REFERENCE
// section 3, payload 2.0 headers: "duplicates joined with commas"); what AWS sends for a
// multi-value source in a gateway response is not recorded.
func (s *MethodRequestSource) Value(inv *invoke.Invocation) (string, bool) {
	one, many, ok := s.src.values(inv, nil, nil)
	if many != nil {
		return strings.Join(many, ","), ok
	}
	return one, ok
}
