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

// FuzzIntegrationResponseJSON: whatever an integration response's JSON reads as, writing it
// and reading it back gives the same integration response.
func FuzzIntegrationResponseJSON(f *testing.F) {
	f.Add(`{"statusCode":"200","selectionPattern":"","responseTemplates":{"a/b":null}}`)
	f.Add(`{"statusCode":"400","selectionPattern":"4\\d{2}","responseParameters":{"method.response.header.X":"'x'"},"contentHandling":"CONVERT_TO_TEXT"}`)
	f.Add(`{"responseTemplates":{}}`)
	f.Fuzz(func(t *testing.T, in string) {
		var ir IntegrationResponse
		if json.Unmarshal([]byte(in), &ir) != nil {
			return
		}
		b, err := json.Marshal(ir)
		if err != nil {
			t.Fatalf("%q: marshal: %v", in, err)
		}
		var back IntegrationResponse
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q: wrote %s, unreadable: %v", in, b, err)
		}
		b2, _ := json.Marshal(back)
		if string(b) != string(b2) {
			t.Fatalf("%q: wrote %s, then %s", in, b, b2)
		}
	})
}
