package integration

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
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
	keys := make([]string, 0, len(ts))
	for k := range ts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
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

// mediaType returns the media type of a Content-Type or Accept entry: lowercased, without
// parameters or spaces.
func mediaType(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if 'A' <= v[i] && v[i] <= 'Z' {
			return strings.ToLower(v)
		}
	}
	return v
}

const jsonType = "application/json"

// forRequest picks the request template for a Content-Type: its media type, and
// application/json when the request has none (AWS's documented default).
func (ts templates) forRequest(contentType string) (*mapping.Template, bool) {
	mt := jsonType
	if contentType != "" {
		mt = mediaType(contentType)
	}
	t, ok := ts.byType[mt]
	return t, ok
}

// forResponse picks the response template for an Accept header: the first listed media type
// that has a template, else application/json, else the first by name. The result's content
// type becomes the response's Content-Type.
func (ts templates) forResponse(accept string) (*mapping.Template, string) {
	if len(ts.byType) == 0 {
		return nil, ""
	}
	for accept != "" {
		var entry string
		entry, accept, _ = strings.Cut(accept, ",")
		mt := mediaType(entry)
		if t, ok := ts.byType[mt]; ok {
			return t, mt
		}
	}
	if t, ok := ts.byType[jsonType]; ok {
		return t, jsonType
	}
	return ts.byType[ts.first], ts.first
}

// integrationResponse is one IntegrationResponse compiled.
type integrationResponse struct {
	pattern   *regexp.Regexp // nil for the default response (no selectionPattern)
	status    int
	headers   []responseMapping
	templates templates
}

// responses are an integration's responses in selection order.
type responses struct {
	patterned []*integrationResponse // by status code key, for a stable choice
	def       *integrationResponse
}

// compileResponses compiles integrationResponses. selectionPattern is a Java regular
// expression matched against the whole status code; RE2 accepts the subset these use.
func compileResponses(irs map[string]*apigateway.IntegrationResponse, vars map[string]string) (responses, error) {
	keys := make([]string, 0, len(irs))
	for k := range irs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out responses
	for _, k := range keys {
		ir := irs[k]
		if ir == nil {
			continue
		}
		status, err := strconv.Atoi(ir.StatusCode)
		if err != nil || status < 100 || status > 599 {
			return responses{}, fmt.Errorf("integration response %q: bad statusCode %q", k, ir.StatusCode)
		}
		c := &integrationResponse{status: status}
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

// selectResponse picks the integration response for a backend status code: the first whose
// selectionPattern matches the code as a whole, else the default. With neither, AWS fails the
// request with 500 ("Execution failed due to configuration error: No match for output mapping
// and no default output mapping specified for Endpoint Response").
func (rs responses) selectResponse(status int) (*integrationResponse, error) {
	if len(rs.patterned) > 0 {
		var buf [8]byte
		code := strconv.AppendInt(buf[:0], int64(status), 10)
		for _, r := range rs.patterned {
			if r.pattern.Match(code) {
				return r, nil
			}
		}
	}
	if rs.def != nil {
		return rs.def, nil
	}
	return nil, invoke.Wrap(apigateway.ResponseAPIConfigurationError, "Internal server error",
		fmt.Errorf("no match for output mapping and no default output mapping specified for endpoint response status %d", status))
}

// methodResponse builds the method response from the selected integration response: its
// status, its mapped headers, and its template for the client's Accept (rendered over the
// backend payload), or the payload itself when it has none.
func (r *integrationResponse) methodResponse(inv *invoke.Invocation, respHeader http.Header, payload []byte) (*invoke.Response, error) {
	h := make(http.Header, len(r.headers)+1)
	for _, m := range r.headers {
		one, many, ok := m.src.values(inv, respHeader, payload)
		if !ok {
			continue
		}
		if many != nil {
			h[m.name] = append([]string(nil), many...)
		} else {
			h[m.name] = []string{one}
		}
	}
	body := payload
	contentType := jsonType
	accept, _ := inv.Request.HeaderValue("Accept")
	if t, ct := r.templates.forResponse(accept); t != nil {
		var err error
		if body, err = t.Render(inv, payload); err != nil {
			return nil, invoke.Wrap(apigateway.ResponseDefault5XX, "Internal server error", fmt.Errorf("render response template: %w", err))
		}
		contentType = ct
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = []string{contentType}
	}
	return &invoke.Response{StatusCode: r.status, Header: h, Body: body}, nil
}
