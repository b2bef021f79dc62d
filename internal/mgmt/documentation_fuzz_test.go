package mgmt

import (
	"encoding/json"
	"testing"
)

// FuzzDocumentationImport: the import parser never panics, and every part it accepts has a
// canonical location (canonicalLocation leaves it as it is, with no problem) and properties
// that are a JSON object, so that a stored part is one CreateDocumentationPart could make.
func FuzzDocumentationImport(f *testing.F) {
	f.Add([]byte(importBody))
	f.Add([]byte(`{"x-amazon-apigateway-documentation":{"documentationParts":[{"location":{"type":"RESPONSE","statusCode":"200"},"properties":{}}]}}`))
	f.Add([]byte(`{"x-amazon-apigateway-documentation":{"documentationParts":[{"location":{"type":"METHOD","path":"pets","method":"G T"}},1,null]}}`))
	f.Add([]byte(`{"x-amazon-apigateway-documentation":null}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, _, err := parseDocumentationImport(body)
		if err != nil {
			return
		}
		for _, p := range parts {
			again, problems := canonicalLocation(p.Location)
			if len(problems) > 0 || again != p.Location {
				t.Fatalf("accepted location %+v is not canonical: %+v, %q", p.Location, again, problems)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(p.Properties), &m); err != nil || m == nil {
				t.Fatalf("accepted properties %q are not a JSON object: %v", p.Properties, err)
			}
		}
	})
}
