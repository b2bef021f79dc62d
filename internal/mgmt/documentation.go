package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// Documentation part operations. Parts live in the REST API document by id
// (RestAPIDocument.DocumentationParts), one part per location; deployments do not copy
// them (documentation versions do, documentation_version.go). Sources:
//   - [D] AWS's developer guide, "Documenting REST APIs" (the location table below) and
//     "Document an API using the API Gateway REST API" (the duplicate location message);
//   - [L] LocalStack's provider (the NotFound and patch messages);
//   - messages marked "not verified" are gatehouse's wording where no record was found.

var errDocPartNotFound = awsjson.NotFound("Invalid Documentation part identifier specified")

// msgDocPropertiesNotObject is the problem of properties that are not a JSON object. Not
// verified.
const msgDocPropertiesNotObject = "Invalid documentation part properties: must be a JSON object"

// locationRule is which of a location's fields a documentation part type takes ([D]
// DocumentationPartLocation): a field a type does not take is refused; path defaults to
// "/", method and statusCode to "*". The service model's DocumentationPartLocation.name is
// valid for AUTHORIZER, MODEL, PATH_PARAMETER, QUERY_PARAMETER, REQUEST_HEADER, REQUEST_BODY
// and RESPONSE_HEADER and "an invalid field for any other entity type". It is optional for
// REQUEST_BODY (the body's model): the API reference calls it required, but AWS's own
// documentation examples have REQUEST_BODY parts without one, so gatehouse accepts both.
type locationRule struct {
	path, method, statusCode bool
	// name: the type takes a name; nameRequired: it must have one.
	name, nameRequired bool
}

var locationRules = map[string]locationRule{
	"API":             {},
	"AUTHORIZER":      {name: true, nameRequired: true},
	"MODEL":           {name: true, nameRequired: true},
	"RESOURCE":        {path: true},
	"METHOD":          {path: true, method: true},
	"PATH_PARAMETER":  {path: true, method: true, name: true, nameRequired: true},
	"QUERY_PARAMETER": {path: true, method: true, name: true, nameRequired: true},
	"REQUEST_HEADER":  {path: true, method: true, name: true, nameRequired: true},
	"REQUEST_BODY":    {path: true, method: true, name: true},
	"RESPONSE":        {path: true, method: true, statusCode: true},
	"RESPONSE_HEADER": {path: true, method: true, statusCode: true, name: true, nameRequired: true},
	"RESPONSE_BODY":   {path: true, method: true, statusCode: true},
}

// docMethod is an HTTP method token as API Gateway's methods take them, or "*".
var docMethod = regexp.MustCompile(`^(?:\*|[A-Za-z]+)$`)

// canonicalLocation returns loc with its defaults filled in and its problems (the
// location's messages are not verified): a type outside the enum, a field the type does not
// take, a missing name, a path that does not start with "/", a bad method or status code.
func canonicalLocation(loc apigateway.DocumentationPartLocation) (apigateway.DocumentationPartLocation, []string) {
	rule, ok := locationRules[loc.Type]
	if !ok {
		return loc, []string{fmt.Sprintf("Invalid documentation part location type '%s'. Must be one of: [%s]", loc.Type, strings.Join(awsjson.ShapeOf("DocumentationPartType").Enum, ", "))}
	}
	var problems []string
	for _, f := range []struct {
		name, value string
		takes       bool
	}{
		{"path", loc.Path, rule.path},
		{"method", loc.Method, rule.method},
		{"statusCode", loc.StatusCode, rule.statusCode},
		{"name", loc.Name, rule.name},
	} {
		if f.value != "" && !f.takes {
			problems = append(problems, fmt.Sprintf("Invalid location: field '%s' is not valid for type '%s'.", f.name, loc.Type))
		}
	}
	if rule.nameRequired && strings.TrimSpace(loc.Name) == "" {
		problems = append(problems, fmt.Sprintf("Invalid location: field 'name' is required for type '%s'.", loc.Type))
	}
	if rule.path {
		if strings.TrimSpace(loc.Path) == "" {
			loc.Path = "/"
		} else if !strings.HasPrefix(loc.Path, "/") {
			problems = append(problems, fmt.Sprintf("Invalid location: path '%s' must start with '/'.", loc.Path))
		}
	}
	if rule.method {
		if strings.TrimSpace(loc.Method) == "" {
			loc.Method = "*"
		} else if !docMethod.MatchString(loc.Method) {
			problems = append(problems, fmt.Sprintf("Invalid location: method '%s' is not an HTTP method.", loc.Method))
		}
	}
	if rule.statusCode {
		// The service model's DocumentationPartLocationStatusCode; blank means the default "*".
		if !awsjson.ShapeOf("DocumentationPartLocationStatusCode").Matches(loc.StatusCode) {
			problems = append(problems, fmt.Sprintf("Invalid location: statusCode '%s' must be a status code 100-599 or '*'.", loc.StatusCode))
		} else if strings.TrimSpace(loc.StatusCode) == "" {
			loc.StatusCode = "*"
		}
	}
	return loc, problems
}

