package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// ImportDocumentationParts reads an OpenAPI (2.0 or 3) document in JSON whose
// x-amazon-apigateway-documentation extension holds the parts ([D] "Import API
// documentation"):
//
//	{"x-amazon-apigateway-documentation": {"version": "1.0.0",
//	  "documentationParts": [{"location": {"type": "API"}, "properties": {"description": "..."}}]}}
//
// A part's properties are a JSON object here, not the string CreateDocumentationPart takes.
// The rest of the document is not read.

// maxImportedParts bounds one import's parts, so that the work is linear in a bounded body.
const maxImportedParts = 10000

// importedPart is one part of an import: its canonical location and its properties as the
// string stored.
type importedPart struct {
	Location   apigateway.DocumentationPartLocation
	Properties string
}

// parseDocumentationImport returns the parts of an import body and a warning for each part
// it skips (a location or properties a part could not have), or an error for a body that
// is not such a document.
func parseDocumentationImport(body []byte) ([]importedPart, []string, error) {
	var doc struct {
		Documentation *struct {
			Parts []json.RawMessage `json:"documentationParts"`
		} `json:"x-amazon-apigateway-documentation"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, nil, awsjson.BadRequest("Invalid OpenAPI input: the body is not a JSON object")
	}
	if doc.Documentation == nil {
		return nil, nil, awsjson.BadRequest("Invalid OpenAPI input: no x-amazon-apigateway-documentation extension")
	}
	if len(doc.Documentation.Parts) > maxImportedParts {
		return nil, nil, awsjson.BadRequest("Too many documentation parts: at most %d may be imported at once", maxImportedParts)
	}
	var parts []importedPart
	var warnings []string
	for i, raw := range doc.Documentation.Parts {
		var p struct {
			Location   *apigateway.DocumentationPartLocation `json:"location"`
			Properties json.RawMessage                       `json:"properties"`
		}
		if err := json.Unmarshal(raw, &p); err != nil || p.Location == nil {
			warnings = append(warnings, fmt.Sprintf("Documentation part %d skipped: it must be an object with a location", i+1))
			continue
		}
		loc, problems := canonicalLocation(*p.Location)
		props := string(bytes.TrimSpace(p.Properties))
		if props == "" || props == "null" {
			props = "{}"
		}
		if msg := propertiesProblem(props); msg != "" {
			problems = append(problems, msg)
		}
		if len(problems) > 0 {
			warnings = append(warnings, fmt.Sprintf("Documentation part %d skipped: %s", i+1, joinProblems(problems)))
			continue
		}
		parts = append(parts, importedPart{Location: loc, Properties: props})
	}
	return parts, warnings, nil
}

// ImportDocumentationParts is PUT /restapis/{restapi_id}/documentation/parts: the body's
// parts added to the API's (mode=merge, the default: a part at a location the API already
// documents replaces that part's properties and keeps its id) or in place of them
// (mode=overwrite). A skipped part is a warning; with failonwarnings=true a warning refuses
// the whole import. The answer lists the ids of the imported parts in the body's order.
func (s *Server) ImportDocumentationParts(ctx context.Context, c *call) error {
	q := c.r.URL.Query()
	overwrite := q.Get("mode") == "overwrite" // the service model checks the enum
	parts, warnings, err := parseDocumentationImport(c.body)
	if err != nil {
		return err
	}
	if len(warnings) > 0 && javaBool(q.Get("failonwarnings")) {
		return awsjson.BadRequest("Warnings found during import:\n\t%s", strings.Join(warnings, "\n\t"))
	}
	apiID := c.path("restapi_id")
	var ids []string
	_, err = s.updateAPIOr(ctx, apiID, s.errAPINotFound(apiID), func(doc *apigateway.RestAPIDocument) error {
		ids = make([]string, 0, len(parts))
		if overwrite {
			doc.DocumentationParts = nil
		}
		byLocation := map[apigateway.DocumentationPartLocation]*apigateway.DocumentationPart{}
		for _, p := range doc.DocumentationParts {
			byLocation[p.Location] = p
		}
		for _, in := range parts {
			part := &apigateway.DocumentationPart{Location: in.Location, Properties: in.Properties}
			if cur := byLocation[in.Location]; cur != nil {
				part.ID = cur.ID
			} else {
				part.ID = newEntryID(doc.DocumentationParts)
			}
			byLocation[in.Location] = part
			putEntry(&doc.DocumentationParts, part.ID, part)
			ids = append(ids, part.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	awsjson.WriteJSON(c.w, http.StatusOK, documentationPartIDs{IDs: ids, Warnings: warnings})
	return nil
}

// documentationPartIDs is AWS's DocumentationPartIds.
type documentationPartIDs struct {
	IDs      []string `json:"ids"`
	Warnings []string `json:"warnings,omitempty"`
}
