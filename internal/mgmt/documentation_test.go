package mgmt

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
)

func (e *env) createPart(t *testing.T, apiID string, loc types.DocumentationPartLocation, props string) *apigateway.CreateDocumentationPartOutput {
	t.Helper()
	out, err := e.client.CreateDocumentationPart(ctx(t), &apigateway.CreateDocumentationPartInput{RestApiId: aws.String(apiID), Location: &loc, Properties: aws.String(props)})
	if err != nil {
		t.Fatalf("CreateDocumentationPart(%+v): %v", loc, err)
	}
	return out
}

func TestDocumentationPartLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)

	created := e.createPart(t, apiID, types.DocumentationPartLocation{Type: types.DocumentationPartTypeMethod, Path: aws.String("/pets")}, `{"description":"list pets"}`)
	if !modelID.MatchString(*created.Id) {
		t.Errorf("id %q; want 6 characters", *created.Id)
	}
	if l := created.Location; l.Type != types.DocumentationPartTypeMethod || *l.Path != "/pets" || *l.Method != "*" || l.StatusCode != nil || l.Name != nil {
		t.Errorf("location = %+v; want METHOD /pets with method defaulted to *", l)
	}
	got, err := e.client.GetDocumentationPart(ctx(t), &apigateway.GetDocumentationPartInput{RestApiId: aws.String(apiID), DocumentationPartId: created.Id})
	if err != nil || *got.Properties != `{"description":"list pets"}` {
		t.Fatalf("GetDocumentationPart = %+v, %v", got, err)
	}

	// The same location, spelled with the default, is taken.
	_, err = e.client.CreateDocumentationPart(ctx(t), &apigateway.CreateDocumentationPartInput{RestApiId: aws.String(apiID),
		Location: &types.DocumentationPartLocation{Type: types.DocumentationPartTypeMethod, Path: aws.String("/pets"), Method: aws.String("*")}, Properties: aws.String(`{}`)})
	wantAPIError(t, "CreateDocumentationPart at a taken location", err, "ConflictException", "Documentation part already exists for the specified location: type 'METHOD', path '/pets', method '*'.")
	e.createPart(t, apiID, types.DocumentationPartLocation{Type: types.DocumentationPartTypeApi}, `{"info":{"description":"pets"}}`)
	_, err = e.client.CreateDocumentationPart(ctx(t), &apigateway.CreateDocumentationPartInput{RestApiId: aws.String(apiID),
		Location: &types.DocumentationPartLocation{Type: types.DocumentationPartTypeApi}, Properties: aws.String(`{}`)})
	wantAPIError(t, "second API part", err, "ConflictException", "Documentation part already exists for the specified location: type 'API'.")

	updated, err := e.client.UpdateDocumentationPart(ctx(t), &apigateway.UpdateDocumentationPartInput{RestApiId: aws.String(apiID), DocumentationPartId: created.Id,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/properties"), Value: aws.String(`{"description":"all pets"}`)}}})
	if err != nil || *updated.Properties != `{"description":"all pets"}` || *updated.Location.Path != "/pets" {
		t.Fatalf("UpdateDocumentationPart = %+v, %v", updated, err)
	}
	for _, c := range []struct {
		name string
		op   types.PatchOperation
		msg  string
	}{
		{"add", types.PatchOperation{Op: types.OpAdd, Path: aws.String("/properties"), Value: aws.String("{}")}, "Invalid patch path  '/properties' specified for op 'add'. Please choose supported operations"},
		{"location", types.PatchOperation{Op: types.OpReplace, Path: aws.String("/location/path"), Value: aws.String("/x")}, "Invalid patch path  '/location/path' specified for op 'replace'. Must be one of: [/properties]"},
		{"empty", types.PatchOperation{Op: types.OpReplace, Path: aws.String("/properties")}, "Documentation part properties must be non-empty"},
		{"not an object", types.PatchOperation{Op: types.OpReplace, Path: aws.String("/properties"), Value: aws.String(`"text"`)}, msgDocPropertiesNotObject},
	} {
		_, err := e.client.UpdateDocumentationPart(ctx(t), &apigateway.UpdateDocumentationPartInput{RestApiId: aws.String(apiID), DocumentationPartId: created.Id, PatchOperations: []types.PatchOperation{c.op}})
		wantAPIError(t, "UpdateDocumentationPart "+c.name, err, "BadRequestException", c.msg)
	}
	_, err = e.client.UpdateDocumentationPart(ctx(t), &apigateway.UpdateDocumentationPartInput{RestApiId: aws.String(apiID), DocumentationPartId: aws.String("nosuch"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/properties"), Value: aws.String("{}")}}})
	wantAPIError(t, "UpdateDocumentationPart unknown", err, "NotFoundException", "Invalid Documentation part identifier specified")

	if _, err := e.client.DeleteDocumentationPart(ctx(t), &apigateway.DeleteDocumentationPartInput{RestApiId: aws.String(apiID), DocumentationPartId: created.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetDocumentationPart(ctx(t), &apigateway.GetDocumentationPartInput{RestApiId: aws.String(apiID), DocumentationPartId: created.Id})
	wantAPIError(t, "GetDocumentationPart after delete", err, "NotFoundException", "Invalid Documentation part identifier specified")
	_, err = e.client.DeleteDocumentationPart(ctx(t), &apigateway.DeleteDocumentationPartInput{RestApiId: aws.String(apiID), DocumentationPartId: created.Id})
	wantAPIError(t, "DeleteDocumentationPart twice", err, "NotFoundException", "Invalid Documentation part identifier specified")
	_, err = e.client.GetDocumentationPart(ctx(t), &apigateway.GetDocumentationPartInput{RestApiId: aws.String("nosuchapi"), DocumentationPartId: created.Id})
	wantAPIError(t, "GetDocumentationPart of an unknown API", err, "NotFoundException", "Invalid Documentation part identifier specified")
	_, err = e.client.CreateDocumentationPart(ctx(t), &apigateway.CreateDocumentationPartInput{RestApiId: aws.String("nosuchapi"),
		Location: &types.DocumentationPartLocation{Type: types.DocumentationPartTypeApi}, Properties: aws.String(`{}`)})
	wantAPIError(t, "CreateDocumentationPart of an unknown API", err, "NotFoundException", "Invalid API identifier specified 123456789012:nosuchapi")
}

// TestDocumentationPartLocations: canonicalLocation(loc) = want with its defaults, or the
// problems AWS's location table implies.
func TestDocumentationPartLocations(t *testing.T) {
	t.Parallel()
	type loc = model.DocumentationPartLocation
	for _, c := range []struct {
		in       loc
		want     loc
		problems int
	}{
		{loc{Type: "API"}, loc{Type: "API"}, 0},
		{loc{Type: "API", Path: "/"}, loc{}, 1},
		{loc{Type: "AUTHORIZER", Name: "auth"}, loc{Type: "AUTHORIZER", Name: "auth"}, 0},
		{loc{Type: "AUTHORIZER"}, loc{}, 1},
		{loc{Type: "MODEL", Name: "Pet", Path: "/"}, loc{}, 1},
		{loc{Type: "RESOURCE"}, loc{Type: "RESOURCE", Path: "/"}, 0},
		{loc{Type: "RESOURCE", Method: "GET"}, loc{}, 1},
		{loc{Type: "RESOURCE", Path: "pets"}, loc{}, 1},
		{loc{Type: "METHOD", Path: "/pets", Method: "GET"}, loc{Type: "METHOD", Path: "/pets", Method: "GET"}, 0},
		{loc{Type: "METHOD", Method: "G T"}, loc{}, 1},
		{loc{Type: "PATH_PARAMETER", Path: "/pets/{id}", Name: "id"}, loc{Type: "PATH_PARAMETER", Path: "/pets/{id}", Method: "*", Name: "id"}, 0},
		{loc{Type: "QUERY_PARAMETER"}, loc{}, 1},
		{loc{Type: "REQUEST_HEADER", Name: "x", StatusCode: "200"}, loc{}, 1},
		{loc{Type: "REQUEST_BODY"}, loc{Type: "REQUEST_BODY", Path: "/", Method: "*"}, 0},
		{loc{Type: "RESPONSE"}, loc{Type: "RESPONSE", Path: "/", Method: "*", StatusCode: "*"}, 0},
		{loc{Type: "RESPONSE", StatusCode: "200"}, loc{Type: "RESPONSE", Path: "/", Method: "*", StatusCode: "200"}, 0},
		{loc{Type: "RESPONSE", StatusCode: "600"}, loc{}, 1},
		{loc{Type: "RESPONSE_HEADER", StatusCode: "404"}, loc{}, 1},
		{loc{Type: "RESPONSE_HEADER", Name: "Location"}, loc{Type: "RESPONSE_HEADER", Path: "/", Method: "*", StatusCode: "*", Name: "Location"}, 0},
		{loc{Type: "RESPONSE_BODY"}, loc{Type: "RESPONSE_BODY", Path: "/", Method: "*", StatusCode: "*"}, 0},
		{loc{Type: "RESPONSE_BODY", Name: "Pet"}, loc{}, 1}, // the model: name is invalid for RESPONSE_BODY
		{loc{Type: "API", Path: "/", Method: "GET", StatusCode: "200", Name: "n"}, loc{}, 4},
		{loc{Type: "STAGE"}, loc{}, 1},
	} {
		got, problems := canonicalLocation(c.in)
		if len(problems) != c.problems || (c.problems == 0 && got != c.want) {
			t.Errorf("canonicalLocation(%+v) = %+v, %q; want %+v with %d problems", c.in, got, problems, c.want, c.problems)
		}
	}
}

// TestDocumentationPartRefusals: the wire refusals of CreateDocumentationPart, each problem
// listed.
func TestDocumentationPartRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	create := func(loc *types.DocumentationPartLocation, props *string) error {
		_, err := e.client.CreateDocumentationPart(ctx(t), &apigateway.CreateDocumentationPartInput{RestApiId: aws.String(apiID), Location: loc, Properties: props})
		return err
	}
	err := create(&types.DocumentationPartLocation{Type: "STAGE"}, aws.String("{}"))
	if code, _ := apiErr(t, err); code != "ValidationException" {
		t.Errorf("type STAGE = %v; want ValidationException", err)
	}
	err = create(&types.DocumentationPartLocation{Type: types.DocumentationPartTypeResponse, StatusCode: aws.String("99")}, aws.String("{}"))
	if code, _ := apiErr(t, err); code != "ValidationException" {
		t.Errorf("statusCode 99 = %v; want ValidationException (the model's pattern)", err)
	}
	err = create(&types.DocumentationPartLocation{Type: types.DocumentationPartTypeApi, Path: aws.String("/")}, aws.String(`[1]`))
	wantAPIError(t, "API with a path and a list", err, "BadRequestException",
		"Invalid location: field 'path' is not valid for type 'API'. "+msgDocPropertiesNotObject)
	for _, props := range []string{"", "not json", `"s"`, "{", "null"} {
		err = create(&types.DocumentationPartLocation{Type: types.DocumentationPartTypeApi}, aws.String(props))
		wantAPIError(t, fmt.Sprintf("properties %q", props), err, "BadRequestException", msgDocPropertiesNotObject)
	}
	err = create(&types.DocumentationPartLocation{Type: types.DocumentationPartTypeModel}, aws.String("{}"))
	wantAPIError(t, "MODEL without a name", err, "BadRequestException", "Invalid location: field 'name' is required for type 'MODEL'.")
}

func TestGetDocumentationPartsFiltersAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	ids := map[string]string{}
	for name, l := range map[string]types.DocumentationPartLocation{
		"api":     {Type: types.DocumentationPartTypeApi},
		"pets":    {Type: types.DocumentationPartTypeResource, Path: aws.String("/pets")},
		"get":     {Type: types.DocumentationPartTypeMethod, Path: aws.String("/pets"), Method: aws.String("GET")},
		"limit":   {Type: types.DocumentationPartTypeQueryParameter, Path: aws.String("/pets"), Name: aws.String("limit")},
		"model":   {Type: types.DocumentationPartTypeModel, Name: aws.String("Pet")},
		"rootget": {Type: types.DocumentationPartTypeMethod, Method: aws.String("GET")},
	} {
		props := `{"description":"` + name + `"}`
		if name == "rootget" {
			props = "{}"
		}
		ids[*e.createPart(t, apiID, l, props).Id] = name
	}
	list := func(in apigateway.GetDocumentationPartsInput) []string {
		t.Helper()
		in.RestApiId = aws.String(apiID)
		out, err := e.client.GetDocumentationParts(ctx(t), &in)
		if err != nil {
			t.Fatalf("GetDocumentationParts(%+v): %v", in, err)
		}
		var names []string
		for _, p := range out.Items {
			names = append(names, ids[*p.Id])
		}
		slices.Sort(names)
		return names
	}
	for _, c := range []struct {
		in   apigateway.GetDocumentationPartsInput
		want []string
	}{
		{apigateway.GetDocumentationPartsInput{}, []string{"api", "get", "limit", "model", "pets", "rootget"}},
		{apigateway.GetDocumentationPartsInput{Type: types.DocumentationPartTypeMethod}, []string{"get", "rootget"}},
		{apigateway.GetDocumentationPartsInput{Path: aws.String("/pets")}, []string{"get", "limit", "pets"}},
		{apigateway.GetDocumentationPartsInput{Path: aws.String("/")}, []string{"rootget"}},
		{apigateway.GetDocumentationPartsInput{NameQuery: aws.String("Pet")}, []string{"model"}},
		{apigateway.GetDocumentationPartsInput{LocationStatus: types.LocationStatusTypeUndocumented}, []string{"rootget"}},
		{apigateway.GetDocumentationPartsInput{LocationStatus: types.LocationStatusTypeDocumented, Type: types.DocumentationPartTypeMethod}, []string{"get"}},
	} {
		if got := list(c.in); !slices.Equal(got, c.want) {
			t.Errorf("GetDocumentationParts(type %q, name %v, path %v, status %q) = %v; want %v", c.in.Type, aws.ToString(c.in.NameQuery), aws.ToString(c.in.Path), c.in.LocationStatus, got, c.want)
		}
	}

	// Pages of 4 then 2, in id order, with every part once.
	first, err := e.client.GetDocumentationParts(ctx(t), &apigateway.GetDocumentationPartsInput{RestApiId: aws.String(apiID), Limit: aws.Int32(4)})
	if err != nil || len(first.Items) != 4 || first.Position == nil {
		t.Fatalf("first page = %+v, %v; want 4 items and a position", first, err)
	}
	second, err := e.client.GetDocumentationParts(ctx(t), &apigateway.GetDocumentationPartsInput{RestApiId: aws.String(apiID), Limit: aws.Int32(4), Position: first.Position})
	if err != nil || len(second.Items) != 2 || second.Position != nil {
		t.Fatalf("second page = %+v, %v; want 2 items and no position", second, err)
	}
	var seen []string
	for _, p := range append(first.Items, second.Items...) {
		seen = append(seen, *p.Id)
	}
	if !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != 6 {
		t.Errorf("pages = %v; want the 6 ids in order", seen)
	}

	_, err = e.client.GetDocumentationParts(ctx(t), &apigateway.GetDocumentationPartsInput{RestApiId: aws.String(apiID), LocationStatus: "SOME"})
	if code, _ := apiErr(t, err); code != "ValidationException" {
		t.Errorf("locationStatus SOME = %v; want ValidationException", err)
	}
	_, err = e.client.GetDocumentationParts(ctx(t), &apigateway.GetDocumentationPartsInput{RestApiId: aws.String("nosuchapi")})
	wantAPIError(t, "GetDocumentationParts of an unknown API", err, "NotFoundException", "Invalid API identifier specified 123456789012:nosuchapi")
}

const importBody = `{
  "swagger": "2.0",
  "info": {"title": "pets", "version": "1"},
  "paths": {},
  "x-amazon-apigateway-documentation": {
    "version": "1.0.0",
    "documentationParts": [
      {"location": {"type": "API"}, "properties": {"description": "imported API"}},
      {"location": {"type": "METHOD", "path": "/pets", "method": "GET"}, "properties": {"summary": "list"}},
      {"location": {"type": "MODEL"}, "properties": {"description": "no name"}}
    ]
  }
}`

func TestImportDocumentationParts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	api := e.createPart(t, apiID, types.DocumentationPartLocation{Type: types.DocumentationPartTypeApi}, `{"description":"before"}`)
	kept := e.createPart(t, apiID, types.DocumentationPartLocation{Type: types.DocumentationPartTypeResource, Path: aws.String("/kept")}, `{"description":"kept"}`)

	_, err := e.client.ImportDocumentationParts(ctx(t), &apigateway.ImportDocumentationPartsInput{RestApiId: aws.String(apiID), Body: []byte(importBody), FailOnWarnings: true})
	if code, _ := apiErr(t, err); code != "BadRequestException" {
		t.Fatalf("import with failonwarnings = %v; want BadRequestException", err)
	}
	if n := e.countParts(t, apiID); n != 2 {
		t.Fatalf("after a refused import: %d parts; want the 2 before", n)
	}

	// merge (the default): the API part is replaced in place, /kept stays, GET /pets is new.
	out, err := e.client.ImportDocumentationParts(ctx(t), &apigateway.ImportDocumentationPartsInput{RestApiId: aws.String(apiID), Body: []byte(importBody)})
	if err != nil || len(out.Ids) != 2 || out.Ids[0] != *api.Id || len(out.Warnings) != 1 {
		t.Fatalf("merge import = %+v, %v; want 2 ids (the API part's first) and 1 warning", out, err)
	}
	got, err := e.client.GetDocumentationPart(ctx(t), &apigateway.GetDocumentationPartInput{RestApiId: aws.String(apiID), DocumentationPartId: api.Id})
	if err != nil || *got.Properties != `{"description": "imported API"}` {
		t.Errorf("API part after merge = %+v, %v", got, err)
	}
	if n := e.countParts(t, apiID); n != 3 {
		t.Errorf("after merge: %d parts; want 3", n)
	}

	// overwrite: only the imported parts remain.
	out, err = e.client.ImportDocumentationParts(ctx(t), &apigateway.ImportDocumentationPartsInput{RestApiId: aws.String(apiID), Body: []byte(importBody), Mode: types.PutModeOverwrite})
	if err != nil || len(out.Ids) != 2 {
		t.Fatalf("overwrite import = %+v, %v", out, err)
	}
	if n := e.countParts(t, apiID); n != 2 {
		t.Errorf("after overwrite: %d parts; want 2", n)
	}
	_, err = e.client.GetDocumentationPart(ctx(t), &apigateway.GetDocumentationPartInput{RestApiId: aws.String(apiID), DocumentationPartId: kept.Id})
	wantAPIError(t, "the /kept part after overwrite", err, "NotFoundException", "Invalid Documentation part identifier specified")

	for _, body := range []string{`not json`, `{"swagger":"2.0"}`, `[]`} {
		_, err = e.client.ImportDocumentationParts(ctx(t), &apigateway.ImportDocumentationPartsInput{RestApiId: aws.String(apiID), Body: []byte(body)})
		if code, _ := apiErr(t, err); code != "BadRequestException" {
			t.Errorf("import %q = %v; want BadRequestException", body, err)
		}
	}
	_, err = e.client.ImportDocumentationParts(ctx(t), &apigateway.ImportDocumentationPartsInput{RestApiId: aws.String(apiID), Body: []byte(importBody), Mode: "replace"})
	if code, _ := apiErr(t, err); code != "ValidationException" {
		t.Errorf("mode replace = %v; want ValidationException", err)
	}
}

func (e *env) countParts(t *testing.T, apiID string) int {
	t.Helper()
	out, err := e.client.GetDocumentationParts(ctx(t), &apigateway.GetDocumentationPartsInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Items)
}