// describeLocation names a canonical location as AWS's duplicate-location message does:
// "type 'METHOD', path '/pets', method 'GET'" ([D]: "type 'API'").
func describeLocation(loc apigateway.DocumentationPartLocation) string {
	s := fmt.Sprintf("type '%s'", loc.Type)
	for _, f := range [][2]string{{"path", loc.Path}, {"method", loc.Method}, {"statusCode", loc.StatusCode}, {"name", loc.Name}} {
		if f[1] != "" {
			s += fmt.Sprintf(", %s '%s'", f[0], f[1])
		}
	}
	return s
}

// errDocPartExists is the ConflictException for a second part at a location ([D]).
func errDocPartExists(loc apigateway.DocumentationPartLocation) *awsjson.Error {
	return awsjson.Conflict("Documentation part already exists for the specified location: %s.", describeLocation(loc))
}

// propertiesProblem returns "" when props is a JSON object, AWS's requirement for a part's
// content map.
func propertiesProblem(props string) string {
	b := bytes.TrimSpace([]byte(props))
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return msgDocPropertiesNotObject
	}
	return ""
}

// documented reports whether a part has content: properties other than an empty object
// (GetDocumentationParts' locationStatus).
func documented(props string) bool {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(props), &m); err != nil {
		return strings.TrimSpace(props) != ""
	}
	return len(m) > 0
}

// partAt returns the API's part at a canonical location, or nil.
func partAt(doc *apigateway.RestAPIDocument, loc apigateway.DocumentationPartLocation) *apigateway.DocumentationPart {
	for _, p := range doc.DocumentationParts {
		if p.Location == loc {
			return p
		}
	}
	return nil
}

type createDocumentationPartInput struct {
	Location   *apigateway.DocumentationPartLocation `json:"location"`
	Properties *string                               `json:"properties"`
}

