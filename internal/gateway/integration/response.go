package integration

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/mapping"
)

// templates are the mapping templates of a request or response, by content type.
type templates struct {
	byType map[string]*mapping.Template
	first  string // the alphabetically first content type: the last-resort choice
}

func compileTemplates(ts map[string]string) (templates, error) {
	if len(ts) == 0 {
		return templates{}, nil
	}
	out := templates{byType: make(map[string]*mapping.Template, len(ts))}
	keys := slices.Sorted(maps.Keys(ts))
	for _, k := range keys {
		t, err := mapping.Parse(ts[k])
		if err != nil {
			return templates{}, fmt.Errorf("compile template %q: %w", k, err)
		}
		out.byType[strings.ToLower(k)] = t
	}
	out.first = strings.ToLower(keys[0])
	return out, nil
}

const jsonType = "application/json"

// forRequest picks the request template for a Content-Type: its media type, and
// application/json when the request has none (AWS's documented default).
func (ts templates) forRequest(contentType string) (*mapping.Template, bool) {
	mt := jsonType
	if contentType != "" {
		mt = invoke.MediaType(contentType)
	}
	t, ok := ts.byType[mt]
	return t, ok
}

// forResponse picks the response template for an Accept header: the first listed media type
// that has a template, else application/json, else the first by name. The result's content
// type becomes the response's Content-Type.
func (ts templates) forResponse(accept string) (*mapping.Template, string) {
	t, ct, _ := invoke.Negotiate(accept, ts.byType, ts.first)
	return t, ct
}

// integrationResponse is one IntegrationResponse compiled.
type integrationResponse struct {
	pattern   *regexp.Regexp // nil for the default response (no selectionPattern)
	status    int
	headers   []responseMapping
	templates templates
	// contentHandling is the response's CONVERT_TO_TEXT or CONVERT_TO_BINARY, or ""; with
	// the API's binaryMediaTypes it picks the payload's conversion (contenthandling.go).
	contentHandling string
	binary          mediaTypes
	// remap is the rule of the mapped headers sent as x-amzn-Remapped-*: RemappedMapped
	// (HTTP, AWS), RemappedMock (MOCK).
	remap invoke.HeaderRule
}

// responses are an integration's responses in selection order.
type responses struct {
	patterned []*integrationResponse // by status code key, for a stable choice
	def       *integrationResponse
}

// compileResponses compiles integrationResponses. selectionPattern is a Java regular
// expression matched against the whole status code; RE2 accepts the subset these use.
// binary are the API's binaryMediaTypes (contenthandling.go); remap is the rule of the
// mapped headers sent as x-amzn-Remapped-*: RemappedMapped (HTTP, AWS), RemappedMock (MOCK).
func compileResponses(irs map[string]*apigateway.IntegrationResponse, vars map[string]string, binary []string, remap invoke.HeaderRule) (responses, error) {
	keys := slices.Sorted(maps.Keys(irs))
	var out responses
	for _, k := range keys {
		ir := irs[k]
		if ir == nil {
			continue
		}
		status, err := strconv.Atoi(ir.StatusCode)
		if err != nil || !apigateway.IsStatusCode(status) {
			return responses{}, fmt.Errorf("integration response %q: bad statusCode %q", k, ir.StatusCode)
		}
		c := &integrationResponse{status: status, contentHandling: ir.ContentHandling, binary: binary, remap: remap}
		if c.headers, err = compileResponseParameters(ir.ResponseParameters, vars); err != nil {
			return responses{}, fmt.Errorf("integration response %q: %w", k, err)
		}
		if c.templates, err = compileTemplates(ir.ResponseTemplates); err != nil {
			return responses{}, fmt.Errorf("integration response %q: %w", k, err)
		}
		if ir.SelectionPattern == "" {
			if out.def == nil {
				out.def = c
			}
			continue
		}
		if c.pattern, err = regexp.Compile(`^(?:` + ir.SelectionPattern + `)$`); err != nil {
			return responses{}, fmt.Errorf("integration response %q: selectionPattern: %w", k, err)
		}
		out.patterned = append(out.patterned, c)
	}
	return out, nil
}

// selectResponse picks the integration response for a backend status code (HTTP, AWS
// service and MOCK integrations).
func (rs responses) selectResponse(status int) (*integrationResponse, error) {
	var buf [8]byte
	return rs.selectFor(strconv.AppendInt(buf[:0], int64(status), 10))
}

// selectError picks the integration response for a Lambda function's errorMessage, "" for
// a success (IntegrationResponse.selectionPattern: "if the success response returns nothing
// and the error response returns some string, you could use the .+ regex to match error
// response").
func (rs responses) selectError(message string) (*integrationResponse, error) {
	return rs.selectFor([]byte(message))
}

