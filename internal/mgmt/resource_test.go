package mgmt

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// newAPI creates a REST API and returns its id and root resource id.
func newAPI(t *testing.T, e *env) (apiID, rootID string) {
	t.Helper()
	out, err := e.client.CreateRestApi(ctx(t), &apigateway.CreateRestApiInput{Name: aws.String("t")})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	return *out.Id, *out.RootResourceId
}

// mustResource creates a resource and returns its id.
func mustResource(t *testing.T, e *env, apiID, parentID, part string) string {
	t.Helper()
	out, err := e.client.CreateResource(ctx(t), &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: &parentID, PathPart: &part})
	if err != nil {
		t.Fatalf("CreateResource(%q): %v", part, err)
	}
	return *out.Id
}

// raw sends a plain HTTP request to the management API and returns the status, the
// x-amzn-ErrorType header and the decoded JSON body (nil when empty). It shows what the
// SDK would hide: field presence, exact status codes, ValidationExceptions the SDK's own
// validation would catch first.
func raw(t *testing.T, e *env, method, path, body string) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), out
}

func TestResourceLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client
	apiID, rootID := newAPI(t, e)

	list, err := c.GetResources(ctx(t), &apigateway.GetResourcesInput{RestApiId: &apiID})
	if err != nil {
		t.Fatalf("GetResources: %v", err)
	}
	if len(list.Items) != 1 || *list.Items[0].Id != rootID || *list.Items[0].Path != "/" || list.Items[0].ParentId != nil || list.Items[0].PathPart != nil {
		t.Fatalf("GetResources of a new API = %+v; want only the root at /", list.Items)
	}

	created, err := c.CreateResource(ctx(t), &apigateway.CreateResourceInput{RestApiId: &apiID, ParentId: &rootID, PathPart: aws.String("pets")})
	if err != nil {
		t.Fatalf("CreateResource: %v", err)
	}
	if len(*created.Id) != 6 || *created.ParentId != rootID || *created.PathPart != "pets" || *created.Path != "/pets" {
		t.Errorf("CreateResource = id %q parent %q part %q path %q", *created.Id, *created.ParentId, *created.PathPart, *created.Path)
	}
	pets := *created.Id
	petID := mustResource(t, e, apiID, pets, "{petId}")
	toys := mustResource(t, e, apiID, petID, "toys")
	proxy := mustResource(t, e, apiID, rootID, "{proxy+}")

	list, err = c.GetResources(ctx(t), &apigateway.GetResourcesInput{RestApiId: &apiID})
	if err != nil {
		t.Fatalf("GetResources: %v", err)
	}
	var paths []string
	for _, r := range list.Items {
		paths = append(paths, *r.Path)
	}
	// AWS lists resources in path order (localstack test_create_proxy_resource).
	if want := []string{"/", "/pets", "/pets/{petId}", "/pets/{petId}/toys", "/{proxy+}"}; !slices.Equal(paths, want) {
		t.Errorf("GetResources paths = %v; want %v", paths, want)
	}

	// Renaming re-computes the paths of the subtree.
	upd, err := c.UpdateResource(ctx(t), &apigateway.UpdateResourceInput{RestApiId: &apiID, ResourceId: &pets, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/pathPart"), Value: aws.String("dogs")},
	}})
	if err != nil {
		t.Fatalf("UpdateResource rename: %v", err)
	}
	if *upd.Path != "/dogs" || *upd.PathPart != "dogs" {
		t.Errorf("UpdateResource rename = %q %q", *upd.Path, *upd.PathPart)
	}
	got, err := c.GetResource(ctx(t), &apigateway.GetResourceInput{RestApiId: &apiID, ResourceId: &toys})
	if err != nil {
		t.Fatalf("GetResource: %v", err)
	}
	if *got.Path != "/dogs/{petId}/toys" {
		t.Errorf("grandchild path after rename = %q; want /dogs/{petId}/toys", *got.Path)
	}

	// Moving {petId} under the root moves its subtree.
	_, err = c.UpdateResource(ctx(t), &apigateway.UpdateResourceInput{RestApiId: &apiID, ResourceId: &petID, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/parentId"), Value: &pets},
		{Op: types.OpReplace, Path: aws.String("/pathPart"), Value: aws.String("{id}")},
	}})
	if err != nil {
		t.Fatalf("UpdateResource rename variable: %v", err)
	}
	newParent := mustResource(t, e, apiID, rootID, "cats")
	moved, err := c.UpdateResource(ctx(t), &apigateway.UpdateResourceInput{RestApiId: &apiID, ResourceId: &petID, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/parentId"), Value: &newParent},
	}})
	if err != nil {
		t.Fatalf("UpdateResource move: %v", err)
	}
	if *moved.Path != "/cats/{id}" || *moved.ParentId != newParent {
		t.Errorf("moved = %q under %q", *moved.Path, *moved.ParentId)
	}
	got, _ = c.GetResource(ctx(t), &apigateway.GetResourceInput{RestApiId: &apiID, ResourceId: &toys})
	if *got.Path != "/cats/{id}/toys" {
		t.Errorf("grandchild path after move = %q; want /cats/{id}/toys", *got.Path)
	}

	// Deleting removes the subtree; 202 as AWS answers.
	if status, _, _ := raw(t, e, http.MethodDelete, "/restapis/"+apiID+"/resources/"+newParent, ""); status != http.StatusAccepted {
		t.Errorf("DeleteResource status = %d; want 202", status)
	}
	for _, id := range []string{newParent, petID, toys} {
		_, err := c.GetResource(ctx(t), &apigateway.GetResourceInput{RestApiId: &apiID, ResourceId: aws.String(id)})
		if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid Resource identifier specified" {
			t.Errorf("GetResource(deleted %s) = %s %q", id, code, msg)
		}
	}
	if _, err := c.GetResource(ctx(t), &apigateway.GetResourceInput{RestApiId: &apiID, ResourceId: &proxy}); err != nil {
		t.Errorf("a sibling of the deleted subtree is gone: %v", err)
	}
}

func TestCreateResourceErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, rootID := newAPI(t, e)
	pets := mustResource(t, e, apiID, rootID, "pets")
	mustResource(t, e, apiID, pets, "{id}")
	greedy := mustResource(t, e, apiID, rootID, "{proxy+}")

	const invalidPart = "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace."
	tests := []struct {
		name, api, parent, part string
		code, msg               string
	}{
		{"space", apiID, rootID, "a b", "BadRequestException", invalidPart},
		{"empty", apiID, rootID, "", "BadRequestException", invalidPart},
		{"open brace", apiID, rootID, "{x", "BadRequestException", invalidPart},
		{"empty variable", apiID, rootID, "{}", "BadRequestException", invalidPart},
		{"plus only", apiID, rootID, "{+}", "BadRequestException", invalidPart},
		{"plus outside", apiID, rootID, "x+", "BadRequestException", invalidPart},
		{"slash", apiID, rootID, "a/b", "BadRequestException", invalidPart},
		{"unknown parent", apiID, "nope00", "x", "NotFoundException", "Invalid Resource identifier specified"},
		{"unknown api", "nope000000", rootID, "x", "NotFoundException", "Invalid Resource identifier specified"},
		{"duplicate sibling", apiID, rootID, "pets", "ConflictException", "Another resource with the same parent already has this name: pets"},
		{"second variable", apiID, pets, "{other+}", "BadRequestException", "A sibling ({id}) of this resource already has a variable path part -- only one is allowed"},
		{"variable beside greedy", apiID, rootID, "{x}", "BadRequestException", "A sibling ({proxy+}) of this resource already has a variable path part -- only one is allowed"},
		{"child of greedy", apiID, greedy, "x", "BadRequestException", "Cannot create a child of a resource with a greedy path variable: {proxy+}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.client.CreateResource(ctx(t), &apigateway.CreateResourceInput{RestApiId: aws.String(tt.api), ParentId: aws.String(tt.parent), PathPart: aws.String(tt.part)})
			if code, msg := apiErr(t, err); code != tt.code || msg != tt.msg {
				t.Errorf("CreateResource(%q) = %s %q; want %s %q", tt.part, code, msg, tt.code, tt.msg)
			}
		})
	}
}

func TestUpdateResourceErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, rootID := newAPI(t, e)
	pets := mustResource(t, e, apiID, rootID, "pets")
	sub := mustResource(t, e, apiID, pets, "sub")
	mustResource(t, e, apiID, rootID, "sub")

	op := func(o types.Op, path, v string) types.PatchOperation {
		return types.PatchOperation{Op: o, Path: aws.String(path), Value: aws.String(v)}
	}
	tests := []struct {
		name     string
		resource string
		ops      []types.PatchOperation
		code     string
		msg      string
	}{
		{"unknown path", pets, []types.PatchOperation{op(types.OpReplace, "/invalid", "x")}, "BadRequestException",
			"Invalid patch path  '/invalid' specified for op 'replace'. Must be one of: [/parentId, /pathPart]"},
		{"remove", pets, []types.PatchOperation{op(types.OpRemove, "/pathPart", "")}, "BadRequestException",
			"Invalid patch path  '/pathPart' specified for op 'remove'. Please choose supported operations"},
		{"every problem listed", pets, []types.PatchOperation{op(types.OpAdd, "/pathPart", "x"), op(types.OpReplace, "/nope", "x")}, "BadRequestException",
			"Invalid patch path  '/pathPart' specified for op 'add'. Please choose supported operations Invalid patch path  '/nope' specified for op 'replace'. Must be one of: [/parentId, /pathPart]"},
		{"root part", rootID, []types.PatchOperation{op(types.OpReplace, "/pathPart", "x")}, "BadRequestException", "Root resource cannot update its pathPart."},
		{"root parent", rootID, []types.PatchOperation{op(types.OpReplace, "/parentId", pets)}, "BadRequestException", "Root resource cannot update its parentId."},
		{"cycle", pets, []types.PatchOperation{op(types.OpReplace, "/parentId", sub)}, "BadRequestException", "Resources cannot be cyclical."},
		{"self parent", pets, []types.PatchOperation{op(types.OpReplace, "/parentId", pets)}, "BadRequestException", "Resources cannot be cyclical."},
		{"sibling name", sub, []types.PatchOperation{op(types.OpReplace, "/parentId", rootID)}, "ConflictException", "Another resource with the same parent already has this name: sub"},
		// Found by FuzzUpdateResource: a resource with children may not become greedy, as
		// none may be created under a greedy one (the data plane cannot route them).
		{"greedy with children", pets, []types.PatchOperation{op(types.OpReplace, "/pathPart", "{proxy+}")}, "BadRequestException",
			"Cannot create a child of a resource with a greedy path variable: {proxy+}"},
		{"unknown parent", pets, []types.PatchOperation{op(types.OpReplace, "/parentId", "nope00")}, "NotFoundException", "Invalid Resource identifier specified"},
		{"invalid part", pets, []types.PatchOperation{op(types.OpReplace, "/pathPart", "a b")}, "BadRequestException",
			"Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace."},
		{"op outside the enum", pets, []types.PatchOperation{op("bogus", "/pathPart", "x")}, "ValidationException",
			"1 validation error detected: Value 'bogus' at 'updateResourceInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.client.UpdateResource(ctx(t), &apigateway.UpdateResourceInput{RestApiId: &apiID, ResourceId: aws.String(tt.resource), PatchOperations: tt.ops})
			if code, msg := apiErr(t, err); code != tt.code || msg != tt.msg {
				t.Errorf("UpdateResource = %s %q; want %s %q", code, msg, tt.code, tt.msg)
			}
		})
	}
}

func TestUpdateResourceRejectedKeepsState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, rootID := newAPI(t, e)
	pets := mustResource(t, e, apiID, rootID, "pets")
	_, err := e.client.UpdateResource(ctx(t), &apigateway.UpdateResourceInput{RestApiId: &apiID, ResourceId: &pets, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/pathPart"), Value: aws.String("dogs")},
		{Op: types.OpReplace, Path: aws.String("/bogus"), Value: aws.String("x")},
	}})
	if code, _ := apiErr(t, err); code != "BadRequestException" {
		t.Fatalf("UpdateResource = %s; want BadRequestException", code)
	}
	got, err := e.client.GetResource(ctx(t), &apigateway.GetResourceInput{RestApiId: &apiID, ResourceId: &pets})
	if err != nil {
		t.Fatal(err)
	}
	if *got.Path != "/pets" {
		t.Errorf("a rejected update changed the resource: path %q", *got.Path)
	}
}

func TestDeleteRootResource(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, rootID := newAPI(t, e)
	_, err := e.client.DeleteResource(ctx(t), &apigateway.DeleteResourceInput{RestApiId: &apiID, ResourceId: &rootID})
	if code, _ := apiErr(t, err); code != "BadRequestException" {
		t.Errorf("DeleteResource(root) = %s; want BadRequestException", code)
	}
	if _, err := e.client.GetResource(ctx(t), &apigateway.GetResourceInput{RestApiId: &apiID, ResourceId: &rootID}); err != nil {
		t.Errorf("root gone after a refused delete: %v", err)
	}
}

func TestGetResourcesEmbedAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID, rootID := newAPI(t, e)
	for _, p := range []string{"a", "b", "c", "d"} {
		mustResource(t, e, apiID, rootID, p)
	}
	if _, err := e.client.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatalf("PutMethod: %v", err)
	}
	if _, err := e.client.PutIntegration(ctx(t), &apigateway.PutIntegrationInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock}); err != nil {
		t.Fatalf("PutIntegration: %v", err)
	}

	// Without embed AWS lists each method as {} (awscli examples/apigateway/get-resources.rst).
	status, _, body := raw(t, e, http.MethodGet, "/restapis/"+apiID+"/resources/"+rootID, "")
	if status != http.StatusOK {
		t.Fatalf("GetResource status %d", status)
	}
	if m, _ := body["resourceMethods"].(map[string]any); m == nil || len(m["GET"].(map[string]any)) != 0 {
		t.Errorf("GetResource resourceMethods = %v; want {\"GET\": {}}", body["resourceMethods"])
	}
	_, _, body = raw(t, e, http.MethodGet, "/restapis/"+apiID+"/resources?embed=methods", "")
	items := body["item"].([]any)
	root := items[0].(map[string]any)
	get := root["resourceMethods"].(map[string]any)["GET"].(map[string]any)
	if get["httpMethod"] != "GET" || get["authorizationType"] != "NONE" || get["methodIntegration"].(map[string]any)["type"] != "MOCK" {
		t.Errorf("GetResources?embed=methods GET = %v; want the whole method", get)
	}
	if _, ok := items[1].(map[string]any)["resourceMethods"]; ok {
		t.Errorf("a resource without methods has resourceMethods: %v", items[1])
	}

	// The SDK's embed list: the full method, typed.
	list, err := e.client.GetResources(ctx(t), &apigateway.GetResourcesInput{RestApiId: &apiID, Embed: []string{"methods"}})
	if err != nil {
		t.Fatal(err)
	}
	if m := list.Items[0].ResourceMethods["GET"]; m.MethodIntegration == nil || m.MethodIntegration.Type != types.IntegrationTypeMock {
		t.Errorf("SDK embed=methods GET = %+v", m)
	}

	// Pages of two, in path order, cover every resource once.
	var paths []string
	var position *string
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		out, err := e.client.GetResources(ctx(t), &apigateway.GetResourcesInput{RestApiId: &apiID, Limit: aws.Int32(2), Position: position})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Items) > 2 {
			t.Fatalf("page of %d items; limit 2", len(out.Items))
		}
		for _, r := range out.Items {
			paths = append(paths, *r.Path)
		}
		if out.Position == nil {
			break
		}
		position = out.Position
	}
	if want := []string{"/", "/a", "/b", "/c", "/d"}; !slices.Equal(paths, want) {
		t.Errorf("paged paths = %v; want %v", paths, want)
	}

	_, err = e.client.GetResources(ctx(t), &apigateway.GetResourcesInput{RestApiId: aws.String("nope000000")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid API identifier specified "+testAccount+":nope000000" {
		t.Errorf("GetResources(unknown API) = %s %q", code, msg)
	}
}

func TestParsePathPart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		part string
		want pathPartKind
	}{
		{"pets", pathPartLiteral},
		{"a.b_c-D9", pathPartLiteral},
		{"{id}", pathPartVariable},
		{"{proxy+}", pathPartGreedy},
		{"{a.b}", pathPartVariable},
		{"", pathPartInvalid},
		{"{}", pathPartInvalid},
		{"{+}", pathPartInvalid},
		{"{", pathPartInvalid},
		{"}", pathPartInvalid},
		{"{a}b", pathPartInvalid},
		{"a+", pathPartInvalid},
		{"{a++}", pathPartInvalid},
		{"é", pathPartInvalid},
		{"a:b", pathPartInvalid},
	}
	for _, tt := range tests {
		if got := parsePathPart(tt.part); got != tt.want {
			t.Errorf("parsePathPart(%q) = %d; want %d", tt.part, got, tt.want)
		}
	}
}

// FuzzParsePathPart checks the path part grammar: whatever parsePathPart accepts uses only
// AWS's characters, braces only around the whole part and '+' only before the closing one.
func FuzzParsePathPart(f *testing.F) {
	for _, s := range []string{"pets", "{id}", "{proxy+}", "", "{", "{+}", "a+", "{a}b", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, part string) {
		kind := parsePathPart(part)
		if kind == pathPartInvalid {
			return
		}
		name := part
		switch kind {
		case pathPartVariable:
			name = strings.TrimSuffix(strings.TrimPrefix(part, "{"), "}")
		case pathPartGreedy:
			name = strings.TrimSuffix(strings.TrimPrefix(part, "{"), "+}")
		}
		if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
			t.Fatalf("parsePathPart(%q) = %d with name %q", part, kind, name)
		}
		if got := childPath("/", part); got != "/"+part {
			t.Fatalf("childPath = %q", got)
		}
	})
}
