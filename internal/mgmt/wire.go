package mgmt

import (
	"encoding/json"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// listOutput is the shape of AWS's paginated list outputs ({"item": [...], "position": ...}).
// AWS's wire name for the items is "item" (the service model's locationName), which the
// SDKs map to Items.
type listOutput[T any] struct {
	Items    []T    `json:"item"`
	Position string `json:"position,omitempty"`
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// invalidPatch is AWS's message for a patch operation on a path the resource does not
// support.
func invalidPatch(op awsjson.PatchOperation) string {
	return "Invalid patch path '" + op.Path + "' specified for op '" + op.Op + "'."
}

// joinProblems joins validation problems into one message, as AWS concatenates them.
func joinProblems(problems []string) string { return strings.Join(problems, " ") }

// badRequestProblems returns a BadRequestException listing every problem, nil for none.
func badRequestProblems(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return awsjson.BadRequest("%s", joinProblems(problems))
}

// checkInput returns AWS's ValidationException for the given problems, nil for none;
// empty problems are skipped, so that checks returning "" for "fine" can be listed inline.
func checkInput(problems ...string) error {
	var ps []string
	for _, p := range problems {
		if p != "" {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return awsjson.Validation(ps)
}

// statusCodeProblem returns the ValidationException problem of a status code outside the
// service model's StatusCode pattern [1-5]\d\d, or "" (test_integration_response_invalid_statuscode).
func statusCodeProblem(code string) string {
	if apigateway.ValidStatusCode(code) {
		return ""
	}
	return "Value '" + code + "' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"
}

// deleteEntry deletes key from *m; a map left empty becomes nil, so that it is absent on
// the wire, as AWS shows an empty collection.
func deleteEntry[K comparable, V any](m *map[K]V, key K) {
	delete(*m, key)
	if len(*m) == 0 {
		*m = nil
	}
}
