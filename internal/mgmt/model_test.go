package mgmt

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
)

// calcSchema is the schema of AWS's CreateModel example (test_model_lifecycle).
const calcSchema = "{\n\t\"title\": \"Calc output\",\n\t\"type\": \"object\",\n\t\"properties\": {\n\t\t\"a\": {\n\t\t\t\"type\": \"number\"\n\t\t},\n\t\t\"b\": {\n\t\t\t\"type\": \"number\"\n\t\t},\n\t\t\"op\": {\n\t\t\t\"description\": \"operation of +, -, * or /\",\n\t\t\t\"type\": \"string\"\n\t\t},\n\t\t\"c\": {\n\t\t    \"type\": \"number\"\n\t\t}\n\t},\n\t\"required\": [\"a\", \"b\", \"op\"]\n}\n"

var modelID = regexp.MustCompile(`^[a-z0-9]{6}$`)

func TestModelLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)

	// Every new API has AWS's Empty and Error models, byte for byte.
	list, err := e.client.GetModels(ctx(t), &apigateway.GetModelsInput{RestApiId: aws.String(apiID)})
	if err != nil {
		t.Fatal(err)
	}
	defaults := model.DefaultModels(func() string { return "" })
	if len(list.Items) != 2 {
		t.Fatalf("GetModels of a new API = %d models; want Empty and Error", len(list.Items))
	}
	for _, m := range list.Items {
		d := defaults[*m.Name]
		if d == nil || *m.Schema != d.Schema || *m.Description != d.Description || *m.ContentType != "application/json" || !modelID.MatchString(*m.Id) {
			t.Errorf("default model %s = %+v", *m.Name, m)
		}
	}

	created, err := e.client.CreateModel(ctx(t), &apigateway.CreateModelInput{RestApiId: aws.String(apiID), Name: aws.String("CalcOutput"),
		ContentType: aws.String("application/json"), Description: aws.String("Calc output model"), Schema: aws.String(calcSchema)})
	if err != nil {
		t.Fatalf("CreateModel: %v", err)
	}
	if *created.Name != "CalcOutput" || *created.Schema != calcSchema || *created.Description != "Calc output model" || !modelID.MatchString(*created.Id) {
		t.Errorf("CreateModel = %+v", created)
	}
	got, err := e.client.GetModel(ctx(t), &apigateway.GetModelInput{RestApiId: aws.String(apiID), ModelName: aws.String("CalcOutput")})
	if err != nil || *got.Id != *created.Id || *got.Schema != calcSchema {
		t.Fatalf("GetModel = %+v, %v", got, err)
	}

	// Pagination by name.
	page, err := e.client.GetModels(ctx(t), &apigateway.GetModelsInput{RestApiId: aws.String(apiID), Limit: aws.Int32(2)})
	if err != nil || len(page.Items) != 2 || *page.Items[0].Name != "CalcOutput" || page.Position == nil {
		t.Fatalf("GetModels(limit 2) = %+v, %v", page, err)
	}
	rest, err := e.client.GetModels(ctx(t), &apigateway.GetModelsInput{RestApiId: aws.String(apiID), Position: page.Position})
	if err != nil || len(rest.Items) != 1 || *rest.Items[0].Name != "Error" || rest.Position != nil {
		t.Fatalf("GetModels(position) = %+v, %v", rest, err)
	}

	upd, err := e.client.UpdateModel(ctx(t), &apigateway.UpdateModelInput{RestApiId: aws.String(apiID), ModelName: aws.String("CalcOutput"),
		PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/schema"), Value: aws.String(`{"title": "Updated schema", "type": "object"}`)},
			{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("")},
		}})
	if err != nil || *upd.Schema != `{"title": "Updated schema", "type": "object"}` || upd.Description != nil {
		t.Fatalf("UpdateModel = %+v, %v", upd, err)
	}

	if _, err := e.client.DeleteModel(ctx(t), &apigateway.DeleteModelInput{RestApiId: aws.String(apiID), ModelName: aws.String("CalcOutput")}); err != nil {
		t.Fatalf("DeleteModel: %v", err)
	}
	_, err = e.client.GetModel(ctx(t), &apigateway.GetModelInput{RestApiId: aws.String(apiID), ModelName: aws.String("CalcOutput")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid model name specified: CalcOutput" {
		t.Errorf("GetModel after delete = %s %q", code, msg)
	}
}

func TestModelValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	ref := func(name string) string { return model.ModelURL(apiID, name) }
	if _, err := e.client.CreateModel(ctx(t), &apigateway.CreateModelInput{RestApiId: aws.String(apiID), Name: aws.String("MySchema"),
		ContentType: aws.String("application/json"), Schema: aws.String(`{"title": "MySchema", "type": "object"}`)}); err != nil {
		t.Fatal(err)
	}
	json := aws.String("application/json")
	// Recorded cases from test_model_validation unless marked; the rest are gatehouse's
	// checks in AWS's wording.
	tests := []struct {
		name    string
		api     string
		in      apigateway.CreateModelInput
		code    string
		msg     string
		created bool
	}{
		{"unknown API", "abcde0", apigateway.CreateModelInput{Name: aws.String("MySchema"), ContentType: json, Schema: aws.String(`{"type":"object"}`)},
			"NotFoundException", "Invalid API identifier specified 123456789012:abcde0", false},
		{"name exists", "", apigateway.CreateModelInput{Name: aws.String("MySchema"), ContentType: json, Description: aws.String(""), Schema: aws.String(`{"type":"object"}`)},
			"ConflictException", "Model name already exists for this REST API", false},
		{"empty name", "", apigateway.CreateModelInput{Name: aws.String(""), ContentType: json, Schema: aws.String(`{"type":"object"}`)},
			"BadRequestException", "Model name must be non-empty", false},
		{"empty schema", "", apigateway.CreateModelInput{Name: aws.String("MyEmptySchema"), ContentType: json, Schema: aws.String("")},
			"BadRequestException", "Model schema must have at least 1 property or array items defined", false},
		{"no schema, xml", "", apigateway.CreateModelInput{Name: aws.String("MyEmptySchemaXml"), ContentType: aws.String("application/xml")},
			"BadRequestException", "Model schema must have at least 1 property or array items defined", false},
		{"not alphanumeric", "", apigateway.CreateModelInput{Name: aws.String("my-model"), ContentType: json, Schema: aws.String(`{"type":"object"}`)},
			"BadRequestException", "Model name must be alphanumeric", false},
		{"not JSON", "", apigateway.CreateModelInput{Name: aws.String("Broken"), ContentType: json, Schema: aws.String(`{"type":`)},
			"BadRequestException", "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]", false},
		{"not draft 4 (required must not be empty)", "", apigateway.CreateModelInput{Name: aws.String("Broken"), ContentType: json, Schema: aws.String(`{"type":"object","required":[]}`)},
			"BadRequestException", "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]", false},
		{"reference not canonical", "", apigateway.CreateModelInput{Name: aws.String("Broken"), ContentType: json, Schema: aws.String(`{"$ref":"http://example.com/x.json"}`)},
			"BadRequestException", "Invalid model specified: Validation Result: warnings : [], errors : [Model reference must be in canonical form]", false},
		{"reference to a missing model", "", apigateway.CreateModelInput{Name: aws.String("Broken"), ContentType: json, Schema: aws.String(`{"$ref":"` + ref("Nope") + `"}`)},
			"BadRequestException", "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model identifier specified: Nope]", false},
		{"every problem at once", "", apigateway.CreateModelInput{Name: aws.String("a-b"), ContentType: aws.String(""), Schema: aws.String(`{"type":"nope"}`)},
			"BadRequestException", "Model name must be alphanumeric Content type must be non-empty Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]", false},
		{"reference to a model", "", apigateway.CreateModelInput{Name: aws.String("Wrapper"), ContentType: json, Schema: aws.String(`{"type":"object","properties":{"s":{"$ref":"` + ref("MySchema") + `"},"e":{"$ref":"#/definitions/e"}},"definitions":{"e":{"type":"string"}}}`)},
			"", "", true},
	}
	for _, tt := range tests {
		in := tt.in
		in.RestApiId = aws.String(apiID)
		if tt.api != "" {
			in.RestApiId = aws.String(tt.api)
		}
		_, err := e.client.CreateModel(ctx(t), &in)
		if tt.created {
			if err != nil {
				t.Errorf("%s: CreateModel = %v; want it created", tt.name, err)
			}
			continue
		}
		if code, msg := apiErr(t, err); code != tt.code || msg != tt.msg {
			t.Errorf("%s: CreateModel = %s %q; want %s %q", tt.name, code, msg, tt.code, tt.msg)
		}
	}
	// Nothing invalid was written.
	list, _ := e.client.GetModels(ctx(t), &apigateway.GetModelsInput{RestApiId: aws.String(apiID)})
	var names []string
	for _, m := range list.Items {
		names = append(names, *m.Name)
	}
	if strings.Join(names, ",") != "Empty,Error,MySchema,Wrapper" {
		t.Errorf("models = %v; want only the valid ones", names)
	}

	// Unknown API or model under a model's path (recorded: "get-model-wrong-id",
	// "del-model-wrong-id", test_update_model "update-model-wrong-id").
	_, err := e.client.GetModel(ctx(t), &apigateway.GetModelInput{RestApiId: aws.String("abcde0"), ModelName: aws.String("MySchema")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid model name specified: MySchema" {
		t.Errorf("GetModel(unknown API) = %s %q", code, msg)
	}
	_, err = e.client.DeleteModel(ctx(t), &apigateway.DeleteModelInput{RestApiId: aws.String(apiID), ModelName: aws.String("Nope")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid model name specified: Nope" {
		t.Errorf("DeleteModel(unknown) = %s %q", code, msg)
	}
	_, err = e.client.GetModels(ctx(t), &apigateway.GetModelsInput{RestApiId: aws.String("abcde0")})
	if code, msg := apiErr(t, err); code != "NotFoundException" || msg != "Invalid API identifier specified 123456789012:abcde0" {
		t.Errorf("GetModels(unknown API) = %s %q", code, msg)
	}
}

func TestUpdateModelValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	if _, err := e.client.CreateModel(ctx(t), &apigateway.CreateModelInput{RestApiId: aws.String(apiID), Name: aws.String("MySchema"),
		ContentType: aws.String("application/json"), Schema: aws.String(`{"title": "MySchema", "type": "object"}`)}); err != nil {
		t.Fatal(err)
	}
	op := func(o types.Op, path, v string) types.PatchOperation {
		return types.PatchOperation{Op: o, Path: aws.String(path), Value: aws.String(v)}
	}
	// Recorded: test_update_model.
	tests := []struct {
		name, model string
		ops         []types.PatchOperation
		code, msg   string
	}{
		{"unknown model", "mySchema", []types.PatchOperation{op(types.OpReplace, "/description", "")}, "NotFoundException", "Invalid model name specified: mySchema"},
		{"unsupported op", "MySchema", []types.PatchOperation{op(types.OpAdd, "/wrong-path", "not supported op")}, "BadRequestException", "Invalid patch path  '/wrong-path' specified for op 'add'. Please choose supported operations"},
		{"unsupported path", "MySchema", []types.PatchOperation{op(types.OpReplace, "/name", "invalid")}, "BadRequestException", "Invalid patch path  '/name' specified for op 'replace'. Must be one of: [/description, /schema]"},
		{"empty schema", "MySchema", []types.PatchOperation{op(types.OpReplace, "/schema", "")}, "BadRequestException", "Model schema must have at least 1 property or array items defined"},
		{"invalid schema, with the description", "MySchema", []types.PatchOperation{op(types.OpReplace, "/description", "x"), op(types.OpReplace, "/schema", `{"type":1}`)}, "BadRequestException", "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]"},
	}
	for _, tt := range tests {
		_, err := e.client.UpdateModel(ctx(t), &apigateway.UpdateModelInput{RestApiId: aws.String(apiID), ModelName: aws.String(tt.model), PatchOperations: tt.ops})
		if code, msg := apiErr(t, err); code != tt.code || msg != tt.msg {
			t.Errorf("%s: UpdateModel = %s %q; want %s %q", tt.name, code, msg, tt.code, tt.msg)
		}
	}
	got, _ := e.client.GetModel(ctx(t), &apigateway.GetModelInput{RestApiId: aws.String(apiID), ModelName: aws.String("MySchema")})
	if got.Description != nil || *got.Schema != `{"title": "MySchema", "type": "object"}` {
		t.Errorf("after refused updates GetModel = %+v; want it unchanged", got)
	}
}

func TestDeleteModelInUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	for _, m := range []struct{ name, schema string }{
		{"Pet", `{"type":"object"}`},
		{"Pets", `{"type":"array","items":{"$ref":"` + model.ModelURL(apiID, "Pet") + `"}}`},
	} {
		if _, err := e.client.CreateModel(ctx(t), &apigateway.CreateModelInput{RestApiId: aws.String(apiID), Name: aws.String(m.name), ContentType: aws.String("application/json"), Schema: aws.String(m.schema)}); err != nil {
			t.Fatal(err)
		}
	}
	e.editAPI(t, apiID, func(doc *model.RestAPIDocument) {
		doc.Resources["pets01"] = &model.Resource{ID: "pets01", ParentID: doc.RootResourceID, PathPart: "pets", Path: "/pets"}
	})
	if _, err := e.client.PutMethod(ctx(t), &apigateway.PutMethodInput{RestApiId: aws.String(apiID), ResourceId: aws.String("pets01"), HttpMethod: aws.String("POST"),
		AuthorizationType: aws.String("NONE"), RequestModels: map[string]string{"application/json": "Pet"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PutMethodResponse(ctx(t), &apigateway.PutMethodResponseInput{RestApiId: aws.String(apiID), ResourceId: aws.String("pets01"), HttpMethod: aws.String("POST"),
		StatusCode: aws.String("200"), ResponseModels: map[string]string{"application/json": "Pet"}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.DeleteModel(ctx(t), &apigateway.DeleteModelInput{RestApiId: aws.String(apiID), ModelName: aws.String("Pet")})
	want := "Cannot delete model 'Pet', is referenced in method request: /pets/POST Cannot delete model 'Pet', is referenced in method response: /pets/POST/200 Cannot delete model 'Pet', is referenced in model: Pets"
	if code, msg := apiErr(t, err); code != "ConflictException" || msg != want {
		t.Errorf("DeleteModel(in use) = %s %q; want ConflictException %q", code, msg, want)
	}
	// Unused models go.
	for _, name := range []string{"Pets", "Empty"} {
		if _, err := e.client.DeleteModel(ctx(t), &apigateway.DeleteModelInput{RestApiId: aws.String(apiID), ModelName: aws.String(name)}); err != nil {
			t.Errorf("DeleteModel(%s) = %v", name, err)
		}
	}
}

func TestModelTemplateAndFlatten(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiID := e.createAPI(t)
	create := func(name, schema string) {
		t.Helper()
		if _, err := e.client.CreateModel(ctx(t), &apigateway.CreateModelInput{RestApiId: aws.String(apiID), Name: aws.String(name), ContentType: aws.String("application/json"), Schema: aws.String(schema)}); err != nil {
			t.Fatal(err)
		}
	}
	create("Tag", `{"type":"object","properties":{"label":{"type":"string"}}}`)
	create("Pet", `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"vaccinated":{"type":"boolean"},`+
		`"owner":{"type":"object","properties":{"id":{"type":"number"}}},"tags":{"type":"array","items":{"$ref":"`+model.ModelURL(apiID, "Tag")+`"}},"nick-name":{}}}`)
	tests := []struct{ model, want string }{
		// Recorded: awscli's examples/apigateway/get-model-template.rst.
		{"Empty", "#set($inputRoot = $input.path('$'))\n{ }"},
		{"Pet", "#set($inputRoot = $input.path('$'))\n{\n" +
			"  \"name\" : \"$inputRoot.name\",\n" +
			"  \"age\" : $inputRoot.age,\n" +
			"  \"vaccinated\" : $inputRoot.vaccinated,\n" +
			"  \"owner\" : {\n    \"id\" : $inputRoot.owner.id\n  },\n" +
			"  \"tags\" : [\n#foreach($elem1 in $inputRoot.tags)\n    {\n      \"label\" : \"$elem1.label\"\n    }#if($foreach.hasNext),#end\n#end\n  ],\n" +
			"  \"nick-name\" : \"$inputRoot.get('nick-name')\"\n}"},
	}
	for _, tt := range tests {
		out, err := e.client.GetModelTemplate(ctx(t), &apigateway.GetModelTemplateInput{RestApiId: aws.String(apiID), ModelName: aws.String(tt.model)})
		if err != nil || *out.Value != tt.want {
			t.Errorf("GetModelTemplate(%s) = %v\n%s\nwant\n%s", tt.model, err, aws.ToString(out.Value), tt.want)
		}
	}
	flat, err := e.client.GetModel(ctx(t), &apigateway.GetModelInput{RestApiId: aws.String(apiID), ModelName: aws.String("Pet"), Flatten: true})
	if err != nil || strings.Contains(*flat.Schema, "$ref") || !strings.Contains(*flat.Schema, `"label"`) {
		t.Errorf("GetModel(flatten) = %v %s; want the Tag reference inlined", err, aws.ToString(flat.Schema))
	}
}
