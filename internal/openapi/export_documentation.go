package openapi

import (
	"cmp"
	"slices"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// Documentation parts are exported into the definition: each part's properties (a JSON
// object) are merged into the object its location names, a part at an exact method or
// status code over one at "*" (AWS's developer guide, "Documenting REST APIs": a part
// with method or statusCode "*" applies to every method or status code it matches unless
// a more specific part exists).

// docIndex holds a documentation version's parts by location.
type docIndex struct {
	parts []*apigateway.DocumentationPart
	byLoc map[apigateway.DocumentationPartLocation]*object
}

func newDocIndex(parts []*apigateway.DocumentationPart) *docIndex {
	d := &docIndex{byLoc: map[apigateway.DocumentationPartLocation]*object{}}
	for _, p := range parts {
		if p == nil {
			continue
		}
		v, err := parseOrdered(p.Properties)
		o, ok := v.(*object)
		if err != nil || !ok {
			continue
		}
		d.parts = append(d.parts, p)
		d.byLoc[p.Location] = o
	}
	return d
}

// lookup returns the properties of the most specific part for loc: the exact location,
// then with method "*", then with statusCode "*", then both.
func (d *docIndex) lookup(loc apigateway.DocumentationPartLocation) *object {
	if len(d.byLoc) == 0 {
		return nil
	}
	tries := []apigateway.DocumentationPartLocation{loc}
	if loc.Method != "" {
		l := loc
		l.Method = "*"
		tries = append(tries, l)
	}
	if loc.StatusCode != "" {
		l := loc
		l.StatusCode = "*"
		tries = append(tries, l)
		if loc.Method != "" {
			l.Method = "*"
			tries = append(tries, l)
		}
	}
	for _, l := range tries {
		if o := d.byLoc[l]; o != nil {
			return o
		}
	}
	return nil
}

// merge sets props' entries on target, replacing what is there.
func merge(target, props *object) {
	if props == nil {
		return
	}
	for _, k := range props.keys {
		target.set(k, props.vals[k])
	}
}

// applyAPI merges the API part: its "info" object and every other property but the
// definition-level "tags" and "externalDocs" into info, those two into the root.
func (d *docIndex) applyAPI(root *object) {
	props := d.lookup(apigateway.DocumentationPartLocation{Type: "API"})
	if props == nil {
		return
	}
	info := root.child("info")
	for _, k := range props.keys {
		v := props.vals[k]
		switch k {
		case "info":
			if o, ok := v.(*object); ok {
				merge(info, o)
			}
		case "tags", "externalDocs":
			root.set(k, v)
		default:
			info.set(k, v)
		}
	}
}

// applyResource merges a RESOURCE part into the path item (OpenAPI 3 only: Swagger's
// path items take no documentation fields).
func (d *docIndex) applyResource(item *object, path string, oas3 bool) {
	if !oas3 {
		return
	}
	merge(item, d.lookup(apigateway.DocumentationPartLocation{Type: "RESOURCE", Path: path}))
}

func (d *docIndex) applyMethod(op *object, path, method string) {
	merge(op, d.lookup(apigateway.DocumentationPartLocation{Type: "METHOD", Path: path, Method: method}))
}

// parameterTypes are the documentation types of parameters by their OpenAPI location.
var parameterTypes = map[string]string{"path": "PATH_PARAMETER", "query": "QUERY_PARAMETER", "header": "REQUEST_HEADER"}

func (d *docIndex) applyParameter(p *object, in, path, method, name string) {
	merge(p, d.lookup(apigateway.DocumentationPartLocation{Type: parameterTypes[in], Path: path, Method: method, Name: name}))
}

func (d *docIndex) applyRequestBody(body *object, path, method string) {
	merge(body, d.lookup(apigateway.DocumentationPartLocation{Type: "REQUEST_BODY", Path: path, Method: method}))
}

func (d *docIndex) applyResponse(resp *object, path, method, status string) {
	merge(resp, d.lookup(apigateway.DocumentationPartLocation{Type: "RESPONSE", Path: path, Method: method, StatusCode: status}))
}

func (d *docIndex) applyResponseHeader(h *object, path, method, status, name string) {
	merge(h, d.lookup(apigateway.DocumentationPartLocation{Type: "RESPONSE_HEADER", Path: path, Method: method, StatusCode: status, Name: name}))
}

func (d *docIndex) applyModel(schema *object, name string) {
	merge(schema, d.lookup(apigateway.DocumentationPartLocation{Type: "MODEL", Name: name}))
}

func (d *docIndex) applyAuthorizer(scheme *object, name string) {
	merge(scheme, d.lookup(apigateway.DocumentationPartLocation{Type: "AUTHORIZER", Name: name}))
}

// extension is x-amazon-apigateway-documentation: the version and its parts, each with
// its location (without defaults' noise: path "/" and "*" are written as stored) and
// properties, ordered by location.
func (d *docIndex) extension(version string) *object {
	parts := slices.Clone(d.parts)
	slices.SortFunc(parts, func(a, b *apigateway.DocumentationPart) int {
		return cmp.Or(
			cmp.Compare(a.Location.Type, b.Location.Type),
			cmp.Compare(a.Location.Path, b.Location.Path),
			cmp.Compare(a.Location.Method, b.Location.Method),
			cmp.Compare(a.Location.StatusCode, b.Location.StatusCode),
			cmp.Compare(a.Location.Name, b.Location.Name),
		)
	})
	list := make([]any, 0, len(parts))
	for _, p := range parts {
		loc := newObject().set("type", p.Location.Type)
		loc.setString("path", p.Location.Path)
		loc.setString("method", p.Location.Method)
		loc.setString("statusCode", p.Location.StatusCode)
		loc.setString("name", p.Location.Name)
		list = append(list, newObject().set("location", loc).set("properties", d.byLoc[p.Location]))
	}
	return newObject().set("version", version).set("documentationParts", list)
}
