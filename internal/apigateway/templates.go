package apigateway

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
)

// Templates is a content type → mapping template map (an integration's requestTemplates, an
// integration response's responseTemplates). AWS keeps an empty template as null and answers
// it as null, whether it was put as "" or as null (localstack test_apigateway_api.snapshot.json,
// test_put_integration_response_templates "put-integration-response-template-none" and
// "-empty"; AWS's Lambda tutorial's put-integration-response with {"application/json": ""}).
// gatehouse keeps both as "" and writes "" as null.
type Templates map[string]string

// MarshalJSON writes the map with its keys sorted, as encoding/json writes maps, and an
// empty template as null.
func (t Templates) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(t)) {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		if t[k] == "" {
			b.WriteString("null")
			continue
		}
		v, err := json.Marshal(t[k])
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
