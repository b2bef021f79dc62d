package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/integration"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// gatewayResponse is one gateway response type resolved for a stage: the customized response
// for the type, else the customized DEFAULT_4XX/DEFAULT_5XX of its class, else AWS's default.
type gatewayResponse struct {
	status    int
	errorType string // x-amzn-ErrorType
	headers   []grHeader
	templates map[string]*textTemplate // by lowercased content type
	first     string                   // the alphabetically first content type
	// customStatus says the stage customized status (on the type or on its class's
	// DEFAULT_4XX/5XX): it then wins over an invoke.Error's own Status.
	customStatus bool
	// defaultBody says the templates are AWS's default: an invoke.Error's MessageKey then
	// names the message's member.
	defaultBody bool
}

// grHeader is one gatewayresponse.header.X mapping.
type grHeader struct {
	name string
	src  integration.MethodRequestSource
}

// gatewayResponses are every type's gateway response for one stage (or AWS's defaults).
type gatewayResponses struct {
	byType map[apigateway.GatewayResponseType]*gatewayResponse
}

// defaultTemplate5XX is what AWS's uncustomized 5XX gateway responses render: note the
// space after the colon, unlike the 4XX ones ({"message":"Missing Authentication Token"}).
// Widely recorded: {"message": "Internal server error"}, {"message": "Endpoint request timed
// out"}.
const defaultTemplate5XX = `{"message": $context.error.messageString}`

// errorTypeDefault5XX is the x-amzn-ErrorType of failures that are not a typed gateway
// error ("Internal server error").
const errorTypeDefault5XX = "InternalServerErrorException"

// minFinalStatus is the least status a request is answered with, by an integration or a
// gateway response. AWS's statusCode patterns ([1-5]\d\d) take 1xx, but a 1xx is no final
// status: an HTTP/1.1 server sends it as an interim response and a final one must follow
// (RFC 9110 §15.2), so 100-199 would reach the client as an interim response then a 200, or
// as a 101 switching protocols. What AWS sends is not recorded. An integration's answer
// with one is a configuration error (ServeHTTP); a gateway response, which is the answer to
// errors, keeps its type's default status instead, logged (compileGatewayResponses).
const minFinalStatus = 200

