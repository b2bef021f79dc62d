// Package mapping holds the mapping templates of integration requests and responses: parsed
// once when a stage compiles, rendered per request.
//
// The VTL engine (internal/vtl) is not wired in yet: until it is, a Template renders its text
// as written, which is exactly right for the static JSON most MOCK integrations use
// ({"statusCode": 200}) and for static response bodies, and wrong for templates that use
// VTL directives or $input. Render is the seam the engine replaces.
package mapping

import (
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// Template is one parsed mapping template. A Template is immutable and safe for concurrent
// use.
type Template struct {
	text string
	body []byte // text as bytes, so rendering a literal template does not allocate
}

// Parse parses a mapping template.
func Parse(text string) (*Template, error) {
	return &Template{text: text, body: []byte(text)}, nil
}

// Text returns the template's source.
func (t *Template) Text() string { return t.text }

// Render renders the template for inv with the given payload ($input.body). The result must
// not be modified.
func (t *Template) Render(inv *invoke.Invocation, payload []byte) ([]byte, error) {
	_, _ = inv, payload // used once the VTL engine lands
	return t.body, nil
}
