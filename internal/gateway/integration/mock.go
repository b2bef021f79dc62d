package integration

import (
	"context"
	"encoding/json"
	"errors"
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
	// statusByType is the statusCode each request template declares, parsed when the stage
	// compiles; an entry with err set fails requests with 500, as AWS does for a template
	// it cannot read a statusCode from.
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
	if m.responses, err = compileResponses(in.IntegrationResponses, c.StageVariables); err != nil {
		return nil, err
	}
	m.statusByType = make(map[*mapping.Template]mockStatus, len(m.reqTmpl.byType))
	for _, t := range m.reqTmpl.byType {
		code, err := parseMockStatus(t.Text())
		m.statusByType[t] = mockStatus{code: code, err: err}
	}
	return m, nil
}

// parseMockStatus reads the statusCode of a MOCK request template such as
// {"statusCode": 200}. Until the VTL engine lands the template must be literal JSON.
func parseMockStatus(text string) (int, error) {
	var v struct {
		StatusCode *json.Number `json:"statusCode"`
	}
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return 0, fmt.Errorf("parse mock request template: %w", err)
	}
	if v.StatusCode == nil {
		return 0, errors.New("parse mock request template: no statusCode")
	}
	n, err := v.StatusCode.Int64()
	if err != nil || n < 100 || n > 599 {
		return 0, fmt.Errorf("parse mock request template: bad statusCode %s", v.StatusCode.String())
	}
	return int(n), nil
}

// Invoke implements invoke.Handler.
func (m *mockIntegration) Invoke(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
	status := 200 // no template: MOCK answers 200
	t, ok := m.reqTmpl.forRequest(contentType(inv))
	switch {
	case ok:
		st := m.statusByType[t]
		if st.err != nil {
			return nil, invoke.Wrap(apigateway.ResponseAPIConfigurationError, "Internal server error", st.err)
		}
		status = st.code
	case !passthroughAllowed(m.passthrough, m.reqTmpl):
		return nil, invoke.Errorf(apigateway.ResponseUnsupportedMediaType, "Unsupported Media Type")
	}
	ir, err := m.responses.selectResponse(status)
	if err != nil {
		return nil, err
	}
	resp, err := ir.methodResponse(inv, nil, nil)
	if err != nil {
		return nil, err
	}
	return resp, nil
}
