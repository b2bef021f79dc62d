package apigateway

import (
	"encoding/json"
	"testing"
)

// An empty template is written as null and read back as empty; selectionPattern is written
// when it was given, "" included, and not otherwise.
func TestIntegrationResponseJSON(t *testing.T) {
	cases := []struct{ in, out string }{
		{`{"statusCode":"200"}`, `{"statusCode":"200"}`},
		{`{"statusCode":"200","selectionPattern":""}`, `{"statusCode":"200","selectionPattern":""}`},
		{`{"statusCode":"200","selectionPattern":"4\\d{2}"}`, `{"statusCode":"200","selectionPattern":"4\\d{2}"}`},
		{`{"statusCode":"200","responseTemplates":{"b/b":"x","a/a":null,"c/c":""}}`, `{"statusCode":"200","responseTemplates":{"a/a":null,"b/b":"x","c/c":null}}`},
		{`{"statusCode":"200","responseTemplates":{}}`, `{"statusCode":"200","responseTemplates":{}}`},
	}
	for _, c := range cases {
		var ir IntegrationResponse
		if err := json.Unmarshal([]byte(c.in), &ir); err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		b, err := json.Marshal(&ir)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.out {
			t.Errorf("%s: wrote %s; want %s", c.in, b, c.out)
		}
		// A value (not a pointer) is written the same.
		if b2, _ := json.Marshal(ir); string(b2) != c.out {
			t.Errorf("%s: value wrote %s; want %s", c.in, b2, c.out)
		}
	}
	ig := Integration{Type: IntegrationMock, RequestTemplates: Templates{"application/json": ""}, CacheKeyParameters: []string{}}
	b, _ := json.Marshal(ig)
	if want := `{"type":"MOCK","requestTemplates":{"application/json":null},"timeoutInMillis":0,"cacheKeyParameters":[]}`; string(b) != want {
		t.Errorf("integration wrote %s; want %s", b, want)
	}
}