// CreateDocumentationPart is POST /restapis/{restapi_id}/documentation/parts: 201.
func (s *Server) CreateDocumentationPart(ctx context.Context, c *call) error {
	var in createDocumentationPartInput
	if err := c.decode(&in); err != nil {
		return err
	}
	var missing []string
	if in.Location == nil {
		missing = append(missing, "Value null at 'createDocumentationPartInput.location' failed to satisfy constraint: Member must not be null")
	}
	if in.Properties == nil {
		missing = append(missing, "Value null at 'createDocumentationPartInput.properties' failed to satisfy constraint: Member must not be null")
	}
	if err := checkInput(missing...); err != nil {
		return err
	}
	loc, problems := canonicalLocation(*in.Location)
	if msg := propertiesProblem(*in.Properties); msg != "" {
		problems = append(problems, msg)
	}
	if err := badRequestProblems(problems); err != nil {
		return err
	}
	apiID := c.path("restapi_id")
	var created *apigateway.DocumentationPart
	_, err := s.updateAPIOr(ctx, apiID, s.errAPINotFound(apiID), func(doc *apigateway.RestAPIDocument) error {
		if partAt(doc, loc) != nil {
			return errDocPartExists(loc)
		}
		created = &apigateway.DocumentationPart{ID: newEntryID(doc.DocumentationParts), Location: loc, Properties: *in.Properties}
		putEntry(&doc.DocumentationParts, created.ID, created)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, created)
	return nil
}

// GetDocumentationPart is GET /restapis/{restapi_id}/documentation/parts/{part_id}.
func (s *Server) GetDocumentationPart(ctx context.Context, c *call) error {
	return getEntry(ctx, s, c, "part_id", errDocPartNotFound, documentationPartsOf)
}

func documentationPartsOf(doc *apigateway.RestAPIDocument) map[string]*apigateway.DocumentationPart {
	return doc.DocumentationParts
}

// GetDocumentationParts is GET /restapis/{restapi_id}/documentation/parts, in id order,
// filtered by the query's type, name, path (each an exact match; the service model checks
// type's enum) and locationStatus (DOCUMENTED: properties other than {}; UNDOCUMENTED: {}).
func (s *Server) GetDocumentationParts(ctx context.Context, c *call) error {
	q := c.r.URL.Query()
	typ, name, path, status := q.Get("type"), q.Get("name"), q.Get("path"), q.Get("locationStatus")
	return listPage(ctx, s, c, func(doc *apigateway.RestAPIDocument, p awsjson.Page) ([]*apigateway.DocumentationPart, string) {
		var parts []*apigateway.DocumentationPart
		for _, id := range slices.Sorted(maps.Keys(doc.DocumentationParts)) {
			part := doc.DocumentationParts[id]
			l := part.Location
			switch {
			case typ != "" && l.Type != typ,
				name != "" && l.Name != name,
				path != "" && l.Path != path,
				status == "DOCUMENTED" && !documented(part.Properties),
				status == "UNDOCUMENTED" && documented(part.Properties):
				continue
			}
			parts = append(parts, part)
		}
		return awsjson.Paginate(parts, func(p *apigateway.DocumentationPart) string { return p.ID }, p)
	})
}

// UpdateDocumentationPart is PATCH .../documentation/parts/{part_id}: replace /properties
// only ([L]'s messages); the location is the part's identity.
func (s *Server) UpdateDocumentationPart(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateDocumentationPartInput")
	if err != nil {
		return err
	}
	var updated *apigateway.DocumentationPart
	_, err = s.updateAPIOr(ctx, c.path("restapi_id"), errDocPartNotFound, func(doc *apigateway.RestAPIDocument) error {
		cur := doc.DocumentationParts[c.path("part_id")]
		if cur == nil {
			return errDocPartNotFound
		}
		v := *cur
		var p problemList
		for _, op := range ops {
			switch {
			case op.Op != awsjson.OpReplace:
				p.addf("%s", unsupportedPatchOp(op))
			case op.Path != "/properties":
				p.addf("Invalid patch path  '%s' specified for op 'replace'. Must be one of: [/properties]", op.Path)
			case op.Val() == "":
				p.addf("Documentation part properties must be non-empty")
			default:
				if msg := propertiesProblem(op.Val()); msg != "" {
					p.addf("%s", msg)
				}
				v.Properties = op.Val()
			}
		}
		if err := p.err(); err != nil {
			return err
		}
		doc.DocumentationParts[v.ID] = &v
		updated = &v
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, updated)
	return nil
}

// DeleteDocumentationPart is DELETE .../documentation/parts/{part_id}: 202. Documentation
// versions keep their own copies.
func (s *Server) DeleteDocumentationPart(ctx context.Context, c *call) error {
	id := c.path("part_id")
	_, err := s.updateAPIOr(ctx, c.path("restapi_id"), errDocPartNotFound, func(doc *apigateway.RestAPIDocument) error {
		if doc.DocumentationParts[id] == nil {
			return errDocPartNotFound
		}
		deleteEntry(&doc.DocumentationParts, id)
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteEmpty(c.w, http.StatusAccepted)
	return nil
}
