package mgmt

import (
	"encoding/json"
	"strings"
	"testing"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
)

// FuzzModelSchema feeds arbitrary schema text to what CreateModel, GetModel?flatten and
// GetModelTemplate run on it: none may panic, parseOrdered accepts exactly valid JSON, and a
// template always starts with AWS's #set line.
func FuzzModelSchema(f *testing.F) {
	for _, s := range []string{
		`{"type":"object"}`, calcSchema, `{"type":"array","items":{"type":"string"}}`, `[]`, `"x"`, ``, `{"a":`,
		`{"properties":{"x":{"$ref":"https://apigateway.amazonaws.com/restapis/abc/models/Other"}}}`,
		`{"properties":{"\u0000keys":{}}}`, `{"type":["null","object"],"properties":{"a b":{"type":"integer"}}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, schema string) {
		doc := &model.RestAPIDocument{RestAPI: model.RestAPI{ID: "abc"}, Models: model.DefaultModels(func() string { return "id0000" })}
		doc.Models["Other"] = &model.Model{Name: "Other", Schema: `{"type":"object","properties":{"y":{"type":"number"}}}`}
		_ = checkModelSchema(doc, "Fuzz", schema)
		v, err := parseOrdered(schema)
		if (err == nil) != json.Valid([]byte(schema)) {
			t.Fatalf("parseOrdered(%q) error %v; json.Valid %v", schema, err, json.Valid([]byte(schema)))
		}
		m := &model.Model{Name: "Fuzz", Schema: schema}
		flat := flattenSchema(doc, m)
		if err == nil {
			if _, err := parseOrdered(flat); err != nil {
				t.Fatalf("flattenSchema(%q) = %q, not JSON: %v", schema, flat, err)
			}
			if tmpl := modelTemplate(v); !strings.HasPrefix(tmpl, "#set($inputRoot = $input.path('$'))\n") {
				t.Fatalf("modelTemplate(%q) = %q", schema, tmpl)
			}
		}
	})
}
