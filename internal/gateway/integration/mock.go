package integration

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/gateway/mapping"
)

// mockIntegration is MOCK: no backend; the request template's statusCode selects the
// integration response, whose mapped headers and template make the answer.
type mockIntegration struct {
	passthrough string
	reqTmpl     templates
	// statusByType is the statusCode each literal request template declares, parsed when
	// the stage compiles; an entry with err set fails requests with 500, as AWS does for a
	// template it cannot read a statusCode from. A VTL template is rendered per request
	// and its output parsed then.
	statusByType map[*mapping.Template]mockStatus
	responses    responses
}

type mockStatus struct {
	code int
	err  error
}

// NewMock compiles a MOCK integration.
func NewMock(c Config) (invoke.Handler, error) {
	in := c.Integration
	m := &mockIntegration{passthrough: in.PassthroughBehavior}
	var err error
	if m.reqTmpl, err = compileTemplates(in.RequestTemplates); err != nil {
		return nil, err
	}
	if m.responses, err = compileResponses(in.IntegrationResponses, c.StageVariables, c.BinaryMediaTypes, invoke.RemappedMock); err != nil {
		return nil, err
	}
	m.statusByType = make(map[*mapping.Template]mockStatus, len(m.reqTmpl.byType))
	for _, t := range m.reqTmpl.byType {
		if t.Literal() {
			code, err := parseMockStatus([]byte(t.Text()))
			m.statusByType[t] = mockStatus{code: code, err: err}
		}
	}
	return m, nil
}

// Invoke implements invoke.Handler.
func (m *mockIntegration) Invoke(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
	status := 200 // no template: MOCK answers 200
	var ov mapping.Overrides
	t, ok := m.reqTmpl.forRequest(contentType(inv))
	switch {
	case ok:
		st, literal := m.statusByType[t]
		if !literal {
			out, err := t.Render(inv, inv.Request.Body, &ov)
			if err != nil {
				return nil, invoke.ConfigurationError.Because(fmt.Errorf("render request template: %w", err))
			}
			st.code, st.err = parseMockStatus(out)
		}
		if st.err != nil {
			return nil, invoke.ConfigurationError.Because(st.err)
		}
		status = st.code
	case !passthroughAllowed(m.passthrough, m.reqTmpl):
		return nil, invoke.Errorf(apigateway.ResponseUnsupportedMediaType, "Unsupported Media Type")
	}
	ir, err := m.responses.selectResponse(status)
	if err != nil {
		return nil, err
	}
	// What the request template overrode reaches the response: its responseOverride status
	// and headers apply, and the response template reads both override maps.
	resp, err := ir.methodResponse(inv, nil, nil, &ov)
	if err != nil {
		return nil, err
	}
	return resp, nil
}
