package apigateway

import "encoding/json"

// integrationResponseFields is IntegrationResponse without its JSON methods.
type integrationResponseFields IntegrationResponse

// integrationResponseWire is IntegrationResponse as it is written and read: selectionPattern
// present whenever it was given, "" included. AWS answers a selectionPattern of "" it was
// given (localstack test_apigateway_api.snapshot.json, test_lifecycle_integration_response
// "put-integration-response"; AWS's developer guide's put-integration-response examples) and
// none when none was given.
type integrationResponseWire struct {
	integrationResponseFields
	SelectionPattern *string `json:"selectionPattern,omitempty"`
}

// MarshalJSON writes selectionPattern when it is set or was given.
func (ir IntegrationResponse) MarshalJSON() ([]byte, error) {
	w := integrationResponseWire{integrationResponseFields: integrationResponseFields(ir)}
	if ir.SelectionPattern != "" || ir.SelectionPatternGiven {
		w.SelectionPattern = &ir.SelectionPattern
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads an integration response, noting whether selectionPattern was present.
func (ir *IntegrationResponse) UnmarshalJSON(b []byte) error {
	var w integrationResponseWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*ir = IntegrationResponse(w.integrationResponseFields)
	ir.SelectionPattern, ir.SelectionPatternGiven = "", w.SelectionPattern != nil
	if w.SelectionPattern != nil {
		ir.SelectionPattern = *w.SelectionPattern
	}
	return nil
}