// compileGatewayResponses resolves all 21 types against the customized ones. log (nil:
// none) hears of customizations the data plane does not apply.
func compileGatewayResponses(custom map[apigateway.GatewayResponseType]*apigateway.GatewayResponse, vars map[string]string, log *slog.Logger) (*gatewayResponses, error) {
	out := &gatewayResponses{byType: make(map[apigateway.GatewayResponseType]*gatewayResponse, 21)}
	var errs []string
	for _, info := range apigateway.GatewayResponseTypes() {
		is5XX := !info.Is4XX()
		base := custom[info.Type]
		if base == nil {
			if is5XX {
				base = custom[apigateway.ResponseDefault5XX]
			} else {
				base = custom[apigateway.ResponseDefault4XX]
			}
		}
		gr := &gatewayResponse{status: info.Status, errorType: info.ErrorType, defaultBody: true}
		switch {
		case info.Type == apigateway.ResponseDefault5XX:
			gr.status, gr.errorType = 500, errorTypeDefault5XX
		case info.Type == apigateway.ResponseDefault4XX:
			gr.status, gr.errorType = 400, "BadRequestException"
		}
		tmpls := map[string]string{"application/json": apigateway.DefaultResponseTemplate}
		if is5XX {
			tmpls = map[string]string{"application/json": defaultTemplate5XX}
		}
		if base != nil {
			if base.StatusCode != "" {
				n, _ := strconv.Atoi(base.StatusCode)
				switch {
				case !apigateway.ValidStatusCode(base.StatusCode):
					errs = append(errs, fmt.Sprintf("gateway response %s: bad statusCode %q", info.Type, base.StatusCode))
				case n < minFinalStatus:
					if log != nil {
						log.Warn("gateway response statusCode is informational: the response keeps its default status",
							"type", string(info.Type), "statusCode", base.StatusCode, "status", gr.status)
					}
				default:
					gr.status, gr.customStatus = n, true
				}
			}
			if len(base.ResponseTemplates) > 0 {
				tmpls, gr.defaultBody = base.ResponseTemplates, false
			} else {
				// A customization without templates keeps AWS's default template.
				tmpls = map[string]string{"application/json": apigateway.DefaultResponseTemplate}
			}
			hs, err := compileGRHeaders(base.ResponseParameters, vars)
			if err != nil {
				errs = append(errs, fmt.Sprintf("gateway response %s: %v", info.Type, err))
			}
			gr.headers = hs
		}
		gr.templates = make(map[string]*textTemplate, len(tmpls))
		for k, t := range tmpls {
			gr.templates[strings.ToLower(k)] = parseTextTemplate(t, vars)
		}
		gr.first = slices.Min(slices.Collect(maps.Keys(gr.templates)))
		out.byType[info.Type] = gr
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("compile gateway responses: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

// compileGRHeaders compiles a gateway response's responseParameters into the headers it
// sets. The targets are gatewayresponse.{header|path|querystring}.X ([A]
// x-amazon-apigateway-gateway-responses.responseParameters: "param-position can be header,
// path, or querystring"; PutGatewayResponse takes all three), but a gateway response is a
// response: only its headers reach the client, so path and querystring targets are
// accepted and have no effect.
func compileGRHeaders(params map[string]string, vars map[string]string) ([]grHeader, error) {
	keys := slices.Sorted(maps.Keys(params))
	var out []grHeader
	for _, k := range keys {
		name, ok := strings.CutPrefix(k, "gatewayresponse.header.")
		if !ok || name == "" {
			if ignoredGRTarget(k) {
				continue
			}
			return nil, fmt.Errorf("responseParameters[%q]: unsupported target", k)
		}
		// The source: [A] "Parameter mapping source reference for REST APIs" (path,
		// querystring, multivaluequerystring, header, multivalueheader; stage and context
		// variables and static values).
		src, err := integration.ParseMethodRequestSource(params[k], vars)
		if err != nil {
			return nil, fmt.Errorf("responseParameters[%q]: %w", k, err)
		}
		out = append(out, grHeader{name: name, src: src})
	}
	return out, nil
}

// ignoredGRTarget reports whether k is a gatewayresponse.path.X or
// gatewayresponse.querystring.X target: accepted, with no effect on a response.
func ignoredGRTarget(k string) bool {
	for _, prefix := range []string{"gatewayresponse.path.", "gatewayresponse.querystring."} {
		if n, ok := strings.CutPrefix(k, prefix); ok && n != "" {
			return true
		}
	}
	return false
}

// get returns the response for t; an unknown type is rendered as DEFAULT_5XX.
func (g *gatewayResponses) get(t apigateway.GatewayResponseType) *gatewayResponse {
	if gr, ok := g.byType[t]; ok {
		return gr
	}
	return g.byType[apigateway.ResponseDefault5XX]
}

// writeError is the only place errors reach the wire. It renders err as the stage's gateway
// response for its type (grs is the stage's, or AWS's defaults when no stage is known).
// Anything that is not an *invoke.Error becomes DEFAULT_5XX "Internal server error", with
// the cause logged beside the request id.
func (s *Server) writeError(w http.ResponseWriter, grs *gatewayResponses, inv *invoke.Invocation, err error) {
	e, ok := invoke.AsError(err)
	if !ok {
		s.log.Error("request failed", "requestId", inv.RequestID, "apiId", inv.APIID, "stage", inv.Stage, "err", err)
		e = invoke.Internal.Because(err)
	} else if e.Err != nil {
		lvl := slog.LevelInfo
		if e.Type == apigateway.ResponseDefault5XX || e.Type == apigateway.ResponseAPIConfigurationError {
			lvl = slog.LevelWarn
		}
		s.log.Log(context.Background(), lvl, "gateway response", "requestId", inv.RequestID, "apiId", inv.APIID, "stage", inv.Stage, "type", string(e.Type), "err", e.Err)
	}
	gr := grs.get(e.Type)
	inv.Err = e

	h := w.Header()
	cl := standardHeaders(h, inv, false)
	if gr.errorType != "" {
		h["x-amzn-ErrorType"] = []string{gr.errorType}
	}
	for i := range gr.headers {
		p := &gr.headers[i]
		if v, ok := p.src.Value(inv); ok {
			h.Set(p.name, v)
		}
	}
	tmpl, ct := gr.template(inv)
	var body []byte
	if e.MessageKey != "" && gr.defaultBody {
		body = append(append(append(make([]byte, 0, 64+len(e.Message)), `{"`...), e.MessageKey...), `":`...)
		body = append(invoke.AppendJSONString(body, e.Message), '}')
	} else {
		body = tmpl.render(make([]byte, 0, 64), inv)
	}
	if _, set := h["Content-Type"]; !set {
		h["Content-Type"] = []string{ct}
	}
	cl[0] = strconv.Itoa(len(body))
	h["Content-Length"] = cl
	status := gr.status
	if e.Status != 0 && !gr.customStatus {
		status = e.Status
	}
	w.WriteHeader(status)
	if inv.HTTPMethod != http.MethodHead {
		_, _ = w.Write(body)
	}
	inv.Err = nil
}

// template picks the template for the client's Accept header: the first listed media type
// that has one, else application/json, else the first by name.
func (gr *gatewayResponse) template(inv *invoke.Invocation) (*textTemplate, string) {
	accept, _ := inv.Request.HeaderValue("Accept")
	t, ct, _ := invoke.Negotiate(accept, gr.templates, gr.first)
	return t, ct
}