// selectFor picks the integration response for key (a status code, or an error message):
// the first whose selectionPattern matches key as a whole, else the default. With neither,
// AWS fails the request with 500 ("Execution failed due to configuration error: No match
// for output mapping and no default output mapping specified for Endpoint Response").
func (rs responses) selectFor(key []byte) (*integrationResponse, error) {
	for _, r := range rs.patterned {
		if r.pattern.Match(key) {
			return r, nil
		}
	}
	if rs.def != nil {
		return rs.def, nil
	}
	return nil, invoke.ConfigurationError.Because(
		fmt.Errorf("no match for output mapping and no default output mapping specified for endpoint response %q", key))
}

// methodResponse builds the method response from the selected integration response: its
// status, its mapped headers, and its template for the client's Accept (rendered over the
// backend payload), or the payload itself when it has none. prior are the overrides the
// request template set (nil for none): the response template reads them, and the
// responseOverride status and headers in force after it (the request template's, changed by
// the response template) replace the integration response's.
func (r *integrationResponse) methodResponse(inv *invoke.Invocation, respHeader http.Header, payload []byte, prior *mapping.Overrides) (*invoke.Response, error) {
	h := make(http.Header, len(r.headers)+1)
	mapped := mappedBody{raw: payload}
	for _, m := range r.headers {
		one, many, ok := m.src.values(inv, respHeader, &mapped)
		if !ok {
			continue
		}
		// The name as the mapping spells it ("TE" stays TE), and x-amzn-Remapped-{it} for
		// the headers the gateway sends itself or reserves (recorded:
		// TestApiGatewayHeaderRemapping, full-integration).
		name := m.as
		switch rules := invoke.HeaderRules(m.name); {
		case rules&invoke.DroppedFromAnswer != 0:
			continue
		case rules&r.remap != 0:
			name = invoke.RemappedName(m.as)
		case m.name == "Content-Type":
			name = m.name // the default below looks it up
		}
		if many != nil {
			h[name] = append([]string(nil), many...)
		} else {
			h[name] = []string{one}
		}
	}
	accept, _ := inv.Request.HeaderValue("Accept")
	payload, err := r.convert(accept, respHeader, payload)
	if err != nil {
		return nil, err
	}
	body := payload
	status := r.status
	contentType := jsonType
	var ov mapping.Overrides
	if prior != nil {
		ov = *prior
	}
	if t, ct := r.templates.forResponse(accept); t != nil {
		if err := templateInput(payload); err != nil {
			return nil, contentError(err)
		}
		if body, err = t.Render(inv, payload, &ov); err != nil {
			// AWS: "Execution failed due to configuration error: Unable to transform response".
			return nil, invoke.ConfigurationError.Because(fmt.Errorf("render response template: %w", err))
		}
		contentType = ct
	}
	if ov.Status != 0 {
		status = ov.Status
	}
	for k, v := range ov.ResponseHeader {
		setOverrideHeader(h, k, v)
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = []string{contentType}
	}
	cleanHeader(h)
	return &invoke.Response{StatusCode: status, Header: h, Body: body}, nil
}

// setOverrideHeader sets a header a template's $context.responseOverride.header names,
// replacing a mapped one of the same name in any case. The name keeps the template's
// casing (Cache_Hint stays Cache_Hint, as AWS sends it), but for the headers the gateway
// and the server read under their canonical names: Content-Type, and every header of the
// table (invoke.headerRules), among them the framing ones. A "content-length" or
// "transfer-encoding" kept as spelled would be written beside the edge's own
// Content-Length, and the answer's framing would be ambiguous.
func setOverrideHeader(h http.Header, name, value string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
	if k := http.CanonicalHeaderKey(name); k == "Content-Type" || invoke.HeaderRules(k) != 0 {
		name = k
	}
	h[name] = []string{value}
}

// cleanHeader makes a response's headers safe to write, whatever a template, a mapped
// backend body or a function put in them: a name that is not an HTTP token is dropped, and
// CR and LF in a value become spaces (what net/http's server does when it writes them), so
// that no value can end the header block or start another field. It changes h in place,
// copying a value list before changing it (lists may be shared with the backend's).
func cleanHeader(h http.Header) {
	for k, vs := range h {
		if !headerName(k) {
			delete(h, k)
			continue
		}
		copied := false
		for i, v := range vs {
			if strings.IndexByte(v, '\r') < 0 && strings.IndexByte(v, '\n') < 0 {
				continue
			}
			if !copied {
				vs = append([]string(nil), vs...)
				h[k] = vs
				copied = true
			}
			vs[i] = crlfToSpace.Replace(v)
		}
	}
}

var crlfToSpace = strings.NewReplacer("\r", " ", "\n", " ")

// headerName reports whether k is a non-empty HTTP token (RFC 9110 section 5.6.2).
func headerName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}
